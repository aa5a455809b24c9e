"""An editor follows a background job in the browser: the page shows its progress while it runs,
updates itself as the worker reports (htmx polling), shows the result when the job ends, and
then stops asking. The worker is played by the test, which writes the job's row as a worker
would."""

import pytest
from editor_support import PASSWORD
from playwright.sync_api import Page, expect

from studies.models import Job

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_job_progress_updates_until_the_job_ends(page: Page, editor):
    job = Job.objects.create(
        kind=Job.Kind.BULK_FETCH,
        status=Job.Status.RUNNING,
        done=200,
        total=500,
        step="Fetched PMIDs up to 23121403",
    )
    page.goto(f"/accounts/login/?next=/editor/jobs/{job.pk}/")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    progress = page.get_by_label("Progress")
    expect(progress).to_contain_text("Running")
    expect(progress).to_contain_text("200 of 500")

    Job.objects.filter(pk=job.pk).update(done=400, step="Fetched PMIDs up to 27797938")
    expect(progress).to_contain_text("400 of 500")  # polled, no reload
    expect(progress).to_contain_text("Fetched PMIDs up to 27797938")

    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.SUCCEEDED,
        done=500,
        result={"summary": "created 498, updated 0, unchanged 0, skipped 0, failed 2"},
    )
    expect(progress).to_contain_text("Done")
    expect(progress).to_contain_text("created 498, updated 0, unchanged 0, skipped 0, failed 2")
    # The finished job's fragment carries no trigger: htmx has nothing left to poll.
    expect(page.locator("#job-progress")).not_to_have_attribute("hx-trigger", "every 1s")
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
