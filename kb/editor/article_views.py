"""Importing an article in the workbench: paste, upload or fetch it, preview what the extractor
proposes, edit or drop sentences, say for each whether it restates a claim the knowledge base
already has (preselected by kb.matching) or makes a new one, then save.

The preview stores nothing: the extracted article and the choices wait in the editor's session
(kb.editor.pending) until "Save" hands the kept sentences and their placements to
kb.services.articles.save_article. Every form posts normally (answered with a redirect) and,
with htmx, gets back only the changed part of editor/article_import.html.
"""

from django.contrib import messages
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from kb.articles import ArticleError
from kb.editor import pending as pending_store
from kb.editor.forms import ArticleInputForm, PlacementForm, ProposedClaimForm, SaveForm
from kb.editor.preview import placements, preview, propose
from kb.editor.views import editor_required
from kb.models import Compound, ReferenceSuggestion
from kb.partials import render_partial
from kb.services.articles import (
    AlreadySaved,
    claim_preview,
    confirm_suggestion,
    references_to_fetch,
    save_article,
)
from kb.services.errors import Refused
from kb.tasks import start_article_import
from studies.models import Job

TEMPLATE = "editor/article_import.html"


def _row(context: dict, index: int) -> dict:
    return context | {"row": context["rows"][index]}


# ---------------------------------------------------------------------------------------------
# Pages


@require_safe
@editor_required
def import_form(request):
    """The form: paste, upload or give the address of an article, and choose its compound."""
    form = ArticleInputForm(initial={"fmt": "auto"})
    waiting = pending_store.load(request.session)
    return TemplateResponse(request, TEMPLATE, {"form": form, "waiting": waiting})


@require_safe
@editor_required
def review(request):
    """The pending preview: proposed claims, what they cite, conflicts of interest, warnings."""
    current = pending_store.load(request.session)
    if current is None:
        context = {
            "form": ArticleInputForm(initial={"fmt": "auto"}),
            "notice": "No article is being previewed: start one below.",
        }
        return TemplateResponse(request, TEMPLATE, context)
    return TemplateResponse(request, TEMPLATE, preview(current))


# ---------------------------------------------------------------------------------------------
# Writes (POST only, editors only)


@require_POST
@editor_required
def start_preview(request):
    """Extract the article, rank the claims each sentence may restate, and keep both for the
    preview; nothing is stored in the knowledge base."""
    form = ArticleInputForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            article = form.article()
            if not article.claims:
                raise ArticleError(
                    "No claims were found in this article: no sentence reads as a claim about "
                    "the compound. Nothing to preview."
                )
            compound = form.cleaned_data["compound"]
            pending_store.start(
                request.session,
                article,
                compound_id=compound.pk,
                proposals=propose(article, compound),
            )
        except (ArticleError, pending_store.TooLarge) as exc:
            form.add_error(None, str(exc))
        else:
            return redirect("editor:article-review")
    return TemplateResponse(request, TEMPLATE, {"form": form}, status=400)


def _current(request):
    """(pending preview, None), or (None, the answer to give) when the page is stale."""
    current = pending_store.load(request.session)
    if current is not None and request.POST.get("token") == current.token:
        return current, None
    messages.error(
        request,
        "That preview is no longer open (it was saved, discarded or replaced by a newer one). "
        "Nothing was changed.",
    )
    target = reverse("editor:article-review")
    return None, HttpResponseClientRedirect(target) if request.htmx else redirect(target)


def _index(current: pending_store.Pending, index: int) -> int:
    if not 0 <= index < len(current.article.claims):
        raise Http404("No such proposed claim.")
    return index


def _review_url(anchor: str) -> str:
    return f"{reverse('editor:article-review')}#{anchor}"


def _row_answer(request, current, index: int, done: str):
    """The changed row for htmx, else a redirect back to it with the message."""
    if request.htmx:
        # The row, and the save section's counts out of band.
        context = _row(preview(current), index) | {"row_notice": done}
        return TemplateResponse(request, f"{TEMPLATE}#row_answer", context)
    messages.success(request, done)
    return redirect(_review_url(f"proposed-{index}"))


@require_POST
@editor_required
def edit_claim(request, index):
    """Change a proposed claim's quote or kind before it is saved, or (action=place) confirm
    where it goes."""
    current, stale = _current(request)
    if stale:
        return stale
    index = _index(current, index)
    if request.POST.get("action") == "place":
        return _place(request, current, index)
    form = ProposedClaimForm(request.POST, prefix=f"c{index}")
    if not form.is_valid():
        context = _row(preview(current, bound={index: form}), index)
        if request.htmx:
            return TemplateResponse(request, f"{TEMPLATE}#claim_row", context)
        return TemplateResponse(request, TEMPLATE, context, status=400)
    claim = current.article.claims[index]
    quote = form.cleaned_data["quote"].strip()
    changed = quote != claim.quote
    claim.quote, claim.kind = quote, form.cleaned_data["kind"]
    if changed:
        # Other words may restate another claim: rank again (and ask again).
        compound = Compound.objects.get(pk=current.compound_id)
        current.proposals.update(propose(current.article, compound, indexes={index}))
    pending_store.save(request.session, current)
    return _row_answer(request, current, index, "Edit kept for saving.")


def _place(request, current, index: int):
    """Confirm the sentence's placement: on a claim it was matched to, or a new claim."""
    proposal = current.proposal(index)
    choices = [(str(m["claim"]), m["statement"]) for m in proposal.matches]
    position = current.article.claims[index].position
    form = PlacementForm(
        request.POST,
        index=index,
        choices=choices,
        sentence=None if position is None else position + 1,
    )
    if not form.is_valid():
        context = _row(preview(current, placing={index: form}), index)
        if request.htmx:
            return TemplateResponse(request, f"{TEMPLATE}#claim_row", context)
        return TemplateResponse(request, TEMPLATE, context, status=400)
    proposal.placement, topic = form.values()
    if proposal.placement == pending_store.NEW:
        proposal.topic = topic
    proposal.confirmed = True
    pending_store.save(request.session, current)
    done = (
        "Will become a new claim."
        if proposal.placement == pending_store.NEW
        else f"Will be attached to claim {proposal.placement}."
    )
    return _row_answer(request, current, index, done)


def _set_removed(request, index: int, removed: bool):
    current, stale = _current(request)
    if stale:
        return stale
    index = _index(current, index)
    if removed:
        current.removed.add(index)
    else:
        current.removed.discard(index)
    pending_store.save(request.session, current)
    done = "Claim left out of this import." if removed else "Claim put back."
    if not request.htmx:
        messages.success(request, done)
        return redirect(_review_url("proposed-claims"))
    return render_partial(request, TEMPLATE, preview(current, list_notice=done), partial="claims")


@require_POST
@editor_required
def remove_claim(request, index):
    """Leave a proposed claim out of the import (it can be put back until saving)."""
    return _set_removed(request, index, True)


@require_POST
@editor_required
def restore_claim(request, index):
    """Put a removed proposed claim back."""
    return _set_removed(request, index, False)


@require_POST
@editor_required
def save(request):
    """Save the kept sentences: each attached to the claim chosen for it, or as a new draft
    claim; on to the review queue, filtered by the source."""
    current, stale = _current(request)
    if stale:
        return stale
    form = SaveForm(request.POST)
    if not form.is_valid():
        context = preview(current, notice="Please correct the errors below.")
        return TemplateResponse(request, TEMPLATE, context | {"save_form": form}, status=400)
    article = current.kept_article()
    if not article.claims:
        messages.error(request, "Every claim was left out: put one back, or discard the preview.")
        return redirect(_review_url("proposed-claims"))
    compound = form.cleaned_data["compound"]
    if compound.pk != current.compound_id:
        # The matches were ranked among another compound's claims: rank again, and let the
        # editor check them before anything is saved.
        current.compound_id = compound.pk
        current.proposals = propose(current.article, compound)
        pending_store.save(request.session, current)
        messages.warning(
            request,
            f"The claims are now about {compound}: each sentence was matched again against "
            "its claims. Check where each goes, then save again. Nothing was saved.",
        )
        return redirect(_review_url("proposed-claims"))
    fetch = form.cleaned_data["fetch"] and references_to_fetch(article)
    try:
        # The preview's token is claimed in the same transaction as the save (or the job that
        # will save): a second Save of the same preview is refused, never stored twice.
        with transaction.atomic():
            claim_preview(current.token)
            if fetch:
                # Fetching the cited studies may take minutes: a background job does it and
                # saves; its page shows the progress, then the same summary.
                job = start_article_import(
                    article, compound=compound, placements=placements(current), user=request.user
                )
            else:
                result = save_article(
                    article, compound=compound, placements=placements(current), user=request.user
                )
    except AlreadySaved as exc:
        messages.info(request, str(exc))
        return redirect("editor:queue")
    except Refused as exc:
        messages.error(request, str(exc))
        return redirect(_review_url("proposed-claims"))
    if fetch:
        pending_store.discard(request.session)
        job.refresh_from_db()  # it may have run once the transaction committed
        if job.status != Job.Status.SUCCEEDED:
            return redirect("editor:job", pk=job.pk)
        # Done already (a worker was quick, or tasks run immediately): as without fetching.
        messages.success(request, job.result["summary"])
        for note in job.result["problems"]:
            messages.warning(request, note)
        return redirect(f"{reverse('editor:queue')}?source={job.result['source']}")
    pending_store.discard(request.session)
    messages.success(request, result.summary())
    for note in result.notes:
        messages.warning(request, note)
    return redirect(f"{reverse('editor:queue')}?source={result.source.pk}")


@require_POST
@editor_required
def discard(request):
    """Drop the preview; nothing was stored."""
    _, stale = _current(request)
    if stale:
        return stale
    pending_store.discard(request.session)
    messages.success(request, "Preview discarded; nothing was saved.")
    return redirect("editor:article-import")


@editor_required
@require_POST
def confirm_reference(request, pk):
    """Confirm a suggested study for a reference without identifier; back to its source page."""
    suggestion = get_object_or_404(ReferenceSuggestion.objects.select_related("reference"), pk=pk)
    back = reverse("source", args=[suggestion.reference.source_id]) + "#refs-heading"
    try:
        reference = confirm_suggestion(pk, user=request.user)
    except Refused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"Reference {reference.number} now cites {reference.study.first_author_label}."
        )
    return redirect(back)
