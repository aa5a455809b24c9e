"""Running long work as a Job: a background task (django.tasks) that records on its Job row how
far it got, what came of it, and why it failed.

`start` creates the job and enqueues its task in one go (with the database backend the task row
is written in the caller's transaction, so no worker sees a task whose job is not there yet).
`run` is what every task calls: it skips a job that already succeeded (a task delivered twice
does nothing twice), keeps progress and a checkpoint on the row as the work goes, and stores a
clear message when the work fails. `retry` queues a failed job again; the work resumes from its
checkpoint.
"""

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.db.models import F
from django.utils import timezone

from studies.models import Job
from studies.records import ParseError
from studies.transport import RemoteError

logger = logging.getLogger(__name__)

Work = Callable[["JobProgress"], dict]
HERE = "here"  # the task backend that runs a task inside the call queueing it (settings.TASKS)


class JobRefused(Exception):
    """The job cannot be started or retried as asked; the message says why."""


class JobProgress:
    """What the work sees of its job: what was asked, the last checkpoint, and two ways to
    report (`advance` for people watching, `save_checkpoint` for the next attempt). Each report
    is written at once, outside any transaction of the work, so pages polling the job see it."""

    def __init__(self, job: Job):
        self.job = job

    @property
    def params(self) -> dict:
        return self.job.params

    @property
    def checkpoint(self) -> dict:
        return self.job.checkpoint

    def advance(self, done: int, total: int, step: str = "") -> None:
        done, total = min(done, total), max(total, 0)
        Job.objects.filter(pk=self.job.pk).update(done=done, total=total, step=step[:200])
        self.job.done, self.job.total, self.job.step = done, total, step[:200]

    def save_checkpoint(self, checkpoint: dict) -> None:
        Job.objects.filter(pk=self.job.pk).update(checkpoint=checkpoint)
        self.job.checkpoint = checkpoint


def start(task, *, kind: str, params: dict, user=None) -> Job:
    """Create a job and enqueue `task` (a django.tasks Task taking the job's id) for it."""
    job = Job.objects.create(kind=kind, params=params, created_by=user)
    _enqueue(task, job)
    job.refresh_from_db()
    return job


def retry(task, job: Job) -> Job:
    """Queue a failed job again; its work resumes after what the failed attempt finished."""
    if job.status != Job.Status.FAILED:
        raise JobRefused(
            f"Only a failed job can be retried; this one is {job.get_status_display()}."
        )
    Job.objects.filter(pk=job.pk).update(status=Job.Status.QUEUED, error="", finished_at=None)
    _enqueue(task, job)
    job.refresh_from_db()
    return job


# Set by `here()`: jobs started meanwhile run in this process ("here" backend, immediate).
_here: ContextVar[bool] = ContextVar("jobs_here", default=False)


@contextmanager
def here() -> Iterator[None]:
    """Jobs started inside run at once in this process instead of waiting for a worker."""
    token = _here.set(True)
    try:
        yield
    finally:
        _here.reset(token)


def _enqueue(task, job: Job) -> None:
    if _here.get():
        task = task.using(backend=HERE)
    result = task.enqueue(job.pk)
    # An immediate backend has run the task already; do not step back its status.
    Job.objects.filter(pk=job.pk).update(task_id=str(result.id)[:64])


def run(job_id: int, work: Work) -> dict[str, Any]:
    """Run `work` for the job and record the outcome; the job's stored result when it already
    succeeded. A failure is stored with its message and raised again as JobFailed, so that the
    task backend records the task as failed too."""
    job = Job.objects.get(pk=job_id)
    if job.status == Job.Status.SUCCEEDED:
        return job.result
    now = timezone.now()
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.RUNNING, attempts=F("attempts") + 1, started_at=now, error=""
    )
    job.refresh_from_db()
    try:
        result = work(JobProgress(job))
    except Exception as exc:
        message = failure_message(exc)
        if not isinstance(exc, RemoteError | ParseError | JobRefused):
            logger.exception("Job #%s (%s) failed", job_id, job.kind)
        Job.objects.filter(pk=job_id).update(
            status=Job.Status.FAILED, error=message, finished_at=timezone.now()
        )
        raise JobFailed(message) from exc
    Job.objects.filter(pk=job_id).update(
        status=Job.Status.SUCCEEDED, result=result, done=F("total"), finished_at=timezone.now()
    )
    return result


class JobFailed(Exception):
    """The job's work failed; the message is the one stored on the job."""


def failure_message(exc: Exception) -> str:
    """In words for the editor: the services' own messages, else what kind of error it was."""
    if isinstance(exc, RemoteError | ParseError | JobRefused):
        return f"{exc} Retry the job when this is fixed; what was done is kept."
    return (
        f"An unexpected error stopped the job ({type(exc).__name__}: {exc}). What was done is "
        "kept; retry it, and tell an administrator if it fails again."
    )
