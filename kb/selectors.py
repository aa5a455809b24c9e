"""Reads shared by the pages and the API: what a visitor may see, in the order they see it."""

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce

from kb.models import Citation, Claim, Compound, Evidence
from kb.vocabulary import ClaimStatus, Verdict
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
