"""Re-check studies in use against PubMed (or Crossref) and record new retractions."""

from django.core.management.base import BaseCommand, CommandError

from studies.crossref import CrossrefClient, UnknownDOI
from studies.eutils import EutilsClient
from studies.importer import ImportResult, import_pmids, import_records
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

    def handle(self, *args, **options):
        studies = Study.objects.all() if options["all"] else Study.objects.in_use()
        with_pmid = list(studies.filter(pmid__isnull=False).values_list("pmid", flat=True))
        doi_only = list(
            studies.filter(pmid__isnull=True, doi__isnull=False).values_list("doi", flat=True)
        )
        if not with_pmid and not doi_only:
            self.stdout.write("No studies to check.")
            return
        warn_without_email(self)
        pubmed, crossref = EutilsClient.from_settings(), CrossrefClient.from_settings()
        result = ImportResult()
        try:
            if with_pmid:
                result.add(import_pmids(with_pmid, client=pubmed))
            for doi in doi_only:
                try:
                    result.add(import_records([crossref.fetch_work(doi)]))
                except UnknownDOI as exc:
                    result.count("failed")
                    result.problems.append(str(exc))
        except (RemoteError, ParseError) as exc:
            raise CommandError(f"{exc} Checked so far: {result.summary()}.") from exc
        retracted = Study.objects.filter(pk__in=result.newly_retracted)
        for study in retracted:
            self.stdout.write(f"Newly retracted: study #{study.pk}: {study}")
        self.stdout.write(
            f"Checked {len(with_pmid) + len(doi_only)} studies, "
            f"{len(result.newly_retracted)} newly retracted."
        )
        report(self, result)
