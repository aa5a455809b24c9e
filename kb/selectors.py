"""Reads shared by the pages and the API: what a visitor may see, in the order they see it."""

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.contrib.postgres.search import TrigramWordSimilarity
from django.db.models import (
    BigIntegerField,
    BooleanField,
    Case,
    CharField,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    IntegerField,
    JSONField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform, KeyTransform
from django.db.models.functions import Cast, Coalesce, NullIf, Upper

from kb import evidence_overview as overview
from kb import published_state
from kb.articles import ListedReference
from kb.models import Appearance, Citation, Claim, Compound, Evidence, PublicChange, Topic
from kb.vocabulary import APPEARANCE_FLAGS, ClaimKind, ClaimStatus, Flag, Stance, Verdict
from studies.designs import RANK
from studies.models import Study, heavy_fields


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
        .defer(*heavy_fields("study__"))
        .annotate(design_rank=rank, year_or_zero=Coalesce("study__year", 0))
        .order_by("design_rank", "-year_or_zero", "study__title")
    )


def visible_claims(user) -> QuerySet:
    return Claim.objects.visible_to(user)


def appearances_in_order(queryset: QuerySet | None = None) -> QuerySet:
    """Appearances by source, then place on the page, each with its source and its citations
    (reference and resolved study) in reference order."""
    queryset = Appearance.objects.all() if queryset is None else queryset
    citations = (
        Citation.objects.select_related("reference", "reference__study")
        .defer(*heavy_fields("reference__study__"))
        .order_by("reference__number", "id")
    )
    # A page's whole text (kilobytes) and the stored search vectors are never shown beside a
    # sentence; loading them made the 500-claim compound's API move megabytes (issue 16).
    return (
        queryset.select_related("source")
        .defer("search_vector", "source__text", "source__origin_note")
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("source_id", "position", "id")
    )


def _has_sentence_flag(code: str) -> Exists:
    return Exists(Appearance.objects.filter(claim=OuterRef("pk"), flags__contains=[code]))


# What a list of claims shows of each (statement, verdict, certainty, kind, flags, topic, draft
# badge), with what kb.published_state.show_published reads: the compound page's list and its
# overview load only these columns, not the grading rationale and reasons.
SHOWN_CLAIM_FIELDS = (
    "statement",
    "kind",
    "status",
    "verdict",
    "certainty",
    "flags",
    "graded_at",
    "published",
    "topic__name",
    "topic__slug",
)


def _per_claim(rows: QuerySet, counted: str = "*") -> Coalesce:
    """How many of `rows` (Appearance or Evidence rows) belong to each claim, distinct values
    of `counted` when given: a subquery per claim of the page, not a join grouped over every
    claim (which the paginator's count would then have to compute too)."""
    count = Count(counted, distinct=counted != "*")
    per_claim = rows.filter(claim=OuterRef("pk")).order_by().values("claim")
    return Coalesce(Subquery(per_claim.annotate(n=count).values("n")), 0)


def claims_with_counts(user, compound: Compound) -> QuerySet:
    """A compound's claims with topic, how many pages and sentences make each (`page_count`,
    `sentence_count`), per sentence flag how many of its sentences have it
    (`sentences_<code>`) and how many studies readers see weighed for it (`study_count`: its
    published state's rows, or its live rows when it has no state), in one query."""
    appearances = Appearance.objects.all()
    sentence_flags = {
        f"sentences_{code}": _per_claim(appearances.filter(flags__contains=[code]))
        for code in APPEARANCE_FLAGS
    }
    published_rows = Func(
        KeyTransform("evidence", "published"),
        function="jsonb_array_length",
        output_field=IntegerField(),
    )
    return (
        visible_claims(user)
        .filter(compound=compound)
        .select_related("topic")
        .only(*SHOWN_CLAIM_FIELDS)
        .annotate(
            page_count=_per_claim(appearances, "source"),
            sentence_count=_per_claim(appearances),
            study_count=Case(
                When(published__isnull=True, then=_per_claim(Evidence.objects.all())),
                default=published_rows,
            ),
            **sentence_flags,
        )
        .order_by("id")
    )


# The API and the downloads read a compound's claims this many at a time (with .iterator()):
# their memory is that of one chunk however many claims there are, for three more queries a
# chunk.
CLAIMS_PER_CHUNK = 1_000


# What the API and the downloads show of a study weighed, a sentence and what it cites: they
# list thousands of rows for a large compound, so only these columns are read (issue 16).
LISTED_STUDY_FIELDS = ("title", "doi", "pmid", "year", "design", "retracted")


def _listed_evidence(compound: Compound) -> QuerySet:
    fields = ("claim", "study", "stance", "indirectness", "harm", "note")
    # Whether a page cites the study for the claim (the manager's cited_by_source), looked for
    # among this compound's citations only: the manager's subquery over every citation is
    # hashed whole by PostgreSQL (40,000 at knowledge-base scale, most of this query's time).
    cited = Citation.objects.filter(
        appearance__claim=OuterRef("claim_id"),
        appearance__claim__compound=compound,
        reference__study=OuterRef("study_id"),
    )
    return (
        evidence_in_ladder_order()
        .annotate(cited_by_source=Exists(cited))
        .only(*fields, *(f"study__{name}" for name in LISTED_STUDY_FIELDS))
    )


def _listed_appearances() -> QuerySet:
    citations = (
        Citation.objects.select_related("reference")
        .only("appearance", "reference__number")
        .order_by("reference__number", "id")
    )
    return (
        Appearance.objects.select_related("source")
        .only("claim", "source__title", "source__url", "quote", "position", "flags")
        .prefetch_related(Prefetch("citations", queryset=citations))
        .order_by("source_id", "position", "id")
    )


def claims_with_appearances(compound: Compound) -> QuerySet:
    """A compound's published claims for the API and the downloads: topic, ordered evidence and
    ordered appearances (`ordered_appearances`, with their sources' titles and addresses and
    the numbers of the references they cite), in a fixed number of queries."""
    return (
        Claim.objects.published()
        .filter(compound=compound)
        .select_related("topic", "compound")
        .defer("search_vector", "compound__search_vector")
        .prefetch_related(
            Prefetch("evidence", queryset=_listed_evidence(compound), to_attr="ordered_evidence"),
            Prefetch("appearances", queryset=_listed_appearances(), to_attr="ordered_appearances"),
        )
        .order_by("id")
    )


def published_claims_with_appearances(compound: Compound) -> Iterator[Claim]:
    """claims_with_appearances read in chunks, each claim as readers see it (its published
    state, kb.published_state): what the API and the downloads stream."""
    return published_state.show_published_in_chunks(
        claims_with_appearances(compound).iterator(chunk_size=CLAIMS_PER_CHUNK),
        CLAIMS_PER_CHUNK,
    )


def sentence_flag_counts(claim) -> list[tuple[str, int]]:
    """(label, number of sentences) for each sentence flag some of the claim's appearances have;
    the claim comes from claims_with_counts."""
    counts = [
        (Flag(code).label, getattr(claim, f"sentences_{code}", 0)) for code in APPEARANCE_FLAGS
    ]
    return [(label, count) for label, count in counts if count]


# The compound page's filters: GET parameter -> the vocabulary its values come from (topics
# are rows, not a vocabulary: their slugs are passed in).
CLAIM_FILTERS = {"topic": None, "verdict": Verdict, "kind": ClaimKind, "flag": Flag}


@dataclass(frozen=True)
class ClaimFilters:
    topic: str = ""
    verdict: str = ""
    kind: str = ""
    flag: str = ""
    errors: tuple[str, ...] = field(default=())

    @property
    def active(self) -> bool:
        return bool(self.topic or self.verdict or self.kind or self.flag)


def claim_filters(params, topics: Iterable[Topic] | None = None) -> ClaimFilters:
    """The topic, verdict, kind and flag chosen in a query string; an unknown code is ignored,
    with a message saying so (a stale bookmark should still show the claims). `topics`: the
    topics to choose from (default: all)."""
    topics = Topic.objects.all() if topics is None else topics
    values = {
        "topic": {topic.slug for topic in topics},
        **{name: set(v.values) for name, v in CLAIM_FILTERS.items() if v is not None},
    }
    chosen, errors = {}, []
    for name in CLAIM_FILTERS:
        value = (params.get(name) or "").strip()
        if value and value not in values[name]:
            errors.append(f"There is no {name} '{value[:40]}'; showing every {name}.")
            value = ""
        chosen[name] = value
    return ClaimFilters(**chosen, errors=tuple(errors))


def public(lookup: str, value) -> Q:
    """A condition on what readers see of a claim: its published state when it has one
    (kb.published_state), else its columns (a draft, seen by editors only)."""
    return Q(published__isnull=True, **{lookup: value}) | Q(**{f"published__{lookup}": value})


def has_flag(code: str) -> Q:
    """Claims that have the flag: a proposition flag in the claim's (published) `flags`, a
    sentence flag (citation mismatch, overstated) on any of its appearances (JSONB
    containment)."""
    if code in APPEARANCE_FLAGS:
        return Q(_has_sentence_flag(code))
    return public("flags__contains", [code])


def filter_claims(claims: QuerySet, filters: ClaimFilters) -> QuerySet:
    """The claims matching every chosen filter, in SQL: the page shows one slice of them."""
    if filters.topic:
        topic = Topic.objects.filter(slug=filters.topic).values("pk")
        published_topic = Cast(KeyTextTransform("topic_id", "published"), BigIntegerField())
        claims = claims.alias(published_topic=published_topic).filter(
            Q(published__isnull=True, topic__slug=filters.topic) | Q(published_topic__in=topic)
        )
    if filters.verdict:
        claims = claims.filter(public("verdict", filters.verdict))
    if filters.kind:
        claims = claims.filter(public("kind", filters.kind))
    if filters.flag:
        claims = claims.filter(has_flag(filters.flag))
    return claims


# Short names for the flag filter: the full labels would make the menu wider than a phone.
FLAG_FILTER_LABELS = {
    Flag.CONTRADICTED_BY_EVIDENCE: "Strong study disagrees",
    Flag.HARM_SIGNAL: "Harm signal",
    Flag.CITATION_MISMATCH: "Citation mismatch",
    Flag.EXTRAPOLATED: "Extrapolated",
    Flag.RETRACTED_EVIDENCE: "Retracted evidence",
    Flag.OVERSTATED: "Overstated",
    Flag.NEEDS_REREVIEW: "Needs re-review",
}


@dataclass(frozen=True)
class ClaimCounts:
    """How many of a compound's claims have each topic, verdict, kind and flag: (code, label,
    count) for every value some claim has, in the vocabulary's (or the topics') order."""

    total: int
    topic: list[tuple[str, str, int]]
    verdict: list[tuple[str, str, int]]
    kind: list[tuple[str, str, int]]
    flag: list[tuple[str, str, int]]


def public_value(name: str, output_field) -> Case:
    """What readers see of a claim's column `name`: its published state's value when it has
    one, else the column (kb.published_state), as a value to group by (`public` is the same
    rule as a condition)."""
    stated = KeyTextTransform(name, "published")
    if isinstance(output_field, JSONField):
        stated = KeyTransform(name, "published")
    elif not isinstance(output_field, CharField):
        stated = Cast(stated, output_field)
    return Case(
        When(published__isnull=True, then=F(name)), default=stated, output_field=output_field
    )


def claim_counts(claims: QuerySet, topics: Iterable[Topic] | None = None) -> ClaimCounts:
    """The verdict table's and the filter menus' counts over all of `claims`, in one query
    whatever their number (the page itself shows only a slice): the claims grouped by what
    readers see of their topic, verdict, kind and flags, a few hundred rows at most, added up
    here. A sentence flag counts the claims with at least one sentence that has it."""
    topics = list(Topic.objects.all() if topics is None else topics)
    groups = (
        claims.order_by()
        .values(
            public_topic=public_value("topic_id", BigIntegerField()),
            public_verdict=public_value("verdict", CharField()),
            public_kind=public_value("kind", CharField()),
            public_flags=public_value("flags", JSONField()),
            **{f"sentences_{code}": _has_sentence_flag(code) for code in APPEARANCE_FLAGS},
        )
        .annotate(claims=Count("pk"))
    )
    total, tally = 0, {name: Counter() for name in ("topic", "verdict", "kind", "flag")}
    for group in groups:
        n = group["claims"]
        total += n
        tally["topic"][group["public_topic"]] += n
        tally["verdict"][group["public_verdict"]] += n
        tally["kind"][group["public_kind"]] += n
        # As has_flag: a sentence flag from the sentences only, the others from the claim.
        own = {code for code in group["public_flags"] or () if code not in APPEARANCE_FLAGS}
        sentences = {code for code in APPEARANCE_FLAGS if group[f"sentences_{code}"]}
        for code in own | sentences:
            tally["flag"][code] += n
    present = {
        "topic": [(t.slug, t.name, tally["topic"][t.pk]) for t in topics if tally["topic"][t.pk]],
        "verdict": [
            (code, Verdict(code).label, tally["verdict"][code])
            for code in Verdict.values
            if tally["verdict"][code]
        ],
        "kind": [
            (code, ClaimKind(code).label, tally["kind"][code])
            for code in ClaimKind.values
            if tally["kind"][code]
        ],
        "flag": [
            (code, FLAG_FILTER_LABELS.get(code, Flag(code).label), tally["flag"][code])
            for code in Flag.values
            if tally["flag"][code]
        ],
    }
    return ClaimCounts(total=total, **present)


def compounds_with_counts(user) -> QuerySet:
    """Every compound with its number of published claims (`published_claims`), each counted in
    the index of published claims (claim_published_compound), not by joining every claim."""
    published = (
        Claim.objects.published()
        .filter(compound=OuterRef("pk"))
        .order_by()
        .values("compound")
        .annotate(n=Count("*"))
        .values("n")
    )
    queryset = Compound.objects.annotate(published_claims=Coalesce(Subquery(published), 0))
    return queryset.order_by("name")


# Whether a cited study backs the sentence, from the stance the claim's evidence gives it.
BACKS = {
    Stance.SUPPORTS: "Backs it",
    Stance.PARTIALLY_SUPPORTS: "Partly backs it",
    Stance.NO_EFFECT: "Does not back it",
    Stance.CONTRADICTS: "Does not back it",
    Stance.DOES_NOT_ADDRESS: "Does not back it",
}


@dataclass(frozen=True)
class CitationSite:
    """One citation on a page: the sentence, the reference, the resolved study (or None) and
    the claim's evidence link to it (None when the study is not weighed for the claim)."""

    appearance: Appearance
    citation: Citation
    study: Study | None
    evidence: Evidence | None

    @property
    def backs(self) -> str:
        if self.study is None:
            return "Unresolved reference"
        if self.evidence is None or not self.evidence.stance:
            return "Not yet weighed"
        return BACKS[self.evidence.stance]


@dataclass(frozen=True)
class SourceAudit:
    appearances: list[Appearance]
    sites: list[CitationSite]  # in the sentences of claims the user may see
    total_sites: int  # every citation site of the page, whoever may see its claims


def source_audit(source, user) -> SourceAudit:
    """The source's appearances the user may see, in page order (each with its claim, topic and
    citations), and every citation site with the stance the claim's evidence gives the cited
    study: five queries however many sentences and citations the page has."""
    appearances = list(
        appearances_in_order(
            Appearance.objects.filter(source=source, claim__in=visible_claims(user))
        )
        .select_related("claim")
        .order_by("position", "id")
    )
    claims = {appearance.claim_id: appearance.claim for appearance in appearances}
    for appearance in appearances:
        appearance.claim = claims[appearance.claim_id]  # one object per claim
    # Readers see each claim's published statement and weighing (kb.published_state).
    links = list(Evidence.objects.filter(claim_id__in=claims))
    for ev in links:
        ev.claim = claims[ev.claim_id]
    evidence = {(ev.claim_id, ev.study_id): ev for ev in published_state.published_links(links)}
    sites = [
        CitationSite(
            appearance=appearance,
            citation=citation,
            study=citation.reference.study,
            evidence=evidence.get((appearance.claim_id, citation.reference.study_id)),
        )
        for appearance in appearances
        for citation in appearance.citations.all()
    ]
    total = Citation.objects.filter(appearance__source=source).count()
    return SourceAudit(appearances=appearances, sites=sites, total_sites=total)


def search_stored(text: str, *, limit: int = 20) -> list[Study]:
    """Stored studies whose title or journal contains every word typed (trigram indexes on
    UPPER(title) and UPPER(journal), which serve icontains); when none does, those whose title
    is most like the text, for a misspelt or half-remembered title (trigram word similarity,
    the same title index)."""
    words = text.split()[:8]
    if not words:
        return []
    queryset = Study.objects.without_heavy_fields()
    for word in words:
        queryset = queryset.filter(Q(title__icontains=word) | Q(journal__icontains=word))
    found = list(queryset.order_by("-year", "title")[:limit])
    if found:
        return found
    typed = " ".join(words).upper()
    return list(
        Study.objects.without_heavy_fields()
        .alias(upper_title=Upper("title"))
        .filter(upper_title__trigram_word_similar=typed)
        .annotate(similarity=TrigramWordSimilarity(typed, Upper("title")))
        .order_by("-similarity", "-year", "id")[:limit]
    )


def stored_studies(references: Iterable[ListedReference]) -> dict[int, Study]:
    """The stored study of each listed reference that has one, by reference number (one
    query); a PMID match wins over a DOI match, a DOI match over a PMCID match."""
    references = list(references)
    known = Study.objects.by_identifier(
        pmids=[r.pmid for r in references],
        dois=[r.doi for r in references],
        pmcids=[r.pmcid for r in references],
    )
    found = {}
    for reference in references:
        study = (
            known.get(("pmid", reference.pmid))
            or known.get(("doi", reference.doi))
            or known.get(("pmcid", reference.pmcid))
        )
        if study is not None:
            found[reference.number] = study
    return found


@dataclass(frozen=True)
class CompoundOverview:
    """The compound page's first screen (kb.evidence_overview), from two queries (three when a
    published claim's evidence names a study its draft dropped)."""

    topics: list
    harms: list
    matrix: object
    matrix_layout: dict


def _study_facts(prefix: str = "") -> tuple:
    """The columns of kb.evidence_overview.StudyFacts, through `prefix` ("study__")."""
    first = KeyTransform(0, f"{prefix}authors")
    return (
        *(f"{prefix}{name}" for name in ("design", "retracted", "year", "title")),
        # The first author's name as Study.first_author_label reads it, as text: decoding
        # thousands of author lists in Python cost more than the rest of the overview.
        Coalesce(
            NullIf(KeyTextTransform("collective", first), Value("")),
            NullIf(KeyTextTransform("family", first), Value("")),
            output_field=TextField(),
        ),
        # authors -> 1: a second author, NULL when there is none.
        ExpressionWrapper(Q(**{f"{prefix}authors__1__isnull": False}), BooleanField()),
    )


def compound_overview(user, compound: Compound, study_url) -> CompoundOverview:
    """Every claim of the compound the user may see, by topic, with the best study behind each
    topic and the evidence matrix. The claims are loaded with only the columns shown, their
    evidence as plain rows in ladder order (kb.evidence_overview.Weighing), never as Evidence
    and Study objects: a 500-claim compound has thousands. `study_url`: study id -> its page."""
    claims = published_state.show_published(
        visible_claims(user)
        .filter(compound=compound)
        .select_related("topic")
        .only(*SHOWN_CLAIM_FIELDS)
        .order_by(F("topic__position").asc(nulls_last=True), "topic__name", "id")
    )
    claim_ids = [claim.pk for claim in claims]  # ids, not objects: each would be checked
    # Only weighed rows: an unweighed link counts nowhere in the overview.
    weighed = Evidence.objects.filter(claim_id__in=claim_ids, stance__gt="")
    live = evidence_in_ladder_order(weighed).values_list(
        "claim_id", "study_id", "stance", *_study_facts("study__")
    )
    studies = {study_id: overview.StudyFacts(*facts) for _, study_id, _, *facts in live}
    rows = published_state.published_weighings(
        claims, [(claim_id, study_id, stance) for claim_id, study_id, stance, *_ in live]
    )
    rows = [row for row in rows if row[2]]
    missing = {study_id for _, study_id, _ in rows} - studies.keys()
    if missing:  # dropped from a draft since its claim was published
        dropped = Study.objects.filter(pk__in=missing).values_list("pk", *_study_facts())
        studies.update({pk: overview.StudyFacts(*facts) for pk, *facts in dropped})
    evidence = [overview.Weighing(*row, studies[row[1]]) for row in rows]
    if any(claim.published for claim in claims):
        # Published rows are not in the database's order: the ladder's, in Python.
        evidence.sort(key=published_state.ladder_key)
    topics = overview.topic_summaries(claims, evidence)
    for topic in topics:
        if topic.best_study_id:
            facts = studies[topic.best_study_id]
            topic.best_study = overview.best_study(topic.best_study_id, facts, study_url)
    matrix = overview.evidence_matrix(topics, evidence)
    return CompoundOverview(
        topics=topics,
        harms=overview.harms(claims),
        matrix=matrix,
        matrix_layout=overview.layout(matrix),
    )


# Verdicts that tell readers a claim does not hold.
NOT_BORNE_OUT = (Verdict.CONTRADICTED, Verdict.PROBABLY_NOT_SUPPORTED)


def contradicted_or_harmful(*, limit: int = 10) -> list[Claim]:
    """Published claims the evidence goes against (moderate or high certainty) or shows harm
    for: what the home page warns about, most recently graded first."""
    return published_state.show_published(
        Claim.objects.published()
        .filter(public("verdict__in", NOT_BORNE_OUT) | has_flag(Flag.HARM_SIGNAL))
        .select_related("compound")
        .order_by(F("graded_at").desc(nulls_last=True), "-id")[:limit]
    )


def public_changes(claim: Claim | None = None) -> QuerySet:
    """Publications readers are told of, newest first: every PublicChange of a claim that is
    published now (or of `claim` only), with its claim, compound and editor loaded. The read
    seam of the claim page's changelog and of the site's list and feeds of changes."""
    changes = PublicChange.objects.filter(claim__status=ClaimStatus.PUBLISHED).select_related(
        "claim__compound", "editor"
    )
    if claim is not None:
        changes = changes.filter(claim=claim)
    return changes.order_by("-at", "-pk")
