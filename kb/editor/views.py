"""The workbench's views: thin wrappers that check the permission, validate a form, call one
kb.services.claims service and answer an htmx request with a partial of editor/claim.html or a
normal request with a redirect (POST/redirect/GET), so every form works without JavaScript."""

from dataclasses import asdict
from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import Truncator
from django.views.decorators.http import require_POST, require_safe
from django_htmx.http import HttpResponseClientRedirect, reswap, retarget

from kb import grading, published_state, roles, selectors, study_lookup
from kb.editor.forms import (
    AddEvidenceForm,
    ClaimForm,
    GradingForm,
    MoveAppearanceForm,
    OverrideForm,
    OverstatedForm,
    PublishForm,
    QueueFilterForm,
    StudySearchForm,
    VersionForm,
)
from kb.editor.queue import review_queue
from kb.history import claim_history
from kb.models import Appearance, Citation, Claim, Evidence
from kb.partials import render_partial
from kb.services import claims
from studies.models import heavy_fields
from studies.records import StudyRecord

TEMPLATE = "editor/claim.html"
SESSION_RECORDS = "editor_fetched_records"
KEPT_RECORDS = 5  # fetched records kept in the session for "add this study"
CLAIM_LABEL = 90
ACCESS_KEY_E = {
    "accesskey": "e",
    "aria-keyshortcuts": "Alt+Shift+E",
}  # characters of a statement in the "move this sentence to" menu


def editor_required(view):
    """Editors (and administrators) only: others are sent to sign in (GET) or refused (403)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.user.has_perm(roles.EDIT_CLAIMS):
            return view(request, *args, **kwargs)
        if request.user.is_authenticated or request.method not in ("GET", "HEAD"):
            raise PermissionDenied("Only editors can use the workbench.")
        if request.htmx:
            return HttpResponseClientRedirect(reverse("login") + f"?next={request.path}")
        return redirect_to_login(request.get_full_path())

    return wrapped


# ---------------------------------------------------------------------------------------------
# Building the workbench page


def _fetched_records(request) -> dict:
    return request.session.get(SESSION_RECORDS, {})


def _keep_record(request, record: StudyRecord) -> str:
    key = f"{'pmid' if record.pmid else 'doi'}:{record.pmid or record.doi}"
    kept = {k: v for k, v in _fetched_records(request).items() if k != key}
    kept[key] = asdict(record)
    request.session[SESSION_RECORDS] = dict(list(kept.items())[-KEPT_RECORDS:])
    return key


def _other_claims(claim: Claim) -> list[tuple[int, str]]:
    """(id, label) of the compound's other claims, by statement: where a sentence can move."""
    others = (
        Claim.objects.filter(compound_id=claim.compound_id)
        .exclude(pk=claim.pk)
        .order_by("statement", "pk")
        .values_list("pk", "statement")
    )
    return [(pk, f"{pk}: {Truncator(text).chars(CLAIM_LABEL)}") for pk, text in others]


def _appearances(claim: Claim) -> list[Appearance]:
    """The sentences making the claim with their pages and citations (and the studies those
    resolve to), in three queries however many there are."""
    citations = Citation.objects.select_related("reference__study").defer(
        *heavy_fields("reference__study__")
    )
    return list(
        claim.appearances.select_related("source").prefetch_related(
            Prefetch("citations", queryset=citations)
        )
    )


def _version_inputs(forms, rows, sentences, can_move: bool) -> list[tuple[str, str]]:
    """(id, name) of every version input that outlives a save on the workbench page.

    Each form owns its version input, with an id of its own; after a save the "oob" partial
    replaces each one by that id, keeping its name ("version", or "ap12-move_version" for a
    sentence's prefixed form). The status section's one-button forms are re-rendered whole with
    every save, and adding a found study is not checked against the version (it overwrites
    nothing). The evidence rows are part of the grading form, whose version is the judgements'.
    """
    fields = [form["version"] for form in forms]
    for sentence in sentences:
        fields.append(sentence["overstated_form"]["version"])
        if can_move:
            fields.append(sentence["move_form"]["version"])
    inputs = [(field.auto_id, field.html_name) for field in fields]
    inputs += [(f"ev{row['evidence'].pk}-remove-version", "version") for row in rows]
    return inputs


def workbench(claim: Claim, *, bound: dict | None = None, **extra) -> dict:
    """Everything editor/claim.html shows; `bound` holds submitted forms to show again."""
    bound = bound or {}
    appearances = _appearances(claim)
    other_claims = _other_claims(claim) if appearances else []
    sentences = [
        {
            "appearance": appearance,
            "overstated_form": bound.get(f"ap{appearance.pk}-overstated")
            or OverstatedForm.for_appearance(appearance, claim.version),
            "move_form": bound.get(f"ap{appearance.pk}-move")
            or MoveAppearanceForm.for_appearance(appearance, claim.version, other_claims),
        }
        for appearance in appearances
    ]
    evidence = list(selectors.evidence_in_ladder_order(claim.evidence.all()))
    grading_form = GradingForm(claim=claim, evidence=evidence)
    if submitted := bound.get("grading"):
        grading_form.judgements = submitted.judgements
        grading_form.publishing = submitted.publishing
        grading_form.rows |= submitted.rows
    rows = [{"evidence": ev, "form": grading_form.rows[ev.pk]} for ev in evidence]
    if rows:  # the E shortcut: the first study's stance
        rows[0]["form"].fields["stance"].widget.attrs.update(ACCESS_KEY_E)
    result = claim.compute_grade(evidence)
    forms = {
        "claim_form": bound.get("claim_fields") or ClaimForm.for_claim(claim),
        "judgements_form": grading_form.judgements,
        "override_form": bound.get("override") or OverrideForm.for_claim(claim),
    }
    publish_form = bound.get("publish") or PublishForm(initial={"version": claim.version})
    return {
        "claim": claim,
        "rows": rows,
        "grade": result,
        "summary_sentence": grading.grade26_sentence(
            claim.verdict,
            claim.certainty,
            claim.statement,
            human_evidence=result.best_level is not None or not claim.is_graded,
        ),
        "can_grade": any(ev.stance for ev in evidence),
        # Edits to a published claim are a draft: readers see the last publication.
        "unpublished_changes": published_state.unpublished_changes(claim, evidence),
        "published_on": published_state.published_at(claim),
        **forms,
        "publish_form": publish_form,
        "publish_now_form": grading_form.publishing,
        "version_inputs": _version_inputs(
            [*forms.values(), publish_form], rows, sentences, bool(other_claims)
        ),
        "search_form": StudySearchForm(),
        "version_form": VersionForm(initial={"version": claim.version}),
        "sentences": sentences,
        "pages": len({appearance.source_id for appearance in appearances}),
        "can_move": bool(other_claims),
        **extra,
    }


def _claim(pk) -> Claim:
    return get_object_or_404(Claim.objects.select_related("compound", "topic"), pk=pk)


def _page_url(claim: Claim, anchor: str) -> str:
    return f"{reverse('editor:claim', args=[claim.pk])}#{anchor}"


def _write(request, pk, form, change, *, partial: str, anchor: str, done: str, key=None):
    """Validate `form`, call `change(cleaned_data)` (a kb.services.claims service) and answer.

    htmx: the partial `partial`, plus out-of-band updates of the verdict, status, messages and
    every version input. Without JavaScript: a redirect back to the section. A stale version
    answers 409 and shows what happened, keeping the editor's input; nothing is written.
    """
    claim = _claim(pk)
    key = key or partial
    if not form.is_valid():
        context = workbench(claim, bound={key: form}, notice="Please correct the errors below.")
        return render_partial(request, TEMPLATE, context | {"oob": partial}, partial=partial)
    try:
        claim = change(form.cleaned_data)
    except claims.Conflict as conflict:
        return _conflict(request, conflict, form, key)
    except claims.Refused as refused:
        return _refused(request, claim, str(refused), anchor)
    if not request.htmx:
        messages.success(request, done)
        return redirect(_page_url(claim, anchor))
    context = workbench(claim, notice=done, oob=partial)
    return TemplateResponse(request, f"{TEMPLATE}#{partial}", context)


def _conflict(request, conflict: claims.Conflict, form, key: str):
    claim = _claim(conflict.claim.pk)
    context = workbench(claim, bound={key: form}, conflict=conflict)
    if request.htmx:
        response = TemplateResponse(request, f"{TEMPLATE}#conflict", context, status=409)
        return reswap(retarget(response, "#editor-messages"), "innerHTML")
    return TemplateResponse(request, TEMPLATE, context, status=409)


def _refused(request, claim: Claim, message: str, anchor: str):
    if request.htmx:
        context = workbench(claim, refusal=message)
        response = TemplateResponse(request, f"{TEMPLATE}#messages", context)
        return reswap(retarget(response, "#editor-messages"), "outerHTML")
    messages.error(request, message)
    return redirect(_page_url(claim, anchor))


# ---------------------------------------------------------------------------------------------
# Pages


@require_safe
@editor_required
def queue(request):
    """The review queue: claims needing an editor, filtered by state, compound, source or flag."""
    form = QueueFilterForm(request.GET or None)
    filters = form.cleaned_data if form.is_valid() else {}
    found = review_queue(**{k: v for k, v in filters.items() if v})
    return TemplateResponse(request, "editor/queue.html", {"form": form, "queue": found})


@require_safe
@editor_required
def claim_page(request, pk):
    """The workbench for one claim: statement, the sentences making it, evidence, judgements,
    verdict, publication."""
    return TemplateResponse(request, TEMPLATE, workbench(_claim(pk)))


@require_safe
@editor_required
def claim_history_page(request, pk):
    """Every recorded change to the claim, its evidence, studies and source."""
    claim = _claim(pk)
    entries = claim_history(claim)
    return TemplateResponse(request, "kb/history.html", {"claim": claim, "entries": entries})


@require_safe
@editor_required
def find_study(request, pk):
    """Stored studies matching the search, or the record fetched for a PMID, DOI or URL."""
    claim = _claim(pk)
    form = StudySearchForm(request.GET)
    lookup = study_lookup.look_up(form.cleaned_data["q"]) if form.is_valid() else None
    record_key = _keep_record(request, lookup.record) if lookup and lookup.record else None
    context = workbench(claim, search_form=form, lookup=lookup, record_key=record_key)
    return render_partial(request, TEMPLATE, context, partial="study_results")


# ---------------------------------------------------------------------------------------------
# Writes (POST only, editors only)


@require_POST
@editor_required
def update_claim(request, pk):
    """Save the statement, kind, topic, population, outcome and the editor's flags."""
    form = ClaimForm(request.POST)
    return _write(
        request,
        pk,
        form,
        lambda data: claims.update_claim(claim_id=pk, user=request.user, **form.values()),
        partial="claim_fields",
        anchor="claim-fields",
        done="Claim saved.",
    )


@require_POST
@editor_required
def set_overstated(request, pk, appearance_pk):
    """Judge one sentence making the claim overstated (it says more than the statement) or
    not; its flags follow, the claim's grade does not change."""
    appearance = get_object_or_404(Appearance, pk=appearance_pk, claim_id=pk)
    form = OverstatedForm(request.POST, appearance_id=appearance.pk)
    word = "overstated" if form.is_valid() and form.cleaned_data["overstated"] else "not overstated"
    return _write(
        request,
        pk,
        form,
        lambda data: claims.set_overstated(
            claim_id=pk,
            appearance_id=appearance.pk,
            version=data["version"],
            user=request.user,
            overstated=data["overstated"],
        ),
        partial="appearances",
        anchor=f"ap-{appearance.pk}",
        done=f"Marked the sentence {word}.",
        key=f"ap{appearance.pk}-overstated",
    )


@require_POST
@editor_required
def move_appearance(request, pk, appearance_pk):
    """Move one sentence to another claim of the same compound, with its citations; both
    claims are regraded."""
    appearance = get_object_or_404(Appearance, pk=appearance_pk, claim_id=pk)
    claim = _claim(pk)
    form = MoveAppearanceForm(
        request.POST, appearance_id=appearance.pk, claims=_other_claims(claim)
    )
    target = form.cleaned_data["to_claim"] if form.is_valid() else None
    return _write(
        request,
        pk,
        form,
        lambda data: claims.move_appearance(
            claim_id=pk,
            appearance_id=appearance.pk,
            version=data["version"],
            user=request.user,
            to_claim_id=data["to_claim"],
        ),
        partial="appearances",
        anchor="appearances",
        done=f"Moved the sentence to claim {target}.",
        key=f"ap{appearance.pk}-move",
    )


@require_POST
@editor_required
def add_evidence(request, pk):
    """Link a stored study, or store a fetched record and link it; it starts unweighed."""
    form = AddEvidenceForm(request.POST)

    def change(data):
        record = None
        if data["record"]:
            stored = _fetched_records(request).get(data["record"])
            if stored is None:
                raise claims.Refused("That fetched record has expired: search for it again.")
            record = StudyRecord(**stored)
        return claims.add_evidence(
            claim_id=pk,
            version=data["version"],
            user=request.user,
            study_id=data["study"],
            record=record,
        )

    return _write(
        request,
        pk,
        form,
        change,
        partial="grading",
        anchor="grading",
        done="Study added.",
        key="add_evidence",
    )


@require_POST
@editor_required
def remove_evidence(request, pk, evidence_pk):
    """Unlink a study from the claim (its last weighing stays in the history)."""
    evidence = get_object_or_404(Evidence, pk=evidence_pk, claim_id=pk)
    return _write(
        request,
        pk,
        VersionForm(request.POST),
        lambda data: claims.remove_evidence(
            claim_id=pk, evidence_id=evidence.pk, version=data["version"], user=request.user
        ),
        partial="grading",
        anchor="grading",
        done="Study removed from this claim.",
        key="remove_evidence",
    )


@require_POST
@editor_required
def save_grading(request, pk):
    """Save the weighing of every evidence row and the GRADE judgements in one step (with "Save
    and mark graded", also mark the claim graded: all or nothing); the verdict panel follows."""
    claim = _claim(pk)
    and_publish = "publish" in request.POST
    and_grade = "grade" in request.POST or and_publish
    form = GradingForm(
        request.POST,
        claim=claim,
        evidence=claim.evidence.select_related("study"),
        publish=and_publish,
    )
    if and_publish:
        done = "Saved, marked graded and published: readers see this claim as it now stands."
    else:
        done = "Saved and marked graded." if and_grade else "Weighings and judgements saved."
    return _write(
        request,
        pk,
        form,
        lambda data: claims.save_grading(
            claim_id=pk,
            version=data["version"],
            user=request.user,
            weighings=form.weighings(),
            judgements=form.judgements.judgements(),
            and_grade=and_grade,
            publish_reason=form.public_reason() if and_publish else "",
        ),
        partial="grading",
        anchor="grading",
        done=done,
    )


@require_POST
@editor_required
def override_verdict(request, pk):
    """Set or remove the editor's override of the derived verdict, with a rationale."""
    return _write(
        request,
        pk,
        OverrideForm(request.POST),
        lambda data: claims.override_verdict(
            claim_id=pk,
            version=data["version"],
            user=request.user,
            verdict=data["verdict"] or None,
            rationale=data["rationale"],
        ),
        partial="override",
        anchor="override",
        done="Override saved.",
    )


def _status_change(service, done: str):
    """A view for a one-button change of the claim's state (mark graded, unpublish)."""

    @require_POST
    @editor_required
    def view(request, pk):
        return _write(
            request,
            pk,
            VersionForm(request.POST),
            lambda data: service(claim_id=pk, version=data["version"], user=request.user),
            partial="status",
            anchor="status",
            done=done,
        )

    view.__doc__ = service.__doc__.splitlines()[0]
    return view


mark_graded = _status_change(claims.mark_graded, "Marked graded.")


@require_POST
@editor_required
def publish(request, pk):
    """Publish the claim as it stands, with the public reason readers see in its changelog."""
    return _write(
        request,
        pk,
        PublishForm(request.POST),
        lambda data: claims.publish(
            claim_id=pk, version=data["version"], user=request.user, reason=data["reason"]
        ),
        partial="status",
        anchor="status",
        done="Published: readers see this claim as it now stands, with your reason.",
        key="publish",
    )


unpublish = _status_change(claims.unpublish, "Unpublished: back to draft.")
