"""What the evidence says about a compound, at a glance: per topic, its claims' verdicts and
certainty in words and the best study behind them; the harms; and an evidence matrix (topics x
verdicts) laid out for a server-side SVG with the same numbers as a table.

Plain functions over claims and evidence already loaded (kb.selectors.compound_overview): no
queries here. The evidence comes as light `Weighing` rows, not model instances: a 500-claim
compound has thousands of them, and building an Evidence and a Study object for each cost more
than the rest of the page."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple

from kb.grading import verdict_words
from kb.vocabulary import Certainty, Flag, Stance, Verdict
from studies.designs import LEVEL_LABELS, Design
from studies.models import author_label

# The matrix's columns, true to false, then the claims not yet graded.
LADDER = (
    Verdict.SUPPORTED,
    Verdict.PROBABLY_SUPPORTED,
    Verdict.POSSIBLY_SUPPORTED,
    Verdict.UNPROVEN,
    Verdict.POSSIBLY_NOT_SUPPORTED,
    Verdict.PROBABLY_NOT_SUPPORTED,
    Verdict.CONTRADICTED,
    Verdict.UNGRADED,
)
CERTAINTY_ORDER = [c.value for c in Certainty]  # high first
# How solid a mark is drawn: the certainty of the best-graded claim in the cell.
CERTAINTY_OPACITY = {"high": 1.0, "moderate": 0.7, "low": 0.45, "very_low": 0.2, None: 0.0}


class StudyFacts(NamedTuple):
    """What the overview reads of a study: its place on the ladder, whether it can count, and
    how it is named when it is a topic's best study."""

    design: str | None
    retracted: bool
    year: int | None
    title: str
    first_author: str | None  # collective or family name
    other_authors: bool


class Weighing(NamedTuple):
    """One study weighed for one claim, as readers see it: what the overview reads of it."""

    claim_id: int
    study_id: int
    stance: str | None
    study: StudyFacts


@dataclass
class BestStudy:
    pk: int
    label: str  # "Ziganshina et al. 2023"
    design: str  # "Systematic review"
    level: str  # "1"
    url: str


@dataclass
class TopicSummary:
    name: str
    slug: str | None
    claims: list = field(default_factory=list)
    best_study_id: int | None = None
    best_study: BestStudy | None = None  # set by best_study()

    @property
    def in_words(self) -> str:
        """ "2 probably not supported (moderate certainty), 1 very uncertain", worst news last."""
        counts = Counter()
        for claim in self.claims:
            words = verdict_words(claim.verdict, claim.certainty).lower()
            if claim.certainty and claim.verdict != Verdict.UNPROVEN:
                words += f" ({Certainty(claim.certainty).label.lower()} certainty)"
            counts[LADDER.index(claim.verdict), words] += 1
        return ", ".join(f"{n} {words}" for (_, words), n in sorted(counts.items()))


@dataclass
class Cell:
    verdict: str
    claims: int = 0
    studies: int = 0
    certainty: str | None = None  # the best certainty among the cell's claims

    @property
    def certainty_label(self) -> str:
        return Certainty(self.certainty).label.lower() if self.certainty else "none"


@dataclass
class Matrix:
    rows: list[tuple[str, list[Cell]]]  # (topic name, one cell per column)
    columns: list[tuple[str, str]]  # (verdict code, label)

    @property
    def empty(self) -> bool:
        return not self.rows


def topic_summaries(claims, evidence) -> list[TopicSummary]:
    """One summary per topic with claims, in the claims' topic order (claims come ordered by
    topic position), claims without a topic last, each with the id of the best study behind it.
    `evidence`: Weighing rows in ladder order (best first)."""
    summaries: dict[int | None, TopicSummary] = {}
    for claim in claims:
        key = claim.topic_id
        if key not in summaries:
            topic = claim.topic
            summaries[key] = TopicSummary(
                name=topic.name if topic else "Other claims", slug=topic.slug if topic else None
            )
        summaries[key].claims.append(claim)
    topic_of = {claim.pk: claim.topic_id for claim in claims}
    for ev in evidence:
        summary = summaries.get(topic_of.get(ev.claim_id))
        if summary is None or summary.best_study_id or not _counts(ev):
            continue
        summary.best_study_id = ev.study_id
    ordered = [s for key, s in summaries.items() if key is not None]
    return ordered + ([summaries[None]] if None in summaries else [])


def best_study(study_id: int, study: StudyFacts, study_url) -> BestStudy:
    """How a topic's best study is named: first author, year, design and level, linked."""
    return BestStudy(
        pk=study_id,
        label=f"{author_label(study.first_author, study.other_authors)} {study.year or 'n.d.'}",
        design=Design(study.design).label,
        level=LEVEL_LABELS.get(study.design, "?"),
        url=study_url(study_id),
    )


def _counts(ev) -> bool:
    """Evidence that can be "the best study behind" a verdict: weighed, on the claim, not
    retracted and of known design."""
    return (
        bool(ev.stance)
        and ev.stance != Stance.DOES_NOT_ADDRESS
        and not ev.study.retracted
        and bool(ev.study.design)
    )


def harms(claims) -> list:
    """Claims about safety, and any claim with strong evidence of harm: their own section."""
    return [c for c in claims if c.kind == "safety" or Flag.HARM_SIGNAL in c.flags]


def evidence_matrix(summaries: list[TopicSummary], evidence) -> Matrix:
    studies_of: dict[int, set[int]] = {}
    for ev in evidence:
        if ev.stance:
            studies_of.setdefault(ev.claim_id, set()).add(ev.study_id)
    present = {claim.verdict for s in summaries for claim in s.claims}
    columns = [(v.value, v.label) for v in LADDER if v.value in present]
    rows = []
    for summary in summaries:
        cells = []
        for code, _label in columns:
            in_cell = [c for c in summary.claims if c.verdict == code]
            graded = [c.certainty for c in in_cell if c.certainty]
            studies = set().union(*(studies_of.get(c.pk, set()) for c in in_cell))
            cells.append(
                Cell(
                    verdict=code,
                    claims=len(in_cell),
                    studies=len(studies),
                    certainty=min(graded, key=CERTAINTY_ORDER.index) if graded else None,
                )
            )
        rows.append((summary.name, cells))
    return Matrix(rows=rows, columns=columns)


# --- the SVG's geometry (drawn by templates/kb/_evidence_matrix.html) --------------------------

LABEL_WIDTH, COLUMN_WIDTH, ROW_HEIGHT, HEADER_HEIGHT = 210, 70, 44, 70
MAX_RADIUS, MIN_RADIUS = 19, 5


@dataclass
class Mark:
    x: float
    y: float
    r: float
    opacity: float
    cell: Cell
    topic: str


def layout(matrix: Matrix) -> dict:
    """Coordinates for the SVG: a mark's area grows with its cell's number of studies."""
    most = max((cell.studies for _, cells in matrix.rows for cell in cells), default=0) or 1
    marks = []
    for row, (topic, cells) in enumerate(matrix.rows):
        for column, cell in enumerate(cells):
            if not cell.claims:
                continue
            share = (cell.studies / most) ** 0.5  # area, not radius, in proportion
            marks.append(
                Mark(
                    x=LABEL_WIDTH + COLUMN_WIDTH * column + COLUMN_WIDTH / 2,
                    y=HEADER_HEIGHT + ROW_HEIGHT * row + ROW_HEIGHT / 2,
                    r=round(MIN_RADIUS + (MAX_RADIUS - MIN_RADIUS) * share, 1),
                    opacity=CERTAINTY_OPACITY[cell.certainty],
                    cell=cell,
                    topic=topic,
                )
            )
    return {
        "width": LABEL_WIDTH + COLUMN_WIDTH * len(matrix.columns),
        "height": HEADER_HEIGHT + ROW_HEIGHT * len(matrix.rows),
        "marks": marks,
        "row_labels": [
            (HEADER_HEIGHT + ROW_HEIGHT * i + ROW_HEIGHT / 2, topic)
            for i, (topic, _) in enumerate(matrix.rows)
        ],
        "column_labels": [
            (LABEL_WIDTH + COLUMN_WIDTH * i + COLUMN_WIDTH / 2, code, label)
            for i, (code, label) in enumerate(matrix.columns)
        ],
        "label_width": LABEL_WIDTH,
        "header_height": HEADER_HEIGHT,
    }
