"""Fetch one study online by PMID, DOI, PubMed URL or doi.org URL, and import it."""

from django.core.management.base import BaseCommand, CommandError

from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.fetching import NotInPubMed, fetch_record
from studies.identifiers import parse_identifier
from studies.importer import import_records
from studies.models import Study
from studies.records import ParseError
from studies.reporting import report, warn_without_email
from studies.transport import RemoteError


class Command(BaseCommand):
    help = (
        "Fetch one study and import it: a PMID, a DOI, a PubMed URL or a doi.org URL. "
        "A DOI that PubMed knows is imported from PubMed, otherwise from Crossref."
    )

    def add_arguments(self, parser):
        parser.add_argument("identifier", help="PMID, DOI, PubMed URL or doi.org URL")

    def handle(self, *args, **options):
        try:
            kind, value = parse_identifier(options["identifier"])
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        warn_without_email(self)
        try:
            record = fetch_record(
                kind,
                value,
                pubmed=EutilsClient.from_settings(),
                crossref=CrossrefClient.from_settings(),
            )
        except (RemoteError, ParseError, NotInPubMed) as exc:
            raise CommandError(str(exc)) from exc
        result = import_records([record])
        study = None
        if record.pmid:
            study = Study.objects.filter(pmid=record.pmid).first()
        if study is None and record.doi:
            study = Study.objects.filter(doi=record.doi).first()
        if study is not None:
            self.stdout.write(f"Study #{study.pk}: {study}")
        report(self, result)
