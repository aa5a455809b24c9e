"""Import PubMed records from a file (efetch XML or MEDLINE text) or online by PMID."""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from studies.eutils import EutilsClient
from studies.formats import parse_file
from studies.identifiers import normalise_pmid
from studies.importer import (
    BATCH_SIZE,
    ImportInterrupted,
    ImportResult,
    import_pmids,
    import_records,
)
from studies.records import ParseError
from studies.reporting import report, warn_without_email
from studies.transport import RemoteError


class Command(BaseCommand):
    help = (
        "Import PubMed records: --file FILE (efetch XML or MEDLINE text, detected by content, "
        "any size) or --pmid 123 456 (fetched from PubMed). Re-importing updates, never "
        "duplicates, and never touches an editor's design or notes."
    )

    def add_arguments(self, parser):
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--file", type=Path, help="efetch PubMed XML or MEDLINE text file")
        source.add_argument("--pmid", nargs="+", help="PMIDs to fetch from PubMed")
        parser.add_argument(
            "--batch-size",
            type=int,
            default=BATCH_SIZE,
            help=f"records per database transaction (default {BATCH_SIZE})",
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        if options["file"]:
            result = self.import_file(options["file"], options)
        else:
            result = self.import_online(options["pmid"])
        report(self, result)

    def import_file(self, path: Path, options) -> ImportResult:
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        show = not options["no_progress"] and options["verbosity"] > 0
        with open(path, "rb") as handle:
            try:
                records = parse_file(handle, name=path.name)
                with tqdm(
                    records, desc="Importing", unit=" records", file=sys.stderr, disable=not show
                ) as progress:
                    return import_records(progress, batch_size=options["batch_size"])
            except ImportInterrupted as exc:
                raise CommandError(str(exc)) from None
            except ParseError as exc:
                partial = getattr(exc, "result", None)
                if partial is None or not partial.total:
                    raise CommandError(str(exc)) from exc
                report(self, partial)
                raise CommandError(
                    f"{exc} The records before the problem were imported; fix the file and "
                    "run the command again (nothing is imported twice)."
                ) from exc

    def import_online(self, pmids: list[str]) -> ImportResult:
        try:
            wanted = [normalise_pmid(pmid) for pmid in pmids]
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        warn_without_email(self)
        try:
            return import_pmids(wanted, client=EutilsClient.from_settings())
        except (RemoteError, ParseError, ImportInterrupted) as exc:
            raise CommandError(str(exc)) from exc
