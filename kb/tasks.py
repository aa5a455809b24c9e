"""Background tasks that write the knowledge base (django.tasks), run as studies.jobs Jobs:
saving an imported article whose references are fetched from PubMed and Crossref first, which
takes far longer than a web request may, and a compound's PubMed watch, whose finds land in the
editors' new-evidence inbox."""

from datetime import date

from django.contrib.auth import get_user_model
from django.tasks import task
from django.utils import timezone

from kb import digest
from kb.editor.pending import article_from_dict, article_to_dict
from kb.models import Compound, PubMedWatch
from kb.services import inbox
from kb.services.articles import Placement, save_article
from kb.services.errors import Refused
from studies import jobs
from studies import tasks as study_tasks
from studies import watch as pubmed_watch
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.fetching import fetch_identifiers
from studies.models import Job, Study


@task
def import_article(job_id: int) -> dict:
    """Fetch the references of an article no stored study matches, then save the article
    (kb.services.articles.save_article, idempotent: a retried import adds nothing twice)."""

    def work(progress: jobs.JobProgress) -> dict:
        params = progress.params
        compound = Compound.objects.get(pk=params["compound"])
        user = get_user_model().objects.filter(pk=params.get("user")).first()
        placements = {
            quote: Placement(claim_ids=tuple(place["claim_ids"]), topic_id=place["topic_id"])
            for quote, place in params["placements"].items()
        }
        progress.advance(0, 1, "Fetching the cited studies, then saving")
        try:
            result = save_article(
                article_from_dict(params["article"]),
                compound=compound,
                placements=placements,
                user=user,
                fetch=True,
            )
        except Refused as exc:
            raise jobs.JobRefused(str(exc)) from exc
        return {"summary": result.summary(), "source": result.source.pk, "problems": result.notes}

    return jobs.run(job_id, work)


def start_article_import(article, *, compound: Compound, placements: dict, user) -> Job:
    """Queue the import of an article (kept sentences and their placements) with fetching."""
    params = {
        "article": article_to_dict(article),
        "compound": compound.pk,
        "user": user.pk if user else None,
        "placements": {
            quote: {"claim_ids": list(place.claim_ids), "topic_id": place.topic_id}
            for quote, place in placements.items()
        },
    }
    return jobs.start(import_article, kind=Job.Kind.IMPORT_ARTICLE, params=params, user=user)


@task
def watch_compound(job_id: int) -> dict:
    """Run a compound's saved PubMed search over the days since its last run, store the records
    not stored yet and put the studies found in the new-evidence inbox with their likely claims.
    The search's window is fixed when the job is made, so a retry searches the same days; the
    checkpoint keeps what it found and what was fetched."""

    def work(progress: jobs.JobProgress) -> dict:
        watch = PubMedWatch.objects.select_related("compound").get(pk=progress.params["watch"])
        today = date.fromisoformat(progress.params["today"])
        pubmed = EutilsClient.from_settings()
        state = dict(progress.checkpoint)
        if "found" not in state:
            progress.advance(0, 1, f"Searching PubMed for {watch.query}")
            found, new, _ = pubmed_watch.search(
                watch.query, searched_until=watch.searched_until, today=today, pubmed=pubmed
            )
            state = {"found": found, "new": new}
            progress.save_checkpoint(state)
        fetched = fetch_identifiers(
            [("pmid", pmid) for pmid in state["new"]],
            pubmed=pubmed,
            crossref=CrossrefClient.from_settings(),
            checkpoint=state.get("fetch"),
            save_checkpoint=lambda done: progress.save_checkpoint({**state, "fetch": done}),
            progress=progress.advance,
        )
        by_pmid = {s.pmid: s for s in Study.objects.filter(pmid__in=state["found"])}
        entries = inbox.record_found(
            watch.compound, [by_pmid[p] for p in state["found"] if p in by_pmid]
        )
        PubMedWatch.objects.filter(pk=watch.pk).update(
            searched_until=today, last_run_at=timezone.now()
        )
        found = len(state["found"])
        return {
            "summary": (
                f"{found} record{'s' if found != 1 else ''} found for {watch.compound} up to "
                f"{today:%d %b %Y}, {len(state['new'])} not stored before; "
                f"{len(entries)} added to the new-evidence inbox."
            ),
            "compound": watch.compound.slug,
            "inbox": [entry.pk for entry in entries],
            "problems": fetched.problems,
        }

    return jobs.run(job_id, work)


@task
def send_digests(job_id: int) -> dict:
    """E-mail each editor the news of the compounds they follow, up to the job's creation."""

    def work(progress: jobs.JobProgress) -> dict:
        sent = digest.send_digests(until=progress.job.created_at)
        return {"summary": f"{sent} digest{'s' if sent != 1 else ''} sent."}

    return jobs.run(job_id, work)


def start_digests(*, user=None) -> Job:
    return jobs.start(send_digests, kind=Job.Kind.DIGEST, params={}, user=user)


def start_watch(watch: PubMedWatch, *, user=None, today: date | None = None) -> Job:
    """Queue a run of the compound's watch up to today."""
    today = today or timezone.localdate()
    params = {"watch": watch.pk, "today": today.isoformat()}
    return jobs.start(watch_compound, kind=Job.Kind.WATCH, params=params, user=user)


# The task that runs each kind of job, for retrying one.
TASKS = study_tasks.TASKS | {
    Job.Kind.IMPORT_ARTICLE: import_article,
    Job.Kind.WATCH: watch_compound,
    Job.Kind.DIGEST: send_digests,
}
