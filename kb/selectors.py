"""Reads shared by the pages and the API: what a visitor may see, in the order they see it."""

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from kb.articles import ListedReference
from kb.models import Citation, Claim, Compound, Evidence
from kb.vocabulary import ClaimKind, ClaimStatus, Flag, Verdict
from studies.designs import RANK
from studies.models import Study


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


def has_flag(code: str) -> Q:
    """Claims whose `flags` list holds `code`. A match on the list's JSON text, quotes included
    (so a code never matches inside a longer one): the same SQL on PostgreSQL and on SQLite,
    which has no JSON containment lookup. Flag codes are lower-case, so case does not matter."""
    return Q(flags__icontains=f'"{code}"')


def filter_claims(claims: QuerySet, filters: ClaimFilters) -> QuerySet:
    """The claims matching every chosen filter, in SQL: the page shows one slice of them."""
    if filters.verdict:
        claims = claims.filter(verdict=filters.verdict)
    if filters.kind:
        claims = claims.filter(kind=filters.kind)
    if filters.flag:
        claims = claims.filter(has_flag(filters.flag))
    return claims


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


@dataclass(frozen=True)
class ClaimCounts:
    """How many of a compound's claims have each verdict, kind and flag: (code, label, count)
    for every value some claim has, in the vocabulary's order."""

    total: int
    verdict: list[tuple[str, str, int]]
    kind: list[tuple[str, str, int]]
    flag: list[tuple[str, str, int]]


def claim_counts(claims: QuerySet) -> ClaimCounts:
    """The verdict table's and the filter menus' counts over all of `claims`, in one aggregate
    query whatever their number (the page itself shows only a slice)."""
    conditions = {
        "verdict": {code: Q(verdict=code) for code in Verdict.values},
        "kind": {code: Q(kind=code) for code in ClaimKind.values},
        "flag": {code: has_flag(code) for code in Flag.values},
    }
    row = claims.order_by().aggregate(
        total=Count("pk"),
        **{
            f"{name}_{code}": Count("pk", filter=condition)
            for name, by_code in conditions.items()
            for code, condition in by_code.items()
        },
    )
    labels = {
        "verdict": lambda code: Verdict(code).label,
        "kind": lambda code: ClaimKind(code).label,
        "flag": lambda code: FLAG_FILTER_LABELS.get(code, Flag(code).label),
    }
    present = {
        name: [
            (code, labels[name](code), row[f"{name}_{code}"])
            for code in by_code
            if row[f"{name}_{code}"]
        ]
        for name, by_code in conditions.items()
    }
    return ClaimCounts(total=row["total"], **present)


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


def search_stored(text: str, *, limit: int = 20) -> list[Study]:
    """Stored studies whose title, journal, PMID or DOI matches every word typed."""
    words = text.split()
    if not words:
        return []
    queryset = Study.objects.all()
    for word in words[:8]:
        queryset = queryset.filter(
            Q(title__icontains=word) | Q(journal__icontains=word) | Q(pmid=word) | Q(doi=word)
        )
    return list(queryset.order_by("-year", "title")[:limit])


def stored_studies(references: Iterable[ListedReference]) -> dict[int, Study]:
    """The stored study of each listed reference that has one, by reference number (one
    query); a PMID match wins over a DOI match."""
    references = list(references)
    known = Study.objects.by_identifier(
        pmids=[r.pmid for r in references], dois=[r.doi for r in references]
    )
    found = {}
    for reference in references:
        study = known.get(("pmid", reference.pmid)) or known.get(("doi", reference.doi))
        if study is not None:
            found[reference.number] = study
    return found
