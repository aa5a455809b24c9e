"""The Cerebrolysin demo, built by the article importer from the seed article plus the editor's
curated grading: the two cannot drift apart, the grades say what the sources say, and sentences
stating the same proposition are one claim, graded once."""

import json
from collections import Counter
from pathlib import Path

import pytest
from responses import json_of

from kb.demo import DEMO_FILE, load_demo, read_grading, read_json, seed_article
from kb.models import Appearance, Citation, Claim, Evidence
from kb.vocabulary import Flag, Verdict
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_STROKE = "10.1002/14651858.cd007026.pub7"
# The demo as it was when each claim was one sentence (dumped from the last commit before
# appearances, tests/data/migrations/README.md): what every verdict, stance and flag must stay.
BEFORE = Path(__file__).resolve().parent / "data" / "migrations" / "demo-before-appearances.json"


def _sentences(entry):
    return [appearance["quote"] for appearance in entry["appearances"]]


def test_every_curated_sentence_is_one_the_importer_proposes_with_the_same_citations():
    proposed = {claim.quote: claim.references for claim in seed_article().claims}
    for entry in read_grading()["claims"]:
        for appearance in entry["appearances"]:
            assert appearance["quote"] in proposed, appearance["quote"]
            assert proposed[appearance["quote"]] == appearance["references"], appearance["quote"]


def test_curated_grading_names_only_known_studies_and_topics():
    grading = read_grading()
    keys = {study["key"] for study in read_json(DEMO_FILE)["studies"]}
    topics = {topic["slug"] for topic in grading["topics"]}
    for entry in grading["claims"]:
        assert {link["study"] for link in entry["evidence"]} <= keys
        assert entry["topic"] in topics, entry["statement"]


def test_no_two_curated_claims_are_made_by_the_same_sentences():
    # The demo finds an entry's claim again by its sentences (loading twice).
    made_by = [frozenset(_sentences(entry)) for entry in read_grading()["claims"]]
    assert len(set(made_by)) == len(made_by)


def test_demo_publishes_graded_claims_each_made_by_its_sentences(demo):
    claims = Claim.objects.filter(compound__slug="cerebrolysin")
    assert demo.missing == []
    assert (demo.claims, demo.appearances) == (59, 68)
    assert (claims.count(), Appearance.objects.count()) == (59, 68)
    assert not claims.exclude(status="published").exists()
    assert not claims.filter(verdict=Verdict.UNGRADED).exists()
    assert not claims.filter(topic=None).exists()


@pytest.mark.parametrize(
    ("statement", "sentences", "fragment"),
    [
        ("Cerebrolysin is made from porcine (pig) brain proteins", 4, "porcine"),
        ("Cerebrolysin causes serious side effects in under 1% of users", 2, ""),
        (
            "Cerebrolysin does not reduce the risk of death and increases non-fatal serious "
            "adverse events in adults with acute ischaemic stroke",
            2,
            "Cochrane Review",
        ),
    ],
)
def test_repeated_sentences_are_one_claim(demo, statement, sentences, fragment):
    claim = Claim.objects.get(statement=statement)
    quotes = list(claim.appearances.values_list("quote", flat=True))
    assert len(quotes) == sentences
    assert all(fragment in quote or (fragment == "porcine" and "pigs" in quote) for quote in quotes)


def _on_todays_ladder(verdict, certainty):
    """Issue 12 gave low-certainty evidence against its own step; the snapshot predates it."""
    if (verdict, certainty) == ("unproven", "low"):
        return "possibly_not_supported"
    return verdict


def _strong_direct_against(claim):
    return claim.evidence.filter(
        study__design__in=["systematic_review", "rct"],
        study__retracted=False,
        stance__in=["no_effect", "contradicts"],
    ).exclude(indirectness__contains=["outcome"])


def _todays_flags(flags, claim):
    """Since issue 12 a strong study on another outcome no longer raises
    contradicted_by_evidence; the snapshot predates it."""
    flags = set(flags)
    if not _strong_direct_against(claim).exists():
        flags.discard(Flag.CONTRADICTED_BY_EVIDENCE)
    return flags


def test_every_verdict_stance_and_flag_of_the_one_sentence_demo_survives(demo):
    before = json.loads(BEFORE.read_text(encoding="utf-8"))
    titles = {o["pk"]: o["fields"]["title"] for o in before if o["model"] == "studies.study"}
    links = [o["fields"] for o in before if o["model"] == "kb.evidence"]
    old_claims = {o["pk"]: o["fields"] for o in before if o["model"] == "kb.claim"}
    assert len(old_claims) == 64
    for pk, old in old_claims.items():
        wanted = {
            titles[link["study"]]: (
                link["stance"],
                link["cited_by_source"],
                link["harm"],
                sorted(link["indirectness"]),
            )
            for link in links
            if link["claim"] == pk
        }
        candidates = []
        for appearance in Appearance.objects.filter(quote=old["quote"]).select_related("claim"):
            claim = appearance.claim
            now = {
                ev.study.title: (ev.stance, ev.cited_by_source, ev.harm, sorted(ev.indirectness))
                for ev in claim.evidence.select_related("study")
            }
            candidates.append(
                claim.verdict == _on_todays_ladder(old["verdict"], old["certainty"])
                and claim.certainty == old["certainty"]
                and _todays_flags(old["flags"], claim) == set(claim.flags) | set(appearance.flags)
                and all(now.get(title) == values for title, values in wanted.items())
            )
        assert any(candidates), old["quote"]


def test_loading_twice_changes_nothing(demo):
    def counts():
        return [
            model.objects.count() for model in (Claim, Appearance, Evidence, Citation, Study)
        ] + [Claim.history.count(), Appearance.history.count()]

    before = counts()
    verdicts = list(Claim.objects.values_list("verdict", "certainty", "flags"))
    sentence_flags = list(Appearance.objects.values_list("flags", flat=True))
    again = load_demo()
    assert counts()[:5] == before[:5]
    assert list(Claim.objects.values_list("verdict", "certainty", "flags")) == verdicts
    assert list(Appearance.objects.values_list("flags", flat=True)) == sentence_flags
    assert (again.claims, again.appearances) == (demo.claims, demo.appearances)


def test_each_of_the_nine_citations_links_its_sentence_to_the_cited_study(demo):
    citations = Citation.objects.select_related("reference__study", "appearance")
    assert sorted(c.reference.number for c in citations) == list(range(1, 10))
    for citation in citations:
        study = citation.reference.study
        assert study is not None, citation.reference.text
        assert Evidence.objects.get(claim=citation.appearance.claim_id, study=study).cited_by_source


def test_the_cochrane_stroke_review_contradicts_the_stroke_treatment_claims(demo):
    cochrane = Study.objects.get(doi=COCHRANE_STROKE)
    against = Evidence.objects.filter(study=cochrane, stance__in=["no_effect", "contradicts"])
    assert against.count() >= 3
    on_other_outcomes = 0
    for evidence in against.select_related("claim"):
        claim = evidence.claim
        # A review that found nothing on another outcome does not "disagree" with the claim.
        raised = "outcome" not in evidence.indirectness or _strong_direct_against(claim).exists()
        on_other_outcomes += "outcome" in evidence.indirectness
        assert (Flag.CONTRADICTED_BY_EVIDENCE in claim.flags) == raised, claim.statement
        assert Flag.HARM_SIGNAL in claim.flags, claim.statement
        assert claim.verdict == claim.compute_grade().verdict or claim.verdict_override
    assert on_other_outcomes >= 1


def test_one_claim_two_sentences_two_audits(demo):
    """The stroke claim is made twice: the sentence citing the Lang trial (which cannot show
    what it says) is a citation mismatch, the one citing nothing is not."""
    claim = Claim.objects.get(
        statement__startswith="Cerebrolysin does not reduce the risk of death"
    )
    flags = {a.quote[:30]: a.flags for a in claim.appearances.all()}
    assert flags == {
        "However, recent preclinical st": [],
        "However, recent reviews, inclu": [Flag.CITATION_MISMATCH],
    }
    assert Flag.CITATION_MISMATCH not in claim.flags


def test_the_public_api_serves_the_graded_demo(client, demo):
    data = json_of(client.get("/api/compounds/cerebrolysin/"))
    assert len(data["claims"]) == 59
    assert all(claim["certainty"] or claim["verdict"] == "unproven" for claim in data["claims"])


def test_readers_find_the_claims_grouped_by_topic(client, demo):
    page = client.get("/compounds/cerebrolysin/").text
    counts = Counter(Claim.objects.values_list("topic__slug", flat=True))
    assert len(counts) == 8
    for slug, count in counts.items():
        assert f'href="/compounds/cerebrolysin/?topic={slug}"' in page
        listed = client.get("/compounds/cerebrolysin/", {"topic": slug}).context["claims"]
        assert listed.paginator.count == count
