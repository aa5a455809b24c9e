"""Background tasks that write the knowledge base (django.tasks), run as studies.jobs Jobs:
saving an imported article whose references are fetched from PubMed and Crossref first, which
takes far longer than a web request may."""

from django.contrib.auth import get_user_model
from django.tasks import task

from kb.editor.pending import article_from_dict, article_to_dict
from kb.models import Compound
from kb.services.articles import Placement, save_article
from kb.services.errors import Refused
from studies import jobs
from studies import tasks as study_tasks
from studies.models import Job


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


# The task that runs each kind of job, for retrying one.
TASKS = study_tasks.TASKS | {Job.Kind.IMPORT_ARTICLE: import_article}
