"""Re-check studies in use against PubMed (or Crossref) and record new retractions."""

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.fetching import fetch_identifiers, identifiers_of
from studies.importer import ImportResult
from studies.models import Study
from studies.records import ParseError
from studies.reporting import report, warn_without_email
from studies.transport import RemoteError


class Command(BaseCommand):
    help = (
        "Re-fetch the studies that evidence uses (all studies with --all) and update them; a "
        "study that has become retracted is marked so, and the claims citing it are flagged."
    )

    def add_arguments(self, parser):
        parser.add_argument("--all", action="store_true", help="check every study, not just used")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        studies = Study.objects.all() if options["all"] else Study.objects.in_use()
        identifiers = identifiers_of(studies.order_by("pk"))
        if not identifiers:
            self.stdout.write("No studies to check.")
            return
        warn_without_email(self)
        show = not options["no_progress"] and options["verbosity"] > 0
        checkpoint: dict = {}
        with tqdm(
            total=len(identifiers),
            desc="Checking",
            unit=" studies",
            file=sys.stderr,
            disable=not show,
        ) as bar:

            def progress(done, total, step):
                bar.update(done - bar.n)

            try:
                result = fetch_identifiers(
                    identifiers,
                    pubmed=EutilsClient.from_settings(),
                    crossref=CrossrefClient.from_settings(),
                    save_checkpoint=checkpoint.update,
                    progress=progress,
                    dois_via_pubmed=False,
                )
            except (RemoteError, ParseError) as exc:
                so_far = ImportResult(**checkpoint.get("result", {}))
                raise CommandError(f"{exc} Checked so far: {so_far.summary()}.") from exc
        for study in Study.objects.filter(pk__in=result.newly_retracted):
            self.stdout.write(f"Newly retracted: study #{study.pk}: {study}")
        self.stdout.write(
            f"Checked {len(identifiers)} studies, {len(result.newly_retracted)} newly retracted."
        )
        report(self, result)
