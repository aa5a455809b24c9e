"""The new-evidence inbox: studies the PubMed watch found, each with the claims it most likely
bears on; weigh one against a claim or dismiss it, one button each (htmx swaps the entry; without
JavaScript the page reloads). And each compound's saved PubMed query, edited and run now."""

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from kb.editor.views import editor_required
from kb.models import Compound, Follow, NewEvidence
from kb.services import inbox
from kb.services.errors import Refused
from kb.tasks import start_watch

TEMPLATE = "editor/inbox.html"


class WatchForm(forms.Form):
    query = forms.CharField(
        label="PubMed query",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="E-utilities syntax, as on PubMed, e.g. Cerebrolysin[tiab] OR FPF-1070[tiab].",
    )
    active = forms.BooleanField(label="Search on the schedule", required=False, initial=True)


@require_safe
@editor_required
def inbox_page(request):
    """Studies waiting for an editor, newest first, by compound."""
    entries = (
        NewEvidence.objects.filter(status=NewEvidence.Status.NEW)
        .select_related("compound", "study")
        .order_by("compound__name", "-found_at", "-pk")
    )
    compounds = Compound.objects.order_by("name").select_related("watch")
    following = set(Follow.objects.filter(user=request.user).values_list("compound_id", flat=True))
    context = {"entries": entries, "compounds": compounds, "following": following}
    return TemplateResponse(request, TEMPLATE, context)


def _entry_answer(request, entry_id: int, notice: str):
    entry = get_object_or_404(NewEvidence.objects.select_related("study"), pk=entry_id)
    if request.htmx:
        context = {"entry": entry, "notice": notice}
        return TemplateResponse(request, f"{TEMPLATE}#entry", context)
    messages.success(request, notice)
    return redirect("editor:inbox")


@require_POST
@editor_required
def weigh(request, pk):
    """Link the study to the chosen claim as evidence to weigh; on to that claim's workbench."""
    try:
        claim = inbox.weigh(
            entry_id=pk, claim_id=int(request.POST.get("claim", 0)), user=request.user
        )
    except (Refused, ValueError) as exc:
        return _entry_answer(request, pk, str(exc) or "Choose a claim.")
    if not request.htmx:
        messages.success(request, "Added as evidence to weigh: set its stance below.")
        return redirect("editor:claim", pk=claim.pk)
    return _entry_answer(request, pk, f"Added to “{claim.statement[:80]}” as evidence to weigh.")


@require_POST
@editor_required
def dismiss(request, pk):
    """Leave the study out: it bears on none of the compound's claims."""
    try:
        inbox.dismiss(entry_id=pk, user=request.user)
    except Refused as exc:
        return _entry_answer(request, pk, str(exc))
    return _entry_answer(request, pk, "Dismissed.")


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def watch(request, slug):
    """A compound's saved PubMed query: edit it, or run it now."""
    compound = get_object_or_404(Compound, slug=slug)
    current = getattr(compound, "watch", None)
    initial = {"query": inbox.default_query(compound), "active": True}
    if current:
        initial = {"query": current.query, "active": current.active}
    form = WatchForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not form.is_valid():
            context = {"compound": compound, "watch": current, "form": form}
            return TemplateResponse(request, "editor/watch.html", context, status=400)
        saved = inbox.save_watch(
            compound=compound,
            query=form.cleaned_data["query"].strip(),
            active=form.cleaned_data["active"],
        )
        if "run" in request.POST:
            return redirect("editor:job", pk=start_watch(saved, user=request.user).pk)
        messages.success(request, f"Saved the PubMed query for {compound}.")
        return redirect("editor:watch", slug=slug)
    context = {"compound": compound, "watch": current, "form": form}
    return TemplateResponse(request, "editor/watch.html", context)


@require_POST
@editor_required
def follow(request, slug):
    """Follow a compound (its new evidence and verdict changes in your e-mail digest), or stop."""
    compound = get_object_or_404(Compound, slug=slug)
    following = inbox.set_following(user=request.user, compound=compound, on="on" in request.POST)
    state = "now follow" if following else "no longer follow"
    messages.success(request, f"You {state} {compound}.")
    return redirect("editor:inbox")
