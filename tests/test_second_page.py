"""A second Cerebrolysin page attaches to the demo's claims instead of duplicating them.

The page (tests/data/articles/constructed-second-page.html) is CONSTRUCTED for these tests: its
sentences restate demo claims in other words or make new propositions, and it cites only the
demo's own studies, by their DOIs and PMIDs as fixtures/cerebrolysin.json has them. Which demo
claim each sentence restates is written down below, by the claim's statement (as in
fixtures/cerebrolysin-grading.json); `python -m pytest tests/test_second_page.py -s` prints how
many sentences the preselection alone attaches to the right claim.
"""

from pathlib import Path

import pytest
from django.urls import reverse

from kb import matching, selectors
from kb.articles import extract_article
from kb.demo import load_demo
from kb.editor import pending as pending_store
from kb.editor.queue import review_queue
from kb.models import Appearance, Citation, Claim, Evidence, Reference, Source
from kb.services.articles import Placement, save_article
from studies.models import Study

PAGE = Path(__file__).resolve().parent / "data" / "articles" / "constructed-second-page.html"

# Sentence of the page -> the statement of the demo claim it restates.
RESTATES = {
    "Cerebrolysin is made from proteins taken from the brains of pigs.": (
        "Cerebrolysin is made from porcine (pig) brain proteins"
    ),
    "Cerebrolysin contains the neurotrophic factors BDNF, GDNF, NGF and CNTF.": (
        "Cerebrolysin contains the neurotrophic factors BDNF, GDNF, NGF and CNTF"
    ),
    "Cerebrolysin cannot be swallowed as a pill: it has to be injected into a muscle or a vein.": (
        "Cerebrolysin cannot be taken by mouth: its peptides must be injected intramuscularly "
        "or intravenously"
    ),
    "Patients given Cerebrolysin after an acute ischaemic stroke are less likely to die or to "
    "be left dependent on others.": (
        "Cerebrolysin reduces death or dependency in adults with acute ischaemic stroke"
    ),
    "After a stroke, Cerebrolysin improves functional outcome, so patients regain more of their "
    "motor and cognitive abilities.": (
        "Cerebrolysin improves functional outcome after stroke, with better recovery of motor "
        "and cognitive abilities"
    ),
    "In people with a traumatic brain injury, Cerebrolysin improves functional recovery.": (
        "Cerebrolysin improves functional recovery in people with traumatic brain injury"
    ),
    "Cerebrolysin reduces oxidative stress and the formation of free radicals in the brain.": (
        "Cerebrolysin reduces oxidative stress and free radical formation in the brain"
    ),
    "In people with dementia, including Alzheimer\u2019s disease, Cerebrolysin improves "
    "neurocognitive function.": (
        "Cerebrolysin improves neurocognitive function in people with dementia, including "
        "Alzheimer's disease"
    ),
    "Cerebrolysin lowers the amount of amyloid precursor protein and so slows the progression "
    "of Alzheimer\u2019s disease.": (
        "Cerebrolysin lowers amyloid precursor protein levels and slows Alzheimer's disease"
    ),
    "By helping the brain use oxygen, Cerebrolysin boosts cerebral metabolism and with it "
    "cognition.": ("Cerebrolysin improves the brain's oxygen use and metabolism, and so cognition"),
    "Healthy people who take Cerebrolysin get better memory, focus, mood and energy.": (
        "Cerebrolysin improves cognitive function, memory, focus, alertness, mood and energy in "
        "healthy people"
    ),
    "Serious side effects are rare with Cerebrolysin, affecting fewer than 1% of users.": (
        "Cerebrolysin causes serious side effects in under 1% of users"
    ),
    "Cerebrolysin calms chronic inflammation in the brain, which matters in neurodegenerative "
    "disease.": (
        "Cerebrolysin reduces brain inflammation, including the chronic inflammation of "
        "neurodegenerative disease"
    ),
}
# Propositions the demo does not have: they must become new claims.
NEW_PROPOSITIONS = [
    "Cerebrolysin also helps people with aphasia regain their speech after a stroke.",
    "Cerebrolysin helps people with a spinal cord injury walk again.",
    "Cerebrolysin improves sleep quality in adults with chronic insomnia.",
]
# The loose paraphrase the matching ranks first but below the preselection threshold.
NOT_PRESELECTED = [
    "Cerebrolysin cannot be swallowed as a pill: it has to be injected into a muscle or a vein."
]
# Sentences citing a study the demo already weighs against their claim as not backing it
# (a stance of no effect, contradicts or does not address): flagged without any grading.
MISMATCHED = {
    # Ziganshina 2023 (Cochrane, acute ischaemic stroke) finds no effect on death or dependency.
    "Patients given Cerebrolysin after an acute ischaemic stroke are less likely to die or to be "
    "left dependent on others.": "10.1002/14651858.cd007026.pub7",
    # The same review contradicts "<1% serious side effects" (more non-fatal serious events).
    "Serious side effects are rare with Cerebrolysin, affecting fewer than 1% of users.": (
        "10.1002/14651858.cd007026.pub7"
    ),
    # Liu 2019, an animal study, does not address slowing Alzheimer's disease in people.
    "Cerebrolysin lowers the amount of amyloid precursor protein and so slows the progression of "
    "Alzheimer\u2019s disease.": "10.1371/journal.pone.0222757",
    # Colucci 2012, a review of cholinergic nootropics, does not address Cerebrolysin's oxygen use.
    "By helping the brain use oxygen, Cerebrolysin boosts cerebral metabolism and with it "
    "cognition.": "10.2147/jep.s35326",
    # Funke 1998 finds no effect on healthy volunteers' memory.
    "Healthy people who take Cerebrolysin get better memory, focus, mood and energy.": "9700674",
}
# A sentence citing a study its claim does not weigh yet (Lu 2022 for oxidative stress).
NEW_EVIDENCE = {
    "Cerebrolysin reduces oxidative stress and the formation of free radicals in the brain.": (
        "10.1590/acb370605"
    )
}

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo():
    return load_demo()


@pytest.fixture
def page():
    return extract_article(PAGE.read_bytes())


def claim_of(statement: str) -> Claim:
    return Claim.objects.get(statement=statement)


def preselected_placements(page, compound) -> dict[str, Placement]:
    """What the preview preselects (and the CLI saves): the best match above the threshold."""
    stored = selectors.stored_studies(page.references)
    found = {}
    for proposed in page.claims:
        cited = [stored[n].pk for n in proposed.references if n in stored]
        chosen = matching.preselected(matching.rank_claims(compound, proposed.quote, cited))
        if chosen is not None:
            found[proposed.quote] = Placement(claim_ids=(chosen,))
    return found


def attached_right(page, placements) -> int:
    """How many restating sentences the placements attach to the claim they restate."""
    statements = dict(Claim.objects.values_list("pk", "statement"))
    return sum(
        1
        for quote, placement in placements.items()
        if quote in RESTATES and [statements[pk] for pk in placement.claim_ids] == [RESTATES[quote]]
    )


def counts():
    models = (Source, Reference, Claim, Appearance, Citation, Evidence, Study)
    return [m.objects.count() for m in models]


def test_the_page_is_what_the_data_above_says(page):
    quotes = [c.quote for c in page.claims]
    assert sorted(quotes) == sorted([*RESTATES, *NEW_PROPOSITIONS])
    assert {r.number: r.doi or r.pmid for r in page.references} == {
        1: "10.1002/14651858.cd007026.pub7",
        2: "10.1080/14737175.2018.1500459",
        3: "10.2147/ndt.s186865",
        4: "10.1002/14651858.cd008900.pub3",
        5: "10.1371/journal.pone.0222757",
        6: "10.2147/jep.s35326",
        7: "9700674",
        8: "10.1590/acb370605",
        9: "10.1007/s10072-021-05089-2",
    }
    assert page.warnings == []


def test_the_preselection_alone_attaches_12_of_13_restatements_and_nothing_else(demo, page):
    placements = preselected_placements(page, demo.compound)
    right = attached_right(page, placements)
    print(
        f"\n{right} of {len(RESTATES)} restating sentences ({len(page.claims)} in all) attached "
        "to the right claim by the preselection alone"
    )
    assert right == len(RESTATES) - len(NOT_PRESELECTED) == 12
    # Nothing is preselected wrongly: not for a new proposition, nor another claim.
    assert set(placements) == set(RESTATES) - set(NOT_PRESELECTED)


def test_saving_with_the_preselection_attaches_audits_and_asks_for_weighing(demo, page):
    verdicts = dict(Claim.objects.values_list("statement", "verdict"))
    assert len(verdicts) == 59
    result = save_article(
        page, compound=demo.compound, placements=preselected_placements(page, demo.compound)
    )
    source = result.source
    assert (result.attached, result.claims_created, result.claims_existing) == (12, 4, 0)
    appearances = {a.quote: a for a in source.appearances.select_related("claim")}
    assert len(appearances) == len(page.claims)
    for quote, statement in RESTATES.items():
        claim = appearances[quote].claim
        if quote in NOT_PRESELECTED:
            assert (claim.statement, claim.status) == (quote, "draft")
        else:
            assert claim.statement == statement, quote
            # An attached sentence shows the claim's grade at once: nobody graded again.
            assert claim.verdict == verdicts[statement] != "ungraded", quote
            assert claim.status == "published"
    for quote in NEW_PROPOSITIONS:
        claim = appearances[quote].claim
        assert (claim.statement, claim.status, claim.verdict) == (quote, "draft", "ungraded")
        assert claim.appearances.count() == 1
    # Verdicts of the demo's claims are untouched.
    assert {
        s: v for s, v in Claim.objects.values_list("statement", "verdict") if s in verdicts
    } == verdicts

    # The page's citation audit, from the evidence already weighed.
    for quote, appearance in appearances.items():
        expected = ["citation_mismatch"] if quote in MISMATCHED else []
        assert appearance.flags == expected, quote
    for quote, identifier in MISMATCHED.items():
        study = appearances[quote].citations.get().reference.study
        assert identifier in (study.doi, study.pmid)
        assert Evidence.objects.get(claim=appearances[quote].claim, study=study).stance in (
            "no_effect",
            "contradicts",
            "does_not_address",
        )

    # A study the claim does not weigh yet: linked unweighed, so the claim is "new evidence
    # to weigh" in the queue (and, being published, asks for a re-review).
    for quote, identifier in NEW_EVIDENCE.items():
        claim = appearances[quote].claim
        link = Evidence.objects.get(claim=claim, study__doi=identifier)
        assert (link.stance, link.cited_by_source) == (None, True)
        queued = {c.pk: c.queue_states for c in review_queue(source=source).claims}
        assert "New evidence to weigh" in queued[claim.pk]
        assert "needs_rereview" in Claim.objects.get(pk=claim.pk).editor_flags


def test_importing_the_same_page_twice_changes_nothing(demo, page):
    first = preselected_placements(page, demo.compound)
    save_article(page, compound=demo.compound, placements=first)
    before = counts()
    flags = sorted(Appearance.objects.values_list("quote", "flags"))
    # Matched again, each sentence now also finds the claim it made last time.
    again = save_article(
        page, compound=demo.compound, placements=preselected_placements(page, demo.compound)
    )
    assert (again.attached, again.claims_created, again.claims_existing) == (0, 0, 16)
    assert counts() == before
    assert sorted(Appearance.objects.values_list("quote", "flags")) == flags


def test_the_workbench_preselects_and_the_editor_corrects_one_row(client, editor, demo):
    client.force_login(editor)
    response = client.post(
        reverse("editor:article-preview"),
        {"text": PAGE.read_text("utf-8"), "fmt": "auto", "compound": demo.compound.pk},
    )
    assert response.status_code == 302
    current = pending_store.load(client.session)
    index = {c.quote: i for i, c in enumerate(current.article.claims)}
    page = client.get(reverse("editor:article-review")).text
    assert "Same claim as: Cerebrolysin reduces death or dependency" in page
    assert page.count('type="radio"') > len(index)
    # The one restatement not preselected is offered first: the editor picks it.
    loose = NOT_PRESELECTED[0]
    right = claim_of(RESTATES[loose])
    assert current.proposals[index[loose]].matches[0]["claim"] == right.pk
    assert current.proposals[index[loose]].placement == pending_store.NEW
    i = index[loose]
    answer = client.post(
        reverse("editor:article-claim", args=[i]),
        {"token": current.token, "action": "place", f"p{i}-placement": str(right.pk)},
        HTTP_HX_REQUEST="true",
    )
    assert answer.status_code == 200
    assert answer.text.lstrip().startswith(f'<li id="proposed-{i}"')
    assert f"Will be attached to claim {right.pk}" in answer.text
    assert 'id="article-save-summary" hx-swap-oob="true"' in answer.text
    assert "13 sentences will be attached" in answer.text

    saved = client.post(
        reverse("editor:article-save"), {"token": current.token, "compound": demo.compound.pk}
    )
    source = Source.objects.get(title__contains="constructed test page")
    assert saved["Location"] == f"{reverse('editor:queue')}?source={source.pk}"
    queue = client.get(saved["Location"]).text
    assert "13 sentences attached to existing claims, 3 new draft claims." in queue
    for quote, statement in RESTATES.items():
        assert source.appearances.get(quote=quote).claim.statement == statement
    for quote in NEW_PROPOSITIONS:
        assert source.appearances.get(quote=quote).claim.status == "draft"
