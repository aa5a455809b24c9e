"""Long work as background jobs: progress and results kept on the job, a clear message on
failure, and a retried job doing no work twice; NCBI's rate limit kept across processes."""

import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from django.db import connection
from fake_network import http_error
from studies_testdata import CONSTRUCTED, PUBMED

from studies import jobs, tasks
from studies.eutils import EutilsClient
from studies.models import Job, Study
from studies.ratelimit import RateLimit

# Two real efetch replies of two records each: one request per batch when batches hold two.
FIRST = ["12091962", "9997"]  # biopython_pubmed1.xml
SECOND = ["11748933", "11700088"]  # biopython_pubmed2.xml
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db


def server_errors(count=4):
    return [http_error(500, "Internal Server Error") for _ in range(count)]


def test_a_retried_bulk_fetch_resumes_after_the_batches_it_stored(entrez, monkeypatch):
    monkeypatch.setattr("studies.eutils.EFETCH_BATCH", 2)
    network = entrez((PUBMED / "biopython_pubmed1.xml").read_bytes(), *server_errors())
    identifiers = [("pmid", pmid) for pmid in FIRST + SECOND]

    job = tasks.start_bulk_fetch(identifiers)

    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "PubMed (eutils.ncbi.nlm.nih.gov) answered HTTP 500" in job.error
    assert "Retry the job" in job.error
    assert (job.done, job.total) == (2, 4)  # the first batch was stored before PubMed failed
    assert set(Study.objects.values_list("pmid", flat=True)) == set(FIRST)

    network = entrez((PUBMED / "biopython_pubmed2.xml").read_bytes())
    jobs.retry(tasks.TASKS[job.kind], job)

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED, job.error
    assert len(network.requests) == 1  # only the batch that failed was fetched again
    assert "id=11748933%2C11700088" in network.urls[0]
    assert (job.done, job.total, job.attempts) == (4, 4, 2)
    assert job.result["created"] == 4
    assert job.result["updated"] == job.result["unchanged"] == 0
    assert Study.objects.count() == 4


def test_a_task_delivered_again_after_success_does_nothing(entrez):
    network = entrez((PUBMED / "eutils_efetch_23121403.xml").read_bytes())
    job = tasks.start_bulk_fetch([("pmid", "23121403")])
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["summary"] == "created 1, updated 0, unchanged 0, skipped 0, failed 0"

    again = tasks.bulk_fetch.call(job.pk)  # no reply is queued: a request would fail the test

    assert again == job.result
    assert len(network.requests) == 1
    assert Job.objects.get(pk=job.pk).attempts == 1


def test_only_a_failed_job_can_be_retried(entrez):
    entrez((PUBMED / "eutils_efetch_23121403.xml").read_bytes())
    job = tasks.start_bulk_fetch([("pmid", "23121403")])
    with pytest.raises(jobs.JobRefused, match="Only a failed job"):
        jobs.retry(tasks.bulk_fetch, job)


def test_retraction_check_job_marks_the_retracted_study(entrez, make_claim, make_evidence):
    study = Study.objects.create(title="Before its retraction", pmid="990000001")
    make_evidence(make_claim(), study)
    network = entrez((CONSTRUCTED / "pubmed_retraction.xml").read_bytes())

    job = tasks.start_retraction_check()

    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert "id=990000001" in network.urls[0]
    assert job.result["newly_retracted"] == [study.pk]
    study.refresh_from_db()
    assert study.retracted is True


def test_refetch_of_an_unknown_pmid_fails_the_job_no_further(entrez):
    study = Study.objects.create(title="Known only here", pmid="990000999")
    entrez((CONSTRUCTED / "pubmed_empty.xml").read_bytes())
    job = tasks.start_refetch(study)
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert job.result["problems"] == ["PMID 990000999: not found in PubMed"]


def test_the_configured_pubmed_client_keeps_ncbis_shared_rate(settings):
    settings.NCBI_API_KEY = ""
    assert EutilsClient.from_settings().transport.throttle == RateLimit("ncbi", 3.0)
    settings.NCBI_API_KEY = "a-key"
    assert EutilsClient.from_settings().transport.throttle == RateLimit("ncbi", 10.0)


TAKE_SLOTS = """
import json, sys, time
import django
django.setup()
from studies.ratelimit import RateLimit
limit = RateLimit("ncbi-test", float(sys.argv[1]))
slots = []
for _ in range(int(sys.argv[2])):
    starts, wait = limit.take_slot()
    time.sleep(wait)
    slots.append(starts)
print(json.dumps(slots))
"""


@pytest.mark.django_db(transaction=True)
def test_two_processes_share_one_rate_limit():
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
    env = os.environ | {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "kb.settings"}
    if db["PASSWORD"]:
        env["PGPASSWORD"] = db["PASSWORD"]
    rate, each = 10.0, 8
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", TAKE_SLOTS, str(rate), str(each)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    results = [json.loads(worker.communicate(timeout=60)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)

    slots = sorted(results[0] + results[1])
    assert len(slots) == 2 * each
    gaps = [later - earlier for earlier, later in pairwise(slots)]
    # Every request of either process starts at least 1/rate s after the one before it.
    assert min(gaps) >= 1 / rate - 1e-6
