"""The grading rules (kb.grading), one table row per rule in docs/grading.md.

Pure: no database, so it runs with or without pytest-django (`-p no:django`).
"""

from pathlib import Path

import pytest

from kb.grading import (
    EvidenceItem,
    Grade,
    Judgements,
    appearance_flags,
    borne_out_warning,
    effective_verdict,
    grade,
    grade26_sentence,
    verdict_tone,
    verdict_words,
)
from kb.methodology import methodology_page
from kb.vocabulary import Certainty, Flag, Indirectness, Stance, Verdict
from studies.designs import Design

ROOT = Path(__file__).resolve().parent.parent


def ev(design, stance, *, indirect=(), harm=False, retracted=False):
    return EvidenceItem(
        design=design,
        stance=stance,
        indirectness=frozenset(indirect),
        harm=harm,
        retracted=retracted,
    )


SR, RCT, NRS, CASES = "systematic_review", "rct", "non_randomised", "case_series"
MECH, ANIMAL, VITRO, OPINION = "human_mechanistic", "animal", "in_vitro", "opinion"
FOR, PART, NULL, AGAINST, OFF = (
    "supports",
    "partially_supports",
    "no_effect",
    "contradicts",
    "does_not_address",
)
NO_JUDGEMENTS = Judgements()


def graded(*items, judgements=NO_JUDGEMENTS) -> Grade:
    return grade(items, judgements, graded=True)


# --- A claim is ungraded until it is marked graded -------------------------------------------


def test_ungraded_until_marked_graded():
    result = grade([ev(SR, FOR), ev(RCT, FOR)], NO_JUDGEMENTS, graded=False)
    assert result.verdict == "ungraded"
    assert result.certainty is None
    assert result.direction is None
    assert result.starting_certainty is None
    assert result.steps == ()


def test_ungraded_claim_still_gets_its_computed_flags():
    items = [ev(RCT, NULL), ev(ANIMAL, FOR, retracted=True)]
    result = grade(items, NO_JUDGEMENTS, graded=False)
    assert result.verdict == "ungraded"
    assert result.flags == {"contradicted_by_evidence", "retracted_evidence"}


# --- The body of evidence ---------------------------------------------------------------------

BODY_CASES = [
    pytest.param(
        [ev(RCT, FOR, retracted=True), ev(CASES, FOR)],
        ("possibly_supported", "low", 4),
        id="retracted-study-leaves-body-best-level-falls-to-4",
    ),
    pytest.param(
        [ev(SR, FOR, retracted=True)],
        ("unproven", None, None),
        id="retracted-only-leaves-nothing-certainty-null",
    ),
    pytest.param(
        [ev(SR, OFF), ev(CASES, FOR)],
        ("possibly_supported", "low", 4),
        id="does-not-address-leaves-body-does-not-count-against",
    ),
    pytest.param(
        [ev(None, FOR), ev("", FOR)],
        ("unproven", None, None),
        id="unknown-design-leaves-body",
    ),
    pytest.param(
        [ev(None, AGAINST), ev(NRS, FOR)],
        ("possibly_supported", "low", 3),
        id="unknown-design-does-not-set-direction",
    ),
]


@pytest.mark.parametrize(("items", "expected"), BODY_CASES)
def test_body_of_evidence(items, expected):
    result = graded(*items)
    assert (result.verdict, result.certainty, result.best_level) == expected


def test_retracted_study_raises_retracted_evidence():
    assert "retracted_evidence" in graded(ev(CASES, FOR), ev(SR, OFF, retracted=True)).flags


# --- Human evidence is levels 1-4 -------------------------------------------------------------


@pytest.mark.parametrize("design", [MECH, ANIMAL, VITRO, OPINION], ids=lambda d: f"only-{d}")
def test_only_level_5_evidence_is_unproven_at_very_low(design):
    result = graded(ev(design, FOR), ev(design, NULL))
    assert (result.verdict, result.certainty, result.starting_certainty) == (
        "unproven",
        "very_low",
        "very_low",
    )
    assert result.direction is None
    assert result.best_level is None


def test_no_evidence_at_all_is_unproven_with_null_certainty():
    result = graded()
    assert (result.verdict, result.certainty, result.flags) == ("unproven", None, frozenset())


def test_judgements_do_not_rate_level_5_evidence():
    judged = Judgements(large_effect=2, dose_response=True, risk_of_bias="very_serious")
    result = graded(ev(ANIMAL, FOR), judgements=judged)
    assert (result.verdict, result.certainty, result.steps) == ("unproven", "very_low", ())


# --- Starting certainty from the best design level --------------------------------------------


@pytest.mark.parametrize(
    ("design", "starting", "verdict"),
    [
        pytest.param(SR, "high", "supported", id="level-1-starts-high"),
        pytest.param(RCT, "high", "supported", id="level-2-starts-high"),
        pytest.param(NRS, "low", "possibly_supported", id="level-3-starts-low"),
        pytest.param(CASES, "low", "possibly_supported", id="level-4-starts-low"),
    ],
)
def test_starting_certainty_by_level(design, starting, verdict):
    result = graded(ev(design, FOR))
    assert (result.starting_certainty, result.certainty, result.verdict) == (
        starting,
        starting,
        verdict,
    )


def test_best_level_present_sets_the_start():
    result = graded(ev(CASES, FOR), ev(RCT, FOR), ev(ANIMAL, FOR))
    assert (result.best_level, result.starting_certainty) == (2, "high")


DOMAINS = ["risk_of_bias", "inconsistency", "indirectness", "imprecision", "publication_bias"]


@pytest.mark.parametrize(
    ("judgement", "certainty", "change"),
    [
        pytest.param("none", "high", None, id="not-serious-no-step"),
        pytest.param("serious", "moderate", -1, id="serious-down-one"),
        pytest.param("very_serious", "low", -2, id="very-serious-down-two"),
    ],
)
@pytest.mark.parametrize("domain", DOMAINS)
def test_each_judged_domain_rates_down(domain, judgement, certainty, change):
    result = graded(ev(RCT, FOR), judgements=Judgements(**{domain: judgement}))
    assert result.certainty == certainty
    assert [(s.domain, s.change) for s in result.steps] == ([(domain, change)] if change else [])


def test_judgements_add_up_across_domains():
    judged = Judgements(risk_of_bias="serious", imprecision="serious")
    result = graded(ev(SR, FOR), judgements=judged)
    assert (result.certainty, result.verdict) == ("low", "possibly_supported")
    assert [s.domain for s in result.steps] == ["risk_of_bias", "imprecision"]


@pytest.mark.parametrize(
    ("items", "judged", "certainty"),
    [
        pytest.param(
            [ev(CASES, FOR)],
            Judgements(risk_of_bias="very_serious"),
            "very_low",
            id="never-below-very-low",
        ),
        pytest.param(
            [ev(SR, FOR)],
            Judgements(risk_of_bias="very_serious", imprecision="very_serious"),
            "very_low",
            id="high-down-four-stops-at-very-low",
        ),
        pytest.param(
            [ev(SR, FOR)],
            Judgements(large_effect=2, dose_response=True),
            "high",
            id="never-above-high",
        ),
        pytest.param(
            [ev(CASES, FOR)],
            Judgements(risk_of_bias="very_serious", large_effect=2),
            "low",
            id="steps-sum-before-clamping",
        ),
    ],
)
def test_certainty_stays_on_the_scale(items, judged, certainty):
    assert graded(*items, judgements=judged).certainty == certainty


# Indirectness codes on the best-level evidence count unless an editor judged that domain.
INDIRECTNESS_CASES = [
    pytest.param(
        [ev(SR, FOR, indirect={"population"})],
        NO_JUDGEMENTS,
        [("indirectness", -1, "best evidence is in another population")],
        id="one-code-is-serious",
    ),
    pytest.param(
        [ev(SR, FOR, indirect={"population", "outcome"})],
        NO_JUDGEMENTS,
        [
            (
                "indirectness",
                -2,
                "best evidence is indirect in several ways: other population, other outcome",
            )
        ],
        id="two-codes-are-very-serious",
    ),
    pytest.param(
        [ev(SR, FOR, indirect={"intervention"}), ev(SR, FOR, indirect={"comparator"})],
        NO_JUDGEMENTS,
        [
            (
                "indirectness",
                -2,
                "best evidence is indirect in several ways: "
                "other intervention or product, other comparator",
            )
        ],
        id="codes-add-up-across-best-level-links",
    ),
    pytest.param(
        [ev(SR, FOR), ev(RCT, FOR, indirect={"population", "outcome"})],
        NO_JUDGEMENTS,
        [],
        id="codes-below-best-level-ignored",
    ),
    pytest.param(
        [ev(SR, FOR, indirect={"population", "outcome"})],
        Judgements(indirectness="none"),
        [],
        id="editor-judged-not-serious-overrides-codes",
    ),
    pytest.param(
        [ev(SR, FOR, indirect={"population", "outcome"})],
        Judgements(indirectness="serious"),
        [("indirectness", -1, "editor judged the indirectness serious")],
        id="editor-judged-serious-overrides-codes",
    ),
]


@pytest.mark.parametrize(("items", "judged", "steps"), INDIRECTNESS_CASES)
def test_indirectness_codes_on_best_level(items, judged, steps):
    assert list(graded(*items, judgements=judged).steps) == steps


# Best-level evidence pointing both ways makes inconsistency at least serious.
INCONSISTENCY_CASES = [
    pytest.param(NO_JUDGEMENTS, "moderate", -1, id="both-ways-unjudged-is-serious"),
    pytest.param(Judgements(inconsistency="none"), "moderate", -1, id="both-ways-floor-beats-none"),
    pytest.param(Judgements(inconsistency="serious"), "moderate", -1, id="both-ways-serious-stays"),
    pytest.param(
        Judgements(inconsistency="very_serious"), "low", -2, id="both-ways-very-serious-stays"
    ),
]


@pytest.mark.parametrize(("judged", "certainty", "change"), INCONSISTENCY_CASES)
def test_best_level_pointing_both_ways_is_inconsistent(judged, certainty, change):
    result = graded(ev(RCT, FOR), ev(RCT, NULL), judgements=judged)
    assert (result.direction, result.certainty) == ("against", certainty)
    assert [(s.domain, s.change) for s in result.steps] == [("inconsistency", change)]


def test_disagreement_below_best_level_is_not_inconsistency():
    result = graded(ev(SR, FOR), ev(RCT, AGAINST))
    assert (result.direction, result.certainty, result.steps) == ("for", "high", ())


@pytest.mark.parametrize(
    ("judged", "certainty", "steps"),
    [
        pytest.param(
            Judgements(large_effect=1),
            "moderate",
            [("large_effect", 1, "editor judged the effect large")],
            id="large-effect-up-one",
        ),
        pytest.param(
            Judgements(large_effect=2),
            "high",
            [("large_effect", 2, "editor judged the effect very large")],
            id="very-large-effect-up-two",
        ),
        pytest.param(
            Judgements(dose_response=True),
            "moderate",
            [("dose_response", 1, "editor judged there is a dose-response gradient")],
            id="dose-response-up-one",
        ),
        pytest.param(
            Judgements(large_effect=1, dose_response=True),
            "high",
            [
                ("large_effect", 1, "editor judged the effect large"),
                ("dose_response", 1, "editor judged there is a dose-response gradient"),
            ],
            id="large-effect-and-dose-response-add-up",
        ),
    ],
)
def test_rating_up(judged, certainty, steps):
    result = graded(ev(NRS, FOR), judgements=judged)
    assert (result.starting_certainty, result.certainty) == ("low", certainty)
    assert list(result.steps) == steps


# --- Direction, from the best-level evidence --------------------------------------------------


@pytest.mark.parametrize(
    ("stances", "direction"),
    [
        pytest.param([FOR], "for", id="all-supports-is-for"),
        pytest.param([PART], "for", id="all-partially-supports-is-for"),
        pytest.param([FOR, PART], "for", id="supports-and-partially-is-for"),
        pytest.param([NULL], "against", id="no-effect-is-against"),
        pytest.param([AGAINST], "against", id="contradicts-is-against"),
        pytest.param([FOR, FOR, NULL], "against", id="any-against-at-best-level-is-against"),
    ],
)
def test_direction(stances, direction):
    assert graded(*(ev(SR, s) for s in stances)).direction == direction


def test_direction_comes_from_best_level_only():
    result = graded(ev(NRS, FOR), ev(CASES, AGAINST), ev(ANIMAL, AGAINST))
    assert result.direction == "for"


# --- Verdict from direction and certainty -----------------------------------------------------

TO_CERTAINTY = {
    "high": NO_JUDGEMENTS,
    "moderate": Judgements(risk_of_bias="serious"),
    "low": Judgements(risk_of_bias="very_serious"),
    "very_low": Judgements(risk_of_bias="very_serious", imprecision="serious"),
}


@pytest.mark.parametrize(
    ("stance", "certainty", "verdict"),
    [
        pytest.param(FOR, "high", "supported", id="for-high-supported"),
        pytest.param(FOR, "moderate", "probably_supported", id="for-moderate-probably-supported"),
        pytest.param(FOR, "low", "possibly_supported", id="for-low-possibly-supported"),
        pytest.param(FOR, "very_low", "unproven", id="for-very-low-unproven"),
        pytest.param(AGAINST, "high", "contradicted", id="against-high-contradicted"),
        pytest.param(
            NULL, "moderate", "probably_not_supported", id="against-moderate-probably-not"
        ),
        pytest.param(NULL, "low", "possibly_not_supported", id="against-low-possibly-not"),
        pytest.param(AGAINST, "very_low", "unproven", id="against-very-low-unproven"),
    ],
)
def test_verdict_table(stance, certainty, verdict):
    result = graded(ev(RCT, stance), judgements=TO_CERTAINTY[certainty])
    assert (result.certainty, result.verdict) == (certainty, verdict)


# --- Computed flags ---------------------------------------------------------------------------

FLAG_CASES = [
    # contradicted_by_evidence: level 1-2 evidence finding no effect or contradicting
    pytest.param([ev(SR, NULL)], "contradicted_by_evidence", True, id="contradicted-sr-no-effect"),
    pytest.param(
        [ev(RCT, AGAINST)], "contradicted_by_evidence", True, id="contradicted-rct-contradicts"
    ),
    pytest.param(
        [ev(SR, FOR), ev(RCT, NULL)],
        "contradicted_by_evidence",
        True,
        id="contradicted-even-below-best-level",
    ),
    pytest.param(
        [ev(NRS, AGAINST), ev(CASES, NULL)],
        "contradicted_by_evidence",
        False,
        id="contradicted-not-from-level-3-4",
    ),
    pytest.param(
        [ev(RCT, AGAINST, retracted=True)],
        "contradicted_by_evidence",
        False,
        id="contradicted-not-from-retracted",
    ),
    pytest.param(
        [ev(RCT, NULL, indirect=[Indirectness.OUTCOME])],
        "contradicted_by_evidence",
        False,
        id="contradicted-not-from-another-outcome",
    ),
    pytest.param(
        [ev(RCT, NULL, indirect=[Indirectness.POPULATION])],
        "contradicted_by_evidence",
        True,
        id="contradicted-from-another-population",
    ),
    pytest.param(
        [ev(SR, OFF)], "contradicted_by_evidence", False, id="contradicted-not-from-off-topic"
    ),
    # harm_signal: level 1-2 evidence of harm
    pytest.param([ev(SR, NULL, harm=True)], "harm_signal", True, id="harm-sr"),
    pytest.param([ev(RCT, FOR, harm=True)], "harm_signal", True, id="harm-rct-even-if-supports"),
    pytest.param([ev(CASES, FOR, harm=True)], "harm_signal", False, id="harm-not-from-level-4"),
    pytest.param([ev(ANIMAL, FOR, harm=True)], "harm_signal", False, id="harm-not-from-level-5"),
    pytest.param(
        [ev(RCT, FOR, harm=True, retracted=True)], "harm_signal", False, id="harm-not-if-retracted"
    ),
    pytest.param([ev(SR, OFF, harm=True)], "harm_signal", False, id="harm-not-from-off-topic-link"),
    # extrapolated: every supporting link indirect or level 5, and at least one of them
    pytest.param([ev(ANIMAL, FOR)], "extrapolated", True, id="extrapolated-level-5-only"),
    pytest.param(
        [ev(RCT, FOR, indirect={"population"}), ev(VITRO, PART)],
        "extrapolated",
        True,
        id="extrapolated-indirect-and-level-5",
    ),
    pytest.param(
        [ev(ANIMAL, FOR), ev(RCT, FOR, retracted=True)],
        "extrapolated",
        True,
        id="extrapolated-retracted-direct-link-does-not-count",
    ),
    pytest.param(
        [ev(ANIMAL, FOR), ev(CASES, PART)],
        "extrapolated",
        False,
        id="extrapolated-not-with-one-direct-human-link",
    ),
    pytest.param(
        [ev(ANIMAL, FOR), ev(None, FOR)],
        "extrapolated",
        False,
        id="extrapolated-not-with-direct-link-of-unknown-design",
    ),
    pytest.param(
        [ev(ANIMAL, NULL), ev(RCT, AGAINST, indirect={"outcome"})],
        "extrapolated",
        False,
        id="extrapolated-needs-a-supporting-link",
    ),
    # retracted_evidence: any retracted link
    pytest.param(
        [ev(RCT, FOR, retracted=True)], "retracted_evidence", True, id="retracted-supporting"
    ),
    pytest.param(
        [ev(ANIMAL, OFF, retracted=True)], "retracted_evidence", True, id="retracted-any-link"
    ),
    pytest.param([ev(RCT, FOR)], "retracted_evidence", False, id="retracted-none"),
]


@pytest.mark.parametrize(("items", "flag", "raised"), FLAG_CASES)
def test_computed_flags(items, flag, raised):
    assert (flag in graded(*items).flags) is raised


def test_editor_flags_are_never_computed():
    everything = [
        ev(design, stance, indirect={"population"}, harm=True, retracted=retracted)
        for design in [*Design.values, None]
        for stance in Stance.values
        for retracted in (False, True)
    ]
    flags = graded(*everything).flags
    assert flags == {
        "contradicted_by_evidence",
        "harm_signal",
        "extrapolated",
        "retracted_evidence",
    }
    # The sentence's flags (citation_mismatch, overstated) are never the proposition's.
    assert not flags & {"citation_mismatch", "overstated", "needs_rereview"}


# --- A sentence's flags: what its page cites, and the editor's overstated ------------------


@pytest.mark.parametrize(
    ("cited", "overstated", "flags"),
    [
        pytest.param([OFF], False, {"citation_mismatch"}, id="mismatch-off-topic"),
        pytest.param([NULL], False, {"citation_mismatch"}, id="mismatch-no-effect"),
        pytest.param([AGAINST], False, {"citation_mismatch"}, id="mismatch-contradicts"),
        pytest.param([FOR, OFF], False, {"citation_mismatch"}, id="mismatch-any-cited-study"),
        pytest.param([FOR, PART], False, set(), id="not-for-supporting-citations"),
        pytest.param([None], False, set(), id="not-until-the-cited-study-is-weighed"),
        pytest.param([], False, set(), id="nothing-cited"),
        pytest.param([], True, {"overstated"}, id="overstated-by-the-editor"),
        pytest.param([NULL], True, {"citation_mismatch", "overstated"}, id="both"),
    ],
)
def test_appearance_flags(cited, overstated, flags):
    assert appearance_flags(cited, overstated=overstated) == flags


# --- Editor override --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("computed", "override", "shown"),
    [
        pytest.param("unproven", None, "unproven", id="no-override-shows-computed"),
        pytest.param("unproven", "", "unproven", id="blank-override-shows-computed"),
        pytest.param("possibly_supported", "unproven", "unproven", id="override-wins"),
        pytest.param("ungraded", "supported", "ungraded", id="override-waits-for-grading"),
    ],
)
def test_effective_verdict(computed, override, shown):
    assert effective_verdict(computed, override) == shown


@pytest.mark.parametrize(
    ("computed", "override", "message"),
    [
        pytest.param("unproven", "ungraded", "'ungraded' is not one", id="override-to-ungraded"),
        pytest.param("unproven", "true", "Unknown override verdict 'true'", id="unknown-override"),
        pytest.param("maybe", None, "Unknown verdict 'maybe'", id="unknown-computed"),
    ],
)
def test_effective_verdict_rejects_bad_codes(computed, override, message):
    with pytest.raises(ValueError, match=message):
        effective_verdict(computed, override)


# --- GRADE guideline 26 sentences -------------------------------------------------------------

STATEMENT = "Cerebrolysin improves recovery after stroke"


@pytest.mark.parametrize(
    ("verdict", "certainty", "kwargs", "sentence"),
    [
        pytest.param(
            "supported",
            "high",
            {},
            "Cerebrolysin improves recovery after stroke (high-certainty evidence).",
            id="supported-states-it",
        ),
        pytest.param(
            "probably_supported",
            "moderate",
            {},
            "It is probably true that Cerebrolysin improves recovery after stroke "
            "(moderate-certainty evidence).",
            id="probably-supported-probably",
        ),
        pytest.param(
            "possibly_supported",
            "low",
            {},
            "It may be true that Cerebrolysin improves recovery after stroke "
            "(low-certainty evidence).",
            id="possibly-supported-may",
        ),
        pytest.param(
            "unproven",
            "very_low",
            {},
            "The evidence is very uncertain about whether Cerebrolysin improves recovery after "
            "stroke (very low-certainty evidence).",
            id="unproven-very-uncertain",
        ),
        pytest.param(
            "possibly_not_supported",
            "low",
            {},
            "It may not be true that Cerebrolysin improves recovery after stroke "
            "(low-certainty evidence).",
            id="possibly-not-supported-may-not",
        ),
        pytest.param(
            "unproven",
            "very_low",
            {"human_evidence": False},
            "There is no clinical evidence on whether Cerebrolysin improves recovery after "
            "stroke, only mechanistic, animal, laboratory or opinion evidence "
            "(very low-certainty evidence).",
            id="unproven-no-human-evidence",
        ),
        pytest.param(
            "unproven",
            None,
            {},
            "There is no usable evidence on whether Cerebrolysin improves recovery after stroke.",
            id="unproven-no-evidence-left",
        ),
        pytest.param(
            "probably_not_supported",
            "moderate",
            {},
            "It is probably not true that Cerebrolysin improves recovery after stroke "
            "(moderate-certainty evidence).",
            id="probably-not-supported-probably-not",
        ),
        pytest.param(
            "contradicted",
            "high",
            {},
            "It is not true that Cerebrolysin improves recovery after stroke "
            "(high-certainty evidence).",
            id="contradicted-not-true",
        ),
        pytest.param(
            "ungraded",
            None,
            {},
            "Not yet graded: Cerebrolysin improves recovery after stroke.",
            id="ungraded-says-so",
        ),
    ],
)
def test_grade26_sentence(verdict, certainty, kwargs, sentence):
    assert grade26_sentence(verdict, certainty, STATEMENT, **kwargs) == sentence


def test_grade26_sentence_embeds_a_statement_mid_sentence():
    sentence = grade26_sentence("possibly_supported", "low", " The drug protects neurons. ")
    assert sentence == "It may be true that the drug protects neurons (low-certainty evidence)."


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(("supported", "high", "  "), "statement is needed", id="empty-statement"),
        pytest.param(("proven", "high", STATEMENT), "Unknown verdict 'proven'", id="bad-verdict"),
        pytest.param(
            ("supported", "top", STATEMENT), "Unknown certainty 'top'", id="bad-certainty"
        ),
    ],
)
def test_grade26_sentence_rejects_bad_input(args, message):
    with pytest.raises(ValueError, match=message):
        grade26_sentence(*args)


# --- Bad input gets a clear message -----------------------------------------------------------


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda: ev("cohort", FOR), "Unknown design 'cohort'", id="bad-design"),
        pytest.param(lambda: ev(RCT, "agrees"), "Unknown stance 'agrees'", id="bad-stance"),
        pytest.param(
            lambda: ev(RCT, FOR, indirect={"dose"}),
            "Unknown indirectness code 'dose'",
            id="bad-indirectness-code",
        ),
        pytest.param(
            lambda: Judgements(imprecision="high"),
            "Unknown imprecision judgement 'high'",
            id="bad-judgement",
        ),
        pytest.param(
            lambda: Judgements(large_effect=3), "large_effect must be 0, 1 or 2", id="bad-large"
        ),
    ],
)
def test_bad_input_is_rejected_with_a_clear_message(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_stored_values_are_normalised():
    # What kb.models passes: JSON lists for codes, "" for blank CharFields.
    item = EvidenceItem(design="", stance=FOR, indirectness=["outcome"])
    assert (item.design, item.indirectness) == (None, frozenset({"outcome"}))
    assert Judgements(risk_of_bias="").risk_of_bias is None


def test_results_are_plain_strings():
    result = graded(ev(SR, FOR))
    # Plain str, not enum members: stored and compared like data from the database.
    assert type(result.verdict) is str
    assert type(result.certainty) is str
    assert type(effective_verdict(Verdict.UNPROVEN, Verdict.SUPPORTED)) is str


# --- Worked example: the Cerebrolysin stroke claim --------------------------------------------


def test_cerebrolysin_improves_recovery_after_stroke():
    """The article's claim, weighed against the studies it cites and the Cochrane review it
    mentions but does not cite."""
    evidence = [
        # Cochrane review of Cerebrolysin for acute ischaemic stroke (2023): probably no effect on
        # death, may increase serious non-fatal adverse events. Not in the article's references.
        EvidenceItem(design=Design.SYSTEMATIC_REVIEW, stance=Stance.NO_EFFECT, harm=True),
        # Lang et al. 2013 (Int J Stroke), reference 1: RCT with a neutral primary outcome.
        EvidenceItem(design=Design.RCT, stance=Stance.NO_EFFECT),
        # Brainin 2018 (Expert Rev Neurother), reference 5: an expert review, level 5d.
        EvidenceItem(design=Design.OPINION, stance=Stance.SUPPORTS),
    ]
    # The editor rates the Cochrane body of evidence down once (illustrative: one serious domain).
    judgements = Judgements(risk_of_bias="serious")

    result = grade(evidence, judgements, graded=True)

    assert result.best_level == 1
    assert result.direction == "against"
    assert result.starting_certainty == Certainty.HIGH
    assert result.steps == (("risk_of_bias", -1, "editor judged the risk of bias serious"),)
    assert result.certainty == Certainty.MODERATE
    assert result.verdict == Verdict.PROBABLY_NOT_SUPPORTED
    assert result.flags == {
        Flag.CONTRADICTED_BY_EVIDENCE,  # Cochrane and Lang find no effect
        Flag.HARM_SIGNAL,  # Cochrane: more serious non-fatal adverse events
        Flag.EXTRAPOLATED,  # its only supporting study is expert opinion
    }
    # The article's sentence cites Lang (reference 1), which found no effect, and Brainin.
    cited = [Stance.NO_EFFECT, Stance.SUPPORTS]
    assert appearance_flags(cited, overstated=False) == {Flag.CITATION_MISMATCH}
    assert (
        grade26_sentence(
            result.verdict, result.certainty, "Cerebrolysin improves recovery after stroke"
        )
        == "It is probably not true that Cerebrolysin improves recovery after stroke "
        "(moderate-certainty evidence)."
    )
    # Before an editor marks it graded, readers see "ungraded" but the flags are already there.
    assert grade(evidence, judgements, graded=False).verdict == Verdict.UNGRADED


# --- The reader-facing methodology names every code -------------------------------------------

# The document, and the page readers get at /methodology/ (the document rendered, kb.methodology).
METHODOLOGY = {
    "grading.md": lambda: (ROOT / "docs" / "grading.md").read_text(encoding="utf-8"),
    "methodology page": lambda: methodology_page().html,
}
VOCABULARIES = [Design, Stance, Indirectness, Certainty, Verdict, Flag]


@pytest.mark.parametrize("source", METHODOLOGY)
@pytest.mark.parametrize("vocabulary", VOCABULARIES, ids=lambda v: v.__name__)
def test_methodology_documents_every_code(source, vocabulary):
    text = METHODOLOGY[source]()
    missing = [code for code in vocabulary.values if code not in text]
    assert not missing, f"{source} does not explain {missing}"


@pytest.mark.parametrize("source", METHODOLOGY)
def test_methodology_worked_example_matches_the_rules(source):
    text = " ".join(METHODOLOGY[source]().split())
    sentence = grade26_sentence("probably_not_supported", "moderate", STATEMENT)
    assert sentence in text


# --- How verdicts read in badges -------------------------------------------------------------


def test_the_ladder_is_symmetric_around_unproven():
    for_steps = [graded(ev(RCT, FOR), judgements=TO_CERTAINTY[c]).verdict for c in TO_CERTAINTY]
    against = [graded(ev(RCT, NULL), judgements=TO_CERTAINTY[c]).verdict for c in TO_CERTAINTY]
    assert for_steps == ["supported", "probably_supported", "possibly_supported", "unproven"]
    assert against == [
        "contradicted",
        "probably_not_supported",
        "possibly_not_supported",
        "unproven",
    ]


@pytest.mark.parametrize(
    ("verdict", "certainty", "words"),
    [
        pytest.param("unproven", None, "No usable evidence", id="no-evidence"),
        pytest.param("unproven", "very_low", "Very uncertain", id="very-low"),
        pytest.param("possibly_not_supported", "low", "Possibly not supported", id="label"),
        pytest.param("ungraded", None, "Not yet graded", id="ungraded"),
    ],
)
def test_verdict_words_tell_the_two_kinds_of_unproven_apart(verdict, certainty, words):
    assert verdict_words(verdict, certainty) == words


@pytest.mark.parametrize(
    ("verdict", "kind", "flags", "tone"),
    [
        pytest.param("probably_supported", "benefit", [], "good", id="benefit-borne-out"),
        pytest.param("possibly_supported", "benefit", [], "uncertain", id="benefit-may-be"),
        pytest.param(
            "probably_supported", "safety", ["harm_signal"], "harm", id="warning-borne-out"
        ),
        pytest.param("supported", "safety", [], "caution", id="safety-claim-never-green"),
        pytest.param("contradicted", "benefit", [], "bad", id="not-borne-out"),
        pytest.param("possibly_not_supported", "benefit", [], "uncertain", id="may-not-be"),
        pytest.param("unproven", "benefit", ["harm_signal"], "uncertain", id="unproven"),
        pytest.param("ungraded", "safety", [], "neutral", id="ungraded"),
    ],
)
def test_a_borne_out_warning_never_looks_like_good_news(verdict, kind, flags, tone):
    assert verdict_tone(verdict, kind, flags) == tone
    assert borne_out_warning(verdict, kind, flags) == (tone == "harm")
