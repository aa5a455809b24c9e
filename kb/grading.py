"""The grading rules: from a claim's evidence links and an editor's GRADE judgements to a verdict,
a certainty, computed flags and a step-by-step explanation.

Pure functions over plain data: no ORM, no database. kb.models builds the inputs and
kb.services.grades stores the result; docs/grading.md (rendered as the methodology page by
kb.methodology) explains the same rules to readers, and tests check it against this module.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

from kb.vocabulary import Certainty, Flag, Indirectness, Judgement, Stance, Verdict
from studies.designs import Design, level

# Best first. Rating down moves right along this scale, rating up moves left. Results carry plain
# str codes (.value), not enum members, so they serialise and compare like stored data.
CERTAINTY_SCALE = tuple(
    c.value for c in (Certainty.HIGH, Certainty.MODERATE, Certainty.LOW, Certainty.VERY_LOW)
)

HUMAN_LEVELS = (1, 2, 3, 4)  # Level 5 (mechanism, animal, in vitro, opinion) is not human evidence.
STRONG_LEVELS = (1, 2)  # Systematic reviews and randomised trials: the evidence flags rely on.

FOR_STANCES = frozenset({Stance.SUPPORTS, Stance.PARTIALLY_SUPPORTS})
AGAINST_STANCES = frozenset({Stance.NO_EFFECT, Stance.CONTRADICTS})
# A source citing a study with one of these stances is citing something that does not back it.
MISMATCH_STANCES = frozenset({Stance.DOES_NOT_ADDRESS, *AGAINST_STANCES})

JUDGEMENT_STEPS = {Judgement.NONE: 0, Judgement.SERIOUS: -1, Judgement.VERY_SERIOUS: -2}

VERDICTS = {
    ("for", Certainty.HIGH.value): Verdict.SUPPORTED.value,
    ("for", Certainty.MODERATE.value): Verdict.PROBABLY_SUPPORTED.value,
    ("for", Certainty.LOW.value): Verdict.POSSIBLY_SUPPORTED.value,
    ("for", Certainty.VERY_LOW.value): Verdict.UNPROVEN.value,
    ("against", Certainty.HIGH.value): Verdict.CONTRADICTED.value,
    ("against", Certainty.MODERATE.value): Verdict.PROBABLY_NOT_SUPPORTED.value,
    ("against", Certainty.LOW.value): Verdict.POSSIBLY_NOT_SUPPORTED.value,
    ("against", Certainty.VERY_LOW.value): Verdict.UNPROVEN.value,
}

# How each indirectness code reads in a step's reason ("best evidence is in another population").
INDIRECTNESS_PHRASES = {
    Indirectness.POPULATION: "is in another population",
    Indirectness.INTERVENTION: "tests another intervention or product",
    Indirectness.COMPARATOR: "uses another comparator",
    Indirectness.OUTCOME: "measures another outcome",
}

EDITOR_JUDGED_DOMAINS = {
    "risk_of_bias": "risk of bias",
    "inconsistency": "inconsistency",
    "indirectness": "indirectness",
    "imprecision": "imprecision",
    "publication_bias": "publication bias",
}


# Each vocabulary's codes, listed once: `Choices.values` builds a new list on every call, and
# every badge on a page (verdict_words, verdict_tone) checks its verdict.
CODES = {
    vocabulary: tuple(vocabulary.values)
    for vocabulary in (Design, Stance, Indirectness, Judgement, Verdict, Certainty)
}


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    if value not in allowed:
        raise ValueError(f"Unknown {what} {value!r}; expected one of: {', '.join(allowed)}")


@dataclass(frozen=True)
class EvidenceItem:
    """One study weighed for one claim, reduced to what the rules need."""

    design: str | None  # studies.designs.Design code; None (or "") when not yet known
    stance: str  # kb.vocabulary.Stance code
    indirectness: frozenset[str] = frozenset()  # kb.vocabulary.Indirectness codes
    harm: bool = False
    retracted: bool = False

    def __post_init__(self):
        # Blank form fields and JSON lists arrive as "" and list; normalise so callers need not.
        if self.design == "":
            object.__setattr__(self, "design", None)
        object.__setattr__(self, "indirectness", frozenset(self.indirectness))
        if self.design is not None:
            _check(self.design, CODES[Design], "design")
        _check(self.stance, CODES[Stance], "stance")
        for code in self.indirectness:
            _check(code, CODES[Indirectness], "indirectness code")

    @property
    def level(self) -> int | None:
        return level(self.design)


@dataclass(frozen=True)
class Judgements:
    """An editor's GRADE judgements for a claim's body of evidence; None = not judged."""

    risk_of_bias: str | None = None  # Judgement code
    inconsistency: str | None = None
    indirectness: str | None = None
    imprecision: str | None = None
    publication_bias: str | None = None
    large_effect: int = 0  # rate up 0, 1 or 2 steps
    dose_response: bool = False  # rate up 1 step

    def __post_init__(self):
        for domain in EDITOR_JUDGED_DOMAINS:
            value = getattr(self, domain)
            if value == "":
                object.__setattr__(self, domain, None)
            elif value is not None:
                _check(value, CODES[Judgement], f"{domain} judgement")
        if self.large_effect not in (0, 1, 2):
            raise ValueError(f"large_effect must be 0, 1 or 2, not {self.large_effect!r}")


class Step(NamedTuple):
    """One move on the certainty scale, e.g. ("indirectness", -1, "best evidence is in another
    population"). A plain tuple to callers: it compares equal to and unpacks like one."""

    domain: str  # a DOWNGRADE_DOMAINS prefix, "large_effect" or "dose_response"
    change: int  # negative rates down, positive rates up
    reason: str  # plain words for the claim page


@dataclass(frozen=True)
class Grade:
    verdict: str  # Verdict code
    certainty: str | None  # Certainty code; None when ungraded or no evidence is left
    flags: frozenset[str]  # computed flags only; the caller merges the editor's flags
    direction: str | None  # "for" | "against"; None without human evidence or when ungraded
    starting_certainty: str | None  # before any step; very_low when only level 5 is left
    steps: tuple[Step, ...]  # every rating step applied, in GRADE's domain order
    best_level: int | None = None  # best human level (1-4) in the body of evidence, if any


def body_of_evidence(items: Iterable[EvidenceItem]) -> list[EvidenceItem]:
    """The links that count for certainty: not retracted, addressing the claim, of known design."""
    return [
        item
        for item in items
        if not item.retracted and item.stance != Stance.DOES_NOT_ADDRESS and item.design is not None
    ]


def compute_flags(items: Iterable[EvidenceItem]) -> frozenset[str]:
    """The flags the system derives for the proposition. Computed whether or not the claim is
    graded: they describe the links themselves, and an editor needs them most before grading."""
    items = list(items)
    body = body_of_evidence(items)
    strong = [item for item in body if item.level in STRONG_LEVELS]
    # Unlike the body of evidence, this keeps links of unknown design (see extrapolated below).
    supporting = [i for i in items if not i.retracted and i.stance in FOR_STANCES]
    flags = set()
    # A strong study that found nothing on another outcome does not contradict this claim: its
    # flag's words ("a strong study disagrees") must not contradict the verdict beside it.
    if any(
        item.stance in AGAINST_STANCES and Indirectness.OUTCOME not in item.indirectness
        for item in strong
    ):
        flags.add(Flag.CONTRADICTED_BY_EVIDENCE)
    if any(item.harm for item in strong):
        flags.add(Flag.HARM_SIGNAL)
    # A supporting link of unknown design is neither indirect nor known to be level 5, so it
    # keeps the flag off: we do not call a claim extrapolated without knowing.
    if supporting and all(item.indirectness or item.level == 5 for item in supporting):
        flags.add(Flag.EXTRAPOLATED)
    if any(item.retracted for item in items):
        flags.add(Flag.RETRACTED_EVIDENCE)
    return frozenset(flag.value for flag in flags)


def appearance_flags(cited_stances: Iterable[str | None], *, overstated: bool) -> frozenset[str]:
    """The flags of one sentence making the claim, from the stances the claim's evidence gives
    the studies that sentence cites (None: cited but not yet weighed) and the editor's
    judgement that it says more than the statement.

    About what the page cited, so every cited study counts, retracted or not; one that has not
    been weighed yet raises nothing until an editor weighs it."""
    flags = set()
    if any(stance in MISMATCH_STANCES for stance in cited_stances):
        flags.add(Flag.CITATION_MISMATCH.value)
    if overstated:
        flags.add(Flag.OVERSTATED.value)
    return frozenset(flags)


def _editor_step(domain: str, judgement: str) -> Step | None:
    change = JUDGEMENT_STEPS[judgement]
    if not change:
        return None
    label = Judgement(judgement).label.lower()
    return Step(domain, change, f"editor judged the {EDITOR_JUDGED_DOMAINS[domain]} {label}")


def _indirectness_step(best: list[EvidenceItem]) -> Step | None:
    # Union over the best-level links: one indirect study among them is enough to rate down,
    # which errs on the cautious side; an editor who disagrees judges the domain.
    codes = [
        code for code in Indirectness.values if any(code in item.indirectness for item in best)
    ]
    if not codes:
        return None
    if len(codes) == 1:
        return Step("indirectness", -1, f"best evidence {INDIRECTNESS_PHRASES[codes[0]]}")
    labels = ", ".join(Indirectness(code).label.lower() for code in codes)
    return Step("indirectness", -2, f"best evidence is indirect in several ways: {labels}")


def _inconsistency_step(judgement: str | None, best: list[EvidenceItem]) -> Step | None:
    both_ways = any(i.stance in FOR_STANCES for i in best) and any(
        i.stance in AGAINST_STANCES for i in best
    )
    if both_ways and JUDGEMENT_STEPS.get(judgement, 0) > -1:
        # A floor, not a default: even an editor's "not serious" cannot lift it.
        return Step("inconsistency", -1, "best evidence points both ways")
    return _editor_step("inconsistency", judgement) if judgement else None


def rating_steps(best: list[EvidenceItem], judgements: Judgements) -> list[Step]:
    """Rating-down steps in GRADE's domain order, then rating-up steps."""
    steps = []
    for domain in EDITOR_JUDGED_DOMAINS:
        judgement = getattr(judgements, domain)
        if domain == "inconsistency":
            step = _inconsistency_step(judgement, best)
        elif domain == "indirectness" and judgement is None:
            step = _indirectness_step(best)
        else:
            step = _editor_step(domain, judgement) if judgement else None
        if step:
            steps.append(step)
    if judgements.large_effect:
        size = "very large" if judgements.large_effect == 2 else "large"
        steps.append(
            Step("large_effect", judgements.large_effect, f"editor judged the effect {size}")
        )
    if judgements.dose_response:
        steps.append(Step("dose_response", 1, "editor judged there is a dose-response gradient"))
    return steps


def grade(evidence: Iterable[EvidenceItem], judgements: Judgements, *, graded: bool) -> Grade:
    """Apply the grading rules (docs/grading.md) to one claim."""
    items = list(evidence)
    flags = compute_flags(items)
    if not graded:
        return Grade(Verdict.UNGRADED.value, None, flags, None, None, ())

    body = body_of_evidence(items)
    human = [item for item in body if item.level in HUMAN_LEVELS]
    if not human:
        # Judgements rate a body of human evidence; without one there is nothing to rate.
        certainty = Certainty.VERY_LOW.value if body else None
        return Grade(Verdict.UNPROVEN.value, certainty, flags, None, certainty, ())

    best_level = min(item.level for item in human)
    best = [item for item in human if item.level == best_level]
    direction = "for" if all(item.stance in FOR_STANCES for item in best) else "against"
    starting = Certainty.HIGH.value if best_level <= 2 else Certainty.LOW.value
    steps = rating_steps(best, judgements)
    # Sum first, clamp once: GRADE adds the steps up, so the order they are listed in is moot.
    position = CERTAINTY_SCALE.index(starting) - sum(step.change for step in steps)
    certainty = CERTAINTY_SCALE[max(0, min(position, len(CERTAINTY_SCALE) - 1))]
    return Grade(
        verdict=VERDICTS[direction, certainty],
        certainty=certainty,
        flags=flags,
        direction=direction,
        starting_certainty=starting,
        steps=tuple(steps),
        best_level=best_level,
    )


def effective_verdict(computed: str, override: str | None) -> str:
    """The verdict readers see: the editor's override when there is one, else the computed one.

    An ungraded claim stays ungraded: an override takes effect once the claim is graded, so no
    verdict is published before the evidence has been reviewed."""
    _check(computed, CODES[Verdict], "verdict")
    if not override:
        return computed
    if override == Verdict.UNGRADED:
        raise ValueError("An override must be a verdict; 'ungraded' is not one")
    _check(override, CODES[Verdict], "override verdict")
    return computed if computed == Verdict.UNGRADED else str(override)


# Sentence starts that read wrongly mid-sentence ("It is likely that The drug ..."). Other
# capitals are kept: statements usually begin with a compound's name.
_LOWERCASE_STARTS = frozenset({"A", "An", "The", "This", "These", "Those", "Its", "Their"})


def grade26_sentence(
    verdict: str, certainty: str | None, statement: str, *, human_evidence: bool = True
) -> str:
    """The claim restated in the wording of GRADE guideline 26 (Santesso et al. 2020) for its
    verdict: "X improves Y", "X probably improves Y", "X may improve Y", "the evidence is very
    uncertain ...".

    The statement is free text, so the hedge frames it rather than rewriting its verb. The verdict
    chooses the words (an override may disagree with the certainty); the certainty is named in
    brackets, and for `unproven` it also tells "very uncertain" from "may not" and "no evidence".
    Pass human_evidence=False (Grade.best_level is None) to say that only level 5 evidence exists.
    """
    _check(verdict, CODES[Verdict], "verdict")
    if certainty is not None:
        _check(certainty, CODES[Certainty], "certainty")
    claim = statement.strip().rstrip(".").strip()
    if not claim:
        raise ValueError("A statement is needed to write a sentence about it")
    first, _, rest = claim.partition(" ")
    inner = f"{first.lower()} {rest}".strip() if first in _LOWERCASE_STARTS else claim
    bracket = f" ({Certainty(certainty).label.lower()}-certainty evidence)" if certainty else ""

    if verdict == Verdict.UNGRADED:
        return f"Not yet graded: {inner}."
    if verdict == Verdict.SUPPORTED:
        return f"{claim}{bracket}."
    if verdict == Verdict.PROBABLY_SUPPORTED:
        return f"It is probably true that {inner}{bracket}."
    if verdict == Verdict.POSSIBLY_SUPPORTED:
        return f"It may be true that {inner}{bracket}."
    if verdict == Verdict.POSSIBLY_NOT_SUPPORTED:
        return f"It may not be true that {inner}{bracket}."
    if verdict == Verdict.PROBABLY_NOT_SUPPORTED:
        return f"It is probably not true that {inner}{bracket}."
    if verdict == Verdict.CONTRADICTED:
        return f"It is not true that {inner}{bracket}."
    # unproven
    if certainty is None:
        return f"There is no usable evidence on whether {inner}."
    if not human_evidence:
        return (
            f"There is no clinical evidence on whether {inner}, only mechanistic, animal, "
            f"laboratory or opinion evidence{bracket}."
        )
    if certainty in (Certainty.HIGH, Certainty.MODERATE, Certainty.LOW):
        # Only reached by an editor's override of better-supported evidence.
        return f"It is unproven whether {inner}{bracket}."
    return f"The evidence is very uncertain about whether {inner}{bracket}."


FOR_VERDICTS = frozenset(
    v.value for v in (Verdict.SUPPORTED, Verdict.PROBABLY_SUPPORTED, Verdict.POSSIBLY_SUPPORTED)
)
AGAINST_VERDICTS = frozenset(
    v.value
    for v in (Verdict.POSSIBLY_NOT_SUPPORTED, Verdict.PROBABLY_NOT_SUPPORTED, Verdict.CONTRADICTED)
)


def verdict_words(verdict: str, certainty: str | None) -> str:
    """The verdict as a badge says it. `unproven` covers two different situations that readers
    must tell apart: nothing usable to judge by, and evidence too uncertain to judge by."""
    _check(verdict, CODES[Verdict], "verdict")
    if verdict == Verdict.UNPROVEN:
        if certainty is None:
            return "No usable evidence"
        if certainty == Certainty.VERY_LOW:
            return "Very uncertain"
    return str(Verdict(verdict).label)


def borne_out_warning(verdict: str, kind: str, flags: Iterable[str]) -> bool:
    """A safety claim that the evidence bears out and that strong evidence shows harm for: a
    warning that turned out true, which is bad news however "supported" it is."""
    return kind == "safety" and verdict in FOR_VERDICTS and Flag.HARM_SIGNAL in set(flags)


def verdict_tone(verdict: str, kind: str, flags: Iterable[str]) -> str:
    """The badge's colour, named for what it tells a reader: "good" (a benefit borne out),
    "harm" (a warning borne out), "caution" (a safety claim borne out: whether that is good news
    depends on what it says, so never green), "bad" (not borne out), "uncertain", "neutral"."""
    _check(verdict, CODES[Verdict], "verdict")
    if verdict == Verdict.UNGRADED:
        return "neutral"
    if verdict in AGAINST_VERDICTS - {Verdict.POSSIBLY_NOT_SUPPORTED.value}:
        return "bad"
    if verdict in FOR_VERDICTS:
        if borne_out_warning(verdict, kind, flags):
            return "harm"
        if kind == "safety":
            return "caution"
        if verdict != Verdict.POSSIBLY_SUPPORTED:
            return "good"
    return "uncertain"
