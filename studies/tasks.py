"""Background tasks for studies (django.tasks): each takes a Job's id, does its work through
studies.jobs.run (progress, result, a clear failure, no work done twice) with the configured
PubMed and Crossref clients, and returns the job's result."""

from dataclasses import asdict

from django.tasks import task

from studies import jobs
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.fetching import fetch_identifiers, identifiers_of
from studies.models import Job, Study


def _fetch(progress: jobs.JobProgress, identifiers, *, dois_via_pubmed: bool = True) -> dict:
    result = fetch_identifiers(
        [tuple(identifier) for identifier in identifiers],
        pubmed=EutilsClient.from_settings(),
        crossref=CrossrefClient.from_settings(),
        checkpoint=progress.checkpoint,
        save_checkpoint=progress.save_checkpoint,
        progress=progress.advance,
        dois_via_pubmed=dois_via_pubmed,
    )
    return asdict(result) | {"summary": result.summary()}


@task
def bulk_fetch(job_id: int) -> dict:
    """Fetch and store the studies of up to 500 PMIDs and DOIs (job.params["identifiers"])."""
    return jobs.run(job_id, lambda progress: _fetch(progress, progress.params["identifiers"]))


@task
def check_retractions(job_id: int) -> dict:
    """Re-fetch the studies evidence uses (job.params["identifiers"], fixed when the job was
    made) from PubMed, or Crossref for those PubMed does not index; retractions and corrections
    found are stored, and the claims relying on a retracted study are flagged."""
    return jobs.run(
        job_id,
        lambda progress: _fetch(progress, progress.params["identifiers"], dois_via_pubmed=False),
    )


@task
def refetch_study(job_id: int) -> dict:
    """Fetch one stored study's record again (job.params["study"]) and update it."""

    def work(progress):
        study = Study.objects.get(pk=progress.params["study"])
        return _fetch(progress, identifiers_of([study]))

    return jobs.run(job_id, work)


def start_bulk_fetch(identifiers: list[tuple[str, str]], *, user=None) -> Job:
    return jobs.start(
        bulk_fetch, kind=Job.Kind.BULK_FETCH, params={"identifiers": identifiers}, user=user
    )


def start_retraction_check(*, all_studies: bool = False, user=None) -> Job:
    studies = Study.objects.all() if all_studies else Study.objects.in_use()
    identifiers = identifiers_of(studies.order_by("pk"))
    return jobs.start(
        check_retractions,
        kind=Job.Kind.CHECK_RETRACTIONS,
        params={"identifiers": identifiers},
        user=user,
    )


def start_refetch(study: Study, *, user=None) -> Job:
    return jobs.start(
        refetch_study, kind=Job.Kind.REFETCH_STUDY, params={"study": study.pk}, user=user
    )


# The task that runs each kind of job, for retrying one.
TASKS = {
    Job.Kind.BULK_FETCH: bulk_fetch,
    Job.Kind.CHECK_RETRACTIONS: check_retractions,
    Job.Kind.REFETCH_STUDY: refetch_study,
}
