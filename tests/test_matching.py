"""kb.matching: which existing claim a newly imported sentence restates.

`score`, `coverage` and `preselected` are plain functions (no database); `rank_claims` runs
against PostgreSQL on the demo's 59 claims, with the constructed second page
(tests/data/articles/constructed-second-page.html, see tests/test_second_page.py).
"""

from test_second_page import NEW_PROPOSITIONS, NOT_PRESELECTED, PAGE, RESTATES

from kb import matching, selectors
from kb.articles import extract_article
from kb.matching import Match, coverage, preselected, score


def test_score_is_a_weighted_mean_of_the_signals_present():
    assert score(trigram=1, text=1, studies=1) == 1.0
    assert score(trigram=0, text=0, studies=0) == 0.0
    # Without studies to compare, the text signals carry the whole weight.
    assert score(trigram=0.6, text=0.6, studies=None) == 0.6
    assert score(trigram=1, text=0, studies=None) == 0.5
    # Shared studies only tip the balance.
    assert score(trigram=0.5, text=0.5, studies=1) - score(trigram=0.5, text=0.5, studies=0) < 0.12
    # Out-of-range signals are clamped.
    assert score(trigram=1.7, text=-2, studies=None) == 0.5


def test_coverage_is_the_share_of_the_statements_words_without_the_compounds_name():
    statement = ["cerebrolysin", "made", "porcin", "pig", "brain", "protein"]
    sentence = ["cerebrolysin", "made", "protein", "taken", "brain", "pig"]
    assert coverage(statement, sentence, ignore=["cerebrolysin"]) == 4 / 5
    assert coverage(statement, ["cerebrolysin"], ignore=["cerebrolysin"]) == 0
    assert coverage(["cerebrolysin"], ["cerebrolysin"], ignore=["cerebrolysin"]) == 0
    assert coverage([], ["anything"]) == 0


def test_preselected_is_the_best_match_at_or_above_the_threshold():
    at = matching.PRESELECT_AT
    assert preselected([]) is None
    assert preselected([Match(7, "A", at), Match(8, "B", at - 0.1)]) == 7
    assert preselected([Match(7, "A", round(at - 0.001, 3))]) is None
    assert Match(7, "A", 0.5).as_json() == {"claim": 7, "statement": "A", "score": 0.5}
    assert 0 < matching.OFFER_AT < matching.PRESELECT_AT < 1


def ranked(compound, page):
    stored = selectors.stored_studies(page.references)
    return {
        c.quote: matching.rank_claims(
            compound, c.quote, [stored[n].pk for n in c.references if n in stored]
        )
        for c in page.claims
    }


def test_every_restatement_ranks_its_claim_first_and_new_propositions_stay_below(demo):
    page = extract_article(PAGE.read_bytes())
    matches = ranked(demo.compound, page)
    for quote, statement in RESTATES.items():
        assert matches[quote][0].statement == statement, quote
        if quote not in NOT_PRESELECTED:
            assert matches[quote][0].score >= matching.PRESELECT_AT + 0.1, quote
    for quote in NEW_PROPOSITIONS:
        assert matches[quote], quote  # something about the compound is always offered
        assert matches[quote][0].score < matching.PRESELECT_AT - 0.1, quote
    for found in matches.values():
        assert len(found) <= matching.MAX_MATCHES
        assert [m.score for m in found] == sorted((m.score for m in found), reverse=True)
        assert all(m.score >= matching.OFFER_AT for m in found)


def test_rank_claims_is_one_query_and_stays_within_the_compound(
    demo, make_compound, make_claim, django_assert_num_queries
):
    statement = "Cerebrolysin is made from porcine (pig) brain proteins"
    elsewhere = make_claim(make_compound(name="Examplamine"), statement=statement)
    sentence = statement + "."
    with django_assert_num_queries(1):
        found = matching.rank_claims(demo.compound, sentence)
    same = demo.compound.claims.get(statement=statement)
    assert (found[0].claim, found[0].score) == (same.pk, 1.0)
    assert elsewhere.pk not in {m.claim for m in found}
    without = matching.rank_claims(demo.compound, sentence, exclude=[same.pk])
    assert same.pk not in {m.claim for m in without}
    assert matching.rank_claims(demo.compound, "   ") == []
    assert matching.rank_claims(None, sentence) == []
    # Words only a query language would read are just words here.
    assert matching.rank_claims(demo.compound, "pig & | ! :* ' brain") is not None


def test_a_shared_cited_study_breaks_a_tie_but_does_not_make_a_match(demo):
    review = demo.studies["ziganshina2023"]
    sentence = "Cerebrolysin helps people with a spinal cord injury walk again."
    plain = matching.rank_claims(demo.compound, sentence)
    citing = matching.rank_claims(demo.compound, sentence, [review.pk])
    assert preselected(plain) is None
    assert preselected(citing) is None
