"""The workbench's background jobs: an editor fetches studies in bulk, checks for retractions or
re-fetches a study; each job's page shows progress while it runs (an htmx fragment that polls
until the job ends), then its result or its error with a retry. PubMed and Crossref answer with
recorded replies (tests run tasks with the immediate backend)."""

import pytest

from studies.models import Job, Study

pytestmark = pytest.mark.django_db


def fetch(client, text):
    return client.post("/editor/jobs/fetch/", {"identifiers": text})


def test_bulk_fetch_stores_the_studies_and_its_page_shows_the_result(signed_in, pubmed_network):
    requested = pubmed_network("eutils_efetch_23121403.xml")

    response = fetch(signed_in, "https://pubmed.ncbi.nlm.nih.gov/23121403/\n23121403")

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/editor/jobs/{job.pk}/"
    assert (job.kind, job.status, job.created_by.username) == ("bulk_fetch", "succeeded", "edith")
    assert job.params == {"identifiers": [["pmid", "23121403"]]}  # the same PMID once
    assert len(requested) == 1
    assert Study.objects.get().pmid == "23121403"
    page = signed_in.get(response["Location"]).text
    assert "Done" in page
    assert "created 1, updated 0, unchanged 0, skipped 0, failed 0" in page
    assert "hx-trigger" not in page  # a finished job's page does not poll


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("23121403\ncerebrolysin", "these are not PMIDs or DOIs"),
        ("   ", "This field is required"),
        # Constructed identifiers (990000000 up): only their number matters here.
        (" ".join(str(990000000 + i) for i in range(501)), "at most 500 at a time"),
    ],
)
def test_bad_identifiers_are_refused_and_start_nothing(signed_in, text, message):
    response = fetch(signed_in, text)
    assert response.status_code == 400
    assert message in response.text
    assert not Job.objects.exists()


def test_a_running_jobs_fragment_polls_and_a_finished_one_stops(signed_in, editor):
    job = Job.objects.create(
        kind=Job.Kind.BULK_FETCH, status=Job.Status.RUNNING, done=200, total=500, step="Batch 2"
    )
    running = signed_in.get(f"/editor/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert "<html" not in running.text
    assert 'hx-trigger="every 1s"' in running.text
    assert "200 of 500" in running.text
    assert "Batch 2" in running.text

    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.FAILED, error="PubMed did not answer properly 4 times in a row."
    )
    failed = signed_in.get(f"/editor/jobs/{job.pk}/", headers={"HX-Request": "true"})
    assert "hx-trigger" not in failed.text
    assert "PubMed did not answer properly 4 times in a row." in failed.text
    assert "Retry" in failed.text


def test_a_failed_job_is_retried_from_its_page(signed_in, pubmed_network):
    pubmed_network(None)  # offline
    fetch(signed_in, "23121403")
    job = Job.objects.get()
    assert job.status == Job.Status.FAILED
    assert "Cannot reach PubMed" in job.error
    assert not Study.objects.exists()

    pubmed_network("eutils_efetch_23121403.xml")
    response = signed_in.post(f"/editor/jobs/{job.pk}/retry/")

    assert response["Location"] == f"/editor/jobs/{job.pk}/"
    job.refresh_from_db()
    assert (job.status, job.attempts) == ("succeeded", 2)
    assert Study.objects.get().pmid == "23121403"


def test_retraction_check_and_refetch_from_the_workbench(signed_in, pubmed_network):
    requested = pubmed_network("eutils_efetch_23121403.xml")
    study = Study.objects.create(title="Stored before PubMed indexed it", pmid="23121403")

    response = signed_in.post(f"/editor/studies/{study.pk}/refetch/")

    job = Job.objects.get()
    assert response["Location"] == f"/editor/jobs/{job.pk}/"
    study.refresh_from_db()
    assert study.title.startswith("Low-dose aspirin for preventing recurrent venous")
    assert f'href="/studies/{study.pk}/"' in signed_in.get(response["Location"]).text

    response = signed_in.post("/editor/jobs/retractions/")
    check = Job.objects.get(kind=Job.Kind.CHECK_RETRACTIONS)
    assert check.params == {"identifiers": []}  # no evidence uses the study: nothing to check
    assert check.status == Job.Status.SUCCEEDED
    assert len(requested) == 1


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", "/editor/jobs/"),
        ("post", "/editor/jobs/fetch/"),
        ("post", "/editor/jobs/retractions/"),
    ],
)
def test_only_editors_start_or_see_jobs(client, researcher, method, url):
    client.force_login(researcher)
    response = getattr(client, method)(url, {"identifiers": "23121403"})
    assert response.status_code == 403
    assert not Job.objects.exists()
