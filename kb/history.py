"""Reading the change history (django-simple-history): who changed what, when and why.

The editors' history page lists every recorded change to a claim, its evidence links, the
studies they weigh, the sentences (appearances) that make it and the pages they are on; the
public claim page shows only how its verdict changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from difflib import SequenceMatcher
from itertools import pairwise

from django.conf import settings
from django.db.models import F
from django.utils.text import Truncator

from kb.models import Appearance, Claim, Evidence, Source
from kb.selectors import public_changes
from kb.vocabulary import Certainty, ClaimStatus, Flag, Indirectness, Verdict
from studies.models import Study

# Bookkeeping fields that change on every save and tell a reader nothing.
HIDDEN_FIELDS = frozenset({"version", "updated_at", "created_at", "raw_record"})
CHANGE_TYPES = {"+": "created", "~": "changed", "-": "deleted"}


@dataclass(frozen=True)
class FieldChange:
    field: str  # the field's verbose name
    old: str
    new: str


@dataclass(frozen=True)
class Entry:
    """One recorded change to one object."""

    when: datetime
    who: str
    what: str  # "Claim 12", "Evidence: Lang et al. 2013", "Study: ..."
    change_type: str  # created | changed | deleted
    reason: str
    changes: tuple[FieldChange, ...]


# JSON list fields whose items are vocabulary codes, shown by their labels.
LIST_LABELS = {
    "flags": dict(Flag.choices),
    "editor_flags": dict(Flag.choices),
    "indirectness": dict(Indirectness.choices),
}


def _shown(field, value) -> str:
    """A stored value as a reader would say it: labels for codes, dates without microseconds."""
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, list):
        labels = LIST_LABELS.get(field.name, {})
        return ", ".join(str(labels.get(item, item)) for item in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return f"{value:%Y-%m-%d %H:%M} UTC"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    return str(value)


SHORT = 160  # characters: a value up to this long is shown whole
CONTEXT = 6  # words kept either side of a changed passage
MAX_PASSAGES = 3  # changed passages shown per field; the rest are counted


def person(user) -> str:
    """How the history names a user: the full name when there is one, else the username."""
    if user is None:
        return "system"
    return user.get_full_name() or user.get_username()


class Names:
    """Labels of the rows that foreign keys point at ("Graded by: — → Edith Editor", not "→ 1"),
    each looked up once per page."""

    def __init__(self):
        self.cache: dict[tuple[type, object], str] = {}

    def label(self, field, pk) -> str:
        key = (field.related_model, pk)
        if key not in self.cache:
            obj = field.related_model._default_manager.filter(pk=pk).first()
            if obj is None:
                self.cache[key] = f"{field.related_model._meta.verbose_name} {pk} (deleted)"
            elif hasattr(obj, "get_username"):
                self.cache[key] = person(obj)
            else:
                self.cache[key] = Truncator(str(obj)).chars(80)
        return self.cache[key]


def short_diff(old: str, new: str) -> tuple[str, str]:
    """Two long texts as only the passages that differ, with a few words around each: the
    history never repeats a whole article to show that one sentence changed."""
    if len(old) <= SHORT and len(new) <= SHORT:
        return old, new
    before, after = old.split(), new.split()
    passages = [
        op
        for op in SequenceMatcher(None, before, after, autojunk=False).get_opcodes()
        if op[0] != "equal"
    ]
    if not passages:  # only the spacing changed
        return "(spacing only)", "(spacing only)"

    def excerpt(words, start, end):
        lo, hi = max(start - CONTEXT, 0), min(end + CONTEXT, len(words))
        text = Truncator(" ".join(words[start:end])).chars(SHORT) if end > start else "∅"
        head = ("…" if lo > 0 else "") + " ".join(words[lo:start])
        tail = " ".join(words[end:hi]) + ("…" if hi < len(words) else "")
        return " ".join(part for part in (head, f"[{text}]", tail) if part)

    shown_old, shown_new = [], []
    for _, i1, i2, j1, j2 in passages[:MAX_PASSAGES]:
        shown_old.append(excerpt(before, i1, i2))
        shown_new.append(excerpt(after, j1, j2))
    more = len(passages) - MAX_PASSAGES
    suffix = f" (and {more} more change{'s' if more > 1 else ''})" if more > 0 else ""
    return " / ".join(shown_old) + suffix, " / ".join(shown_new) + suffix


def _field_changes(record, previous, names: Names) -> tuple[FieldChange, ...]:
    if previous is None:
        return ()
    delta = record.diff_against(previous, excluded_fields=HIDDEN_FIELDS)
    changes = []
    for change in delta.changes:
        field = record.instance_type._meta.get_field(change.field)
        if field.many_to_one:
            old, new = (
                "—" if value is None else names.label(field, value)
                for value in (change.old, change.new)
            )
        else:
            old, new = short_diff(_shown(field, change.old), _shown(field, change.new))
        changes.append(FieldChange(field=str(field.verbose_name), old=old, new=new))
    return tuple(changes)


def _entries(records, label, names: Names) -> list[Entry]:
    """Entries for one object's history records, oldest first."""
    records = sorted(records, key=lambda r: (r.history_date, r.history_id))
    entries = []
    previous = None
    for record in records:
        changes = _field_changes(record, previous, names)
        previous = record
        # A save that changed nothing visible (a version bump, a regrade to the same grade)
        # would only add noise, unless it says why it happened.
        if record.history_type == "~" and not changes and not record.history_change_reason:
            continue
        user = record.history_user
        entries.append(
            Entry(
                when=record.history_date,
                who=person(user),
                what=label(record),
                change_type=CHANGE_TYPES.get(record.history_type, record.history_type),
                reason=record.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


def _by_object(records) -> dict[int, list]:
    by_id: dict[int, list] = {}
    for record in records:
        by_id.setdefault(record.id, []).append(record)
    return by_id


def claim_history(claim: Claim) -> list[Entry]:
    """Every recorded change to the claim, its evidence (also removed links), the studies those
    links weigh, its appearances (also one moved to another claim since, with that move) and
    the sources they are on, newest first."""
    names = Names()
    entries = _entries(
        Claim.history.filter(id=claim.pk).select_related("history_user"),
        lambda r: f"Claim {claim.pk}",
        names,
    )
    study_ids = set()
    evidence = Evidence.history.filter(claim_id=claim.pk).select_related("history_user", "study")
    for records in _by_object(evidence).values():
        study_ids.add(records[0].study_id)
        entries += _entries(records, lambda r: f"Evidence: {r.study}", names)
    for study in Study.objects.filter(pk__in=study_ids):
        entries += _entries(
            study.history.select_related("history_user"),
            lambda r: f"Study: {r.title[:80]}",
            names,
        )
    # An appearance's whole history, once it has been this claim's: its move to another claim
    # is a change on this one's record too.
    ever_here = Appearance.history.filter(claim_id=claim.pk).values("id")
    appearances = Appearance.history.filter(id__in=ever_here).select_related("history_user")
    source_ids = set()
    for records in _by_object(appearances).values():
        source_ids.update(record.source_id for record in records)
        entries += _entries(records, lambda r: f"Sentence: {r.quote[:80]}", names)
    for source in Source.objects.filter(pk__in=source_ids):
        entries += _entries(
            source.history.select_related("history_user"),
            lambda r: f"Source: {r.title[:80]}",
            names,
        )
    return sorted(entries, key=lambda entry: entry.when, reverse=True)


@dataclass(frozen=True)
class VerdictChange:
    """One publication as the public changelog tells it."""

    when: datetime
    old: str | None  # verdict label readers saw before; None on the first publication
    new: str
    reason: str  # the editor's public reason
    old_certainty: str | None = None
    new_certainty: str | None = None
    credit: str = ""  # the editor's name, or their role (settings.PUBLIC_CREDIT)

    @property
    def verdict_changed(self) -> bool:
        return self.old is not None and self.old != self.new


def verdict_changes(rows: list[dict]) -> list[VerdictChange]:
    """How the verdict changed while published, oldest first, from history rows (dicts with
    history_date, verdict, status and history_change_reason, oldest first). The editors'
    digest reads this; readers' changelogs read the public reasons (public_changes).

    Only published states count: a claim graded and regraded as a draft was never seen, so its
    first published verdict is the starting point. The reason is the one given where the verdict
    actually changed (a change made while unpublished is reported on republication)."""
    changes = []
    shown = None  # the verdict readers last saw
    pending_reason = ""
    for previous, row in pairwise([None, *rows]):
        if previous is not None and row["verdict"] != previous["verdict"]:
            pending_reason = row["history_change_reason"] or ""
        if row["status"] != ClaimStatus.PUBLISHED:
            continue
        if shown is not None and row["verdict"] != shown:
            changes.append(
                VerdictChange(
                    when=row["history_date"],
                    old=Verdict(shown).label,
                    new=Verdict(row["verdict"]).label,
                    reason=pending_reason,
                )
            )
        shown = row["verdict"]
    return changes


def public_credit(user) -> str:
    """Who readers are told published a change: the editor's name, or only "an editor" when
    the site credits roles (settings.PUBLIC_CREDIT = "role")."""
    if settings.PUBLIC_CREDIT == "name" and user is not None:
        return person(user)
    return "an editor"


def public_changelog(claim: Claim) -> list[VerdictChange]:
    """The public claim page's changelog: every publication of the claim, newest first."""
    return [_told(change) for change in public_changes(claim)]


def _told(change) -> VerdictChange:
    def certainty(code):
        return Certainty(code).label.lower() if code else None

    return VerdictChange(
        when=change.at,
        old=Verdict(change.old_verdict).label if change.old_verdict else None,
        new=Verdict(change.new_verdict).label,
        old_certainty=certainty(change.old_certainty),
        new_certainty=certainty(change.new_certainty),
        reason=change.reason,
        credit=public_credit(change.editor),
    )


@dataclass(frozen=True)
class PublishedChange:
    """One verdict change readers saw, with the claim it happened to."""

    claim: Claim
    change: VerdictChange


def site_changelog(*, compound=None, limit: int = 50) -> list[PublishedChange]:
    """Verdict changes of published claims (of one compound, or all), newest first, each with
    the reason its editor published it with (kb.selectors.public_changes); first publications
    are not changes and are left out. One query."""
    changes = public_changes().exclude(old_verdict=None).exclude(old_verdict=F("new_verdict"))
    if compound is not None:
        changes = changes.filter(claim__compound=compound)
    return [PublishedChange(change.claim, _told(change)) for change in changes[:limit]]
