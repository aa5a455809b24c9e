"""Reads shared by the pages and the API: what a visitor may see, in the order they see it."""

from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from kb.models import Citation, Claim, Compound, Evidence
from kb.vocabulary import ClaimKind, ClaimStatus, Flag, Verdict
from studies.designs import RANK


def evidence_in_ladder_order(queryset: QuerySet | None = None) -> QuerySet:
    """Evidence by design level (best first), then year (newest first)."""
    queryset = Evidence.objects.all() if queryset is None else queryset
    rank = Case(
        *[When(study__design=design, then=Value(order)) for design, order in RANK.items()],
        default=Value(len(RANK)),
        output_field=IntegerField(),
    )
    return (
        queryset.select_related("study")
        .annotate(design_rank=rank, year_or_zero=Coalesce("study__year", 0))
        .order_by("design_rank", "-year_or_zero", "study__title")
    )


def visible_claims(user) -> QuerySet:
    return Claim.objects.visible_to(user)


def claims_with_evidence(user, compound: Compound) -> QuerySet:
    """A compound's claims with source and ordered evidence, in a fixed number of queries."""
    return (
        visible_claims(user)
        .filter(compound=compound)
        .select_related("source")
        .prefetch_related(
            Prefetch("evidence", queryset=evidence_in_ladder_order(), to_attr="ordered_evidence")
        )
        .order_by("id")
    )


def verdict_counts(claims: list[Claim]) -> list[tuple[str, str, int]]:
    """(code, label, count) for every verdict present, in the vocabulary's order."""
    counts = {code: 0 for code in Verdict.values}
    for claim in claims:
        counts[claim.verdict] += 1
    return [(code, Verdict(code).label, n) for code, n in counts.items() if n]


# The compound page's filters: GET parameter -> the vocabulary its values come from.
CLAIM_FILTERS = {"verdict": Verdict, "kind": ClaimKind, "flag": Flag}


@dataclass(frozen=True)
class ClaimFilters:
    verdict: str = ""
    kind: str = ""
    flag: str = ""
    errors: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(self.verdict or self.kind or self.flag)


def claim_filters(params) -> ClaimFilters:
    """The verdict, kind and flag chosen in a query string; an unknown code is ignored, with a
    message saying so (a stale bookmark should still show the claims)."""
    chosen, errors = {}, []
    for name, vocabulary in CLAIM_FILTERS.items():
        value = (params.get(name) or "").strip()
        if value and value not in vocabulary.values:
            errors.append(f"There is no {name} '{value[:40]}'; showing every {name}.")
            value = ""
        chosen[name] = value
    return ClaimFilters(**chosen, errors=tuple(errors))


def filter_claims(claims: list[Claim], filters: ClaimFilters) -> list[Claim]:
    """The claims matching every chosen filter. In Python over the loaded list: flags are a JSON
    list, which SQLite cannot search, and the counts need the whole list anyway."""
    return [
        claim
        for claim in claims
        if (not filters.verdict or claim.verdict == filters.verdict)
        and (not filters.kind or claim.kind == filters.kind)
        and (not filters.flag or filters.flag in claim.flags)
    ]


# Short names for the flag filter: the full labels would make the menu wider than a phone.
FLAG_FILTER_LABELS = {
    Flag.CONTRADICTED_BY_EVIDENCE: "Contradicted by evidence",
    Flag.HARM_SIGNAL: "Harm signal",
    Flag.CITATION_MISMATCH: "Citation mismatch",
    Flag.EXTRAPOLATED: "Extrapolated",
    Flag.RETRACTED_EVIDENCE: "Retracted evidence",
    Flag.OVERSTATED: "Overstated",
    Flag.NEEDS_REREVIEW: "Needs re-review",
}


def claim_facets(claims: list[Claim]) -> dict[str, list[tuple[str, str, int]]]:
    """(code, label, count) per filter for every value some claim has, in vocabulary order."""
    kinds = {code: 0 for code in ClaimKind.values}
    flags = {code: 0 for code in Flag.values}
    for claim in claims:
        kinds[claim.kind] = kinds.get(claim.kind, 0) + 1
        for code in claim.flags:
            if code in flags:
                flags[code] += 1
    return {
        "verdict": verdict_counts(claims),
        "kind": [(code, ClaimKind(code).label, n) for code, n in kinds.items() if n],
        "flag": [
            (code, FLAG_FILTER_LABELS.get(code, Flag(code).label), n)
            for code, n in flags.items()
            if n
        ],
    }


def compounds_with_counts(user) -> QuerySet:
    published = Q(claims__status=ClaimStatus.PUBLISHED)
    queryset = Compound.objects.annotate(published_claims=Count("claims", filter=published))
    return queryset.order_by("name")


def citations_of(source, user) -> QuerySet:
    """The source's citation sites, each with its claim, reference and the resolved study."""
    claims = visible_claims(user)
    return (
        Citation.objects.filter(reference__source=source, claim__in=claims)
        .select_related("claim", "reference", "reference__study")
        .order_by("reference__number", "claim__position", "claim_id")
    )
