"""The one entry point for periodic work, for cron or a systemd timer: every active PubMed
watch, the retraction and correction check, and the editors' e-mail digests.

By default each piece is queued as a background job for the workers (`manage.py db_worker`) and
the command returns at once; `--here` runs them in this process instead, one after another, with
a progress bar (for a machine without a worker, or to see it happen)."""

import sys
from contextlib import nullcontext

from django.core.management.base import BaseCommand
from tqdm import tqdm

from kb import tasks
from kb.models import PubMedWatch
from studies import jobs
from studies import tasks as study_tasks
from studies.models import Job

WORK = ("watch", "retractions", "digest")


class Command(BaseCommand):
    help = (
        "Queue the periodic work: each active compound's PubMed watch, the retraction check of "
        "the studies evidence uses, the editors' digests (--here runs it in this process)."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--only", nargs="+", choices=WORK, default=list(WORK), help="some of the work only"
        )
        parser.add_argument("--here", action="store_true", help="run it here, not in a worker")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar")

    def handle(self, *args, **options):
        steps = []
        if "watch" in options["only"]:
            watches = PubMedWatch.objects.filter(active=True).select_related("compound")
            steps += [(f"watch {w.compound}", lambda w=w: tasks.start_watch(w)) for w in watches]
        if "retractions" in options["only"]:
            steps.append(("retraction check", study_tasks.start_retraction_check))
        if "digest" in options["only"]:
            steps.append(("digests", tasks.start_digests))
        show = options["here"] and not options["no_progress"] and options["verbosity"] > 0
        failed = 0
        with tqdm(steps, desc="Periodic work", file=sys.stderr, disable=not show) as bar:
            for label, start in bar:
                bar.set_postfix_str(label)
                with jobs.here() if options["here"] else nullcontext():
                    job = start()
                job.refresh_from_db()
                failed += job.status == Job.Status.FAILED
                outcome = job.result.get("summary") or job.error or job.get_status_display()
                self.stdout.write(f"{label}: job #{job.pk}, {outcome}")
        if failed:
            self.stderr.write(f"{failed} job(s) failed; retry them from /editor/jobs/.")
