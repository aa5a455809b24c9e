"""What readers see of a published claim: the state it had when an editor last published it.

Editing a published claim works on the draft of its next version (the claim's own columns and
evidence rows, which the workbench shows); `publish` stores the claim's public state in
`Claim.published` inside its transaction and `unpublish` clears it. Every public reader (claim
and compound pages, both APIs, the downloads, search and JSON-LD) passes the claims it loaded
through `show_published`, which puts that state back on them, so readers keep seeing the last
published version until an editor publishes the change with a public reason.

Facts no editor controls still reach readers at once: the studies are read live (a retraction
shows on the public page), and a claim whose evidence became retracted keeps that flag.
"""

from collections.abc import Iterable, Iterator
from copy import copy
from datetime import datetime
from itertools import islice

from kb.vocabulary import Flag
from studies.designs import RANK

# The claim's columns readers see; the workbench's draft may differ in any of them.
PUBLIC_FIELDS = (
    "statement",
    "kind",
    "population",
    "outcome",
    "topic_id",
    "computed_verdict",
    "verdict",
    "certainty",
    "flags",
    "rationale",
    "verdict_override",
    "override_rationale",
    "risk_of_bias",
    "risk_of_bias_reason",
    "inconsistency",
    "inconsistency_reason",
    "indirectness",
    "indirectness_reason",
    "imprecision",
    "imprecision_reason",
    "publication_bias",
    "publication_bias_reason",
    "large_effect",
    "large_effect_reason",
    "dose_response",
    "dose_response_reason",
)
EVIDENCE_FIELDS = ("stance", "indirectness", "harm", "note")

# How the workbench names a changed field in its "unpublished changes" summary.
FIELD_LABELS = {
    "topic_id": "topic",
    "computed_verdict": None,  # said by "verdict"
    "verdict_override": "verdict override",
    "override_rationale": "override rationale",
    "risk_of_bias": "risk of bias",
    "publication_bias": "publication bias",
    "large_effect": "large effect",
    "dose_response": "dose-response",
}


def snapshot(claim, evidence: Iterable, at: datetime) -> dict:
    """The claim's public state as JSON: its public columns and its evidence rows (study id,
    stance, indirectness, harm, note). Plain attribute reads: the data migration uses it on
    historical models."""
    return {
        "at": at.isoformat(),
        "graded_at": claim.graded_at.isoformat() if claim.graded_at else None,
        **{name: getattr(claim, name) for name in PUBLIC_FIELDS},
        "evidence": [
            {"study_id": ev.study_id, **{name: getattr(ev, name) for name in EVIDENCE_FIELDS}}
            for ev in sorted(evidence, key=lambda ev: ev.study_id)
        ],
    }


def published_at(claim) -> datetime | None:
    state = claim.published
    return datetime.fromisoformat(state["at"]) if state else None


def _public_evidence(claim_id: int, state: dict, live: list, studies: dict) -> list:
    """The published evidence rows as Evidence objects (unsaved copies of the live rows, or new
    ones for rows removed since), with the live studies, in ladder order."""
    from kb.models import Evidence

    by_study = {ev.study_id: ev for ev in live}
    rows = []
    for row in state["evidence"]:
        source = by_study.get(row["study_id"])
        if source is not None:
            # A copy: the live row (with its study and annotations) stays the draft's.
            ev = copy(source)
        else:
            ev = Evidence(claim_id=claim_id, study=studies[row["study_id"]])
            ev.cited_by_source = False  # removed from the draft: its citations are unknown
        for name in EVIDENCE_FIELDS:
            setattr(ev, name, row[name])
        rows.append(ev)
    order = {ev.study_id: n for n, ev in enumerate(live)}
    if all(ev.study_id in order for ev in rows):
        rows.sort(key=lambda ev: order[ev.study_id])  # the database's order, as loaded
    else:
        rows.sort(key=ladder_key)
    return rows


def ladder_key(ev) -> tuple:
    """kb.selectors.evidence_in_ladder_order's order, in Python, for anything with a `study`
    (design, year, title)."""
    return (RANK.get(ev.study.design, len(RANK)), -(ev.study.year or 0), ev.study.title)


def show_published(claims: Iterable, *, evidence_attr: str = "ordered_evidence") -> list:
    """Put each published claim's published state on it (claims without one are left as they
    are). `evidence_attr`: the attribute holding the claim's loaded evidence (with studies),
    replaced by the published rows; a claim without it gets only its columns. At most two
    queries whatever the number of claims, and none when no published claim has a draft that
    removed evidence or changed its topic."""
    from kb.models import Topic
    from studies.models import Study, heavy_fields

    claims = list(claims)
    states = [(claim, claim.published) for claim in claims if claim.published]
    missing, topics = set(), set()
    for claim, state in states:
        live = {ev.study_id for ev in getattr(claim, evidence_attr, None) or ()}
        if hasattr(claim, evidence_attr):
            missing |= {row["study_id"] for row in state["evidence"]} - live
        if state["topic_id"] != claim.topic_id and state["topic_id"]:
            topics.add(state["topic_id"])
    studies = Study.objects.defer(*heavy_fields()).in_bulk(missing) if missing else {}
    topics = Topic.objects.in_bulk(topics) if topics else {}
    for claim, state in states:
        retracted = Flag.RETRACTED_EVIDENCE in (claim.flags or [])
        if state["topic_id"] != claim.topic_id:
            claim.topic = topics.get(state["topic_id"])
        for name in PUBLIC_FIELDS:
            setattr(claim, name, state[name])
        if retracted and Flag.RETRACTED_EVIDENCE not in claim.flags:
            claim.flags = [*claim.flags, Flag.RETRACTED_EVIDENCE]
        graded_at = state.get("graded_at")
        claim.graded_at = datetime.fromisoformat(graded_at) if graded_at else claim.graded_at
        if hasattr(claim, evidence_attr):
            live = getattr(claim, evidence_attr)
            setattr(claim, evidence_attr, _public_evidence(claim.pk, state, live, studies))
    return claims


def published_weighings(claims: list, live: Iterable) -> list[tuple]:
    """(claim id, study id, stance) of every evidence row readers see of `claims`, given their
    live rows as such tuples: a published claim's rows from its published state, the others'
    live rows. No query and no model instances, for a reader that needs only who weighed what
    (the compound overview, over every claim)."""
    stated = {claim.pk: claim.published for claim in claims if claim.published}
    rows = [row for row in live if row[0] not in stated]
    for claim_id, state in stated.items():
        rows.extend((claim_id, row["study_id"], row["stance"]) for row in state["evidence"])
    return rows


def published_links(evidence: Iterable) -> list:
    """Evidence rows of several claims (each with its `claim` loaded), as readers see them: a
    published claim's rows as published (a row its draft added is left out), its claim showing
    its published state. No query."""
    evidence = list(evidence)
    show_published({ev.claim_id: ev.claim for ev in evidence}.values())
    shown = []
    for ev in evidence:
        state = ev.claim.published
        if not state:
            shown.append(ev)
            continue
        rows = {row["study_id"]: row for row in state["evidence"]}
        if ev.study_id in rows:
            ev = copy(ev)
            for name in EVIDENCE_FIELDS:
                setattr(ev, name, rows[ev.study_id][name])
            shown.append(ev)
    return shown


def show_published_in_chunks(claims: Iterable, size: int) -> Iterator:
    """show_published over an iterator, `size` claims at a time (the downloads stream)."""
    claims = iter(claims)
    while chunk := list(islice(claims, size)):
        yield from show_published(chunk)


def unpublished_changes(claim, evidence: Iterable) -> list[str]:
    """What the editors' draft changes in a published claim, as short names ("statement",
    "verdict", "evidence: study 18"); empty when the draft is what readers see."""
    state = claim.published
    if not state:
        return []
    changed = []
    for name in PUBLIC_FIELDS:
        if getattr(claim, name) != state[name]:
            label = FIELD_LABELS.get(name, name.replace("_", " "))
            if label and label not in changed:
                changed.append(label)
    if "computed verdict" in changed:
        changed.remove("computed verdict")
    public = {row["study_id"]: row for row in state["evidence"]}
    draft = {ev.study_id: {name: getattr(ev, name) for name in EVIDENCE_FIELDS} for ev in evidence}
    for study_id in sorted(public.keys() | draft.keys()):
        if study_id not in draft:
            changed.append(f"evidence: study {study_id} removed")
        elif study_id not in public:
            changed.append(f"evidence: study {study_id} added")
        elif {k: v for k, v in public[study_id].items() if k != "study_id"} != draft[study_id]:
            changed.append(f"evidence: study {study_id} reweighed")
    return changed


def studies_readers_see_weighed(claims):
    """A filter on Study: the studies readers see weighed for these published claims. From each
    claim's published state, so a study an editor has added to the draft stays out (and one the
    draft removed stays in) until the claim is published again; from the live evidence for a
    claim stored without a state (made outside the publish service: fixtures, scale data)."""
    from django.db.models import BigIntegerField, F, Func, JSONField, Q
    from django.db.models.fields.json import KeyTextTransform
    from django.db.models.functions import Cast

    from kb.models import Evidence

    rows = Func(F("published__evidence"), function="jsonb_array_elements", output_field=JSONField())
    from_state = (
        claims.filter(published__isnull=False)
        .annotate(row=rows)
        .values_list(Cast(KeyTextTransform("study_id", "row"), BigIntegerField()), flat=True)
    )
    live = Evidence.objects.filter(claim__in=claims.filter(published__isnull=True))
    return Q(pk__in=from_state) | Q(pk__in=live.values("study_id"))
