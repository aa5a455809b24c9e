"""Importing an article in the workbench: paste, upload or fetch it, preview what the extractor
proposes, edit or drop claims, then save the rest as draft claims for the review queue.

The preview stores nothing: the extracted article waits in the editor's session
(kb.editor.pending) until "Save" hands the kept claims to kb.services.articles.save_article. Every
form posts normally (answered with a redirect) and, with htmx, gets back only the changed part
of editor/article_import.html.
"""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect

from kb.articles import ArticleError
from kb.editor import pending as pending_store
from kb.editor.forms import ArticleInputForm, ProposedClaimForm, SaveForm
from kb.editor.preview import preview
from kb.editor.views import editor_required
from kb.partials import render_partial
from kb.services.articles import save_article

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
    """Extract the article and keep it for the preview; nothing is stored in the knowledge base."""
    form = ArticleInputForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            article = form.article()
            if not article.claims:
                raise ArticleError(
                    "No claims were found in this article: no sentence reads as a claim about "
                    "the compound. Nothing to preview."
                )
            pending_store.start(
                request.session, article, compound_id=form.cleaned_data["compound"].pk
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


@require_POST
@editor_required
def edit_claim(request, index):
    """Change a proposed claim's quote or kind before it is saved."""
    current, stale = _current(request)
    if stale:
        return stale
    index = _index(current, index)
    form = ProposedClaimForm(request.POST, prefix=f"c{index}")
    if not form.is_valid():
        context = _row(preview(current, bound={index: form}), index)
        if request.htmx:
            return TemplateResponse(request, f"{TEMPLATE}#claim_row", context)
        return TemplateResponse(request, TEMPLATE, context, status=400)
    claim = current.article.claims[index]
    claim.quote, claim.kind = form.cleaned_data["quote"].strip(), form.cleaned_data["kind"]
    pending_store.save(request.session, current)
    if request.htmx:
        context = _row(preview(current), index) | {"row_notice": "Edit kept for saving."}
        return TemplateResponse(request, f"{TEMPLATE}#claim_row", context)
    messages.success(request, "Edit kept for saving.")
    return redirect(_review_url(f"proposed-{index}"))


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
    """Save the kept claims as draft, ungraded claims of the source; on to the review queue."""
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
    result = save_article(
        article,
        compound=form.cleaned_data["compound"],
        user=request.user,
        fetch=form.cleaned_data["fetch"],
    )
    pending_store.discard(request.session)
    created = result.claims_created
    text = f"{created} draft claim{'s' if created != 1 else ''} saved from {result.source.title}"
    if result.claims_existing:
        text += f" ({result.claims_existing} were already there from an earlier import)"
    if result.studies_fetched:
        text += f"; {result.studies_fetched} cited studies fetched and stored"
    messages.success(request, text + ".")
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
