"""The workbench in use: htmx requests get a fragment (a template partial) with the verdict,
status and versions updated out of band; the same forms work without JavaScript."""

import re

import pytest
from django.urls import reverse
from editor_support import HTMX, post, url, weigh
from pytest_django.asserts import assertTemplateNotUsed, assertTemplateUsed

from kb.models import Citation, Claim, Evidence, Reference
from kb.services import grades
from studies.models import Study

pytestmark = pytest.mark.django_db


def versions_in(html: str) -> set[str]:
    """The values of every hidden version input in a page or fragment."""
    return set(re.findall(r'name="version" value="(\d+)" class="claim-version"', html)) | set(
        re.findall(r'class="claim-version"[^>]*value="(\d+)"', html)
    )


def test_the_full_page_has_every_section_and_no_inline_script_or_style(signed_in, draft_claim):
    response = signed_in.get(url("claim", draft_claim))
    text = response.text
    assert response.status_code == 200
    assert "<html" in text
    assertTemplateUsed(response, "editor/claim.html")
    for section in ("claim-fields", "evidence", "judgements", "override", "status"):
        assert f'id="{section}"' in text
    assert 'id="verdict-panel"' in text
    assert 'id="editor-messages"' in text
    assert "A constructed randomised trial of Testolin" in text
    assert " hx-on" not in text
    assert "style=" not in text
    assert "<style" not in text
    # Scripts only from files, none inline.
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", text))
    assert versions_in(text) == {str(draft_claim.version)}


def test_weighing_a_study_answers_with_the_row_and_the_new_verdict_out_of_band(
    signed_in, draft_claim
):
    evidence = draft_claim.evidence.get()
    response = weigh(
        signed_in, draft_claim, evidence, stance="supports", note="Primary outcome met."
    )
    text = response.text
    assert response.status_code == 200
    assert "<html" not in text
    assertTemplateUsed(response, "evidence_row")
    assertTemplateNotUsed(response, "base.html")
    assert text.lstrip().startswith(f'<li id="ev-{evidence.pk}"')
    assert (
        'id="verdict-panel" aria-labelledby="verdict-panel-heading" class="card" hx-swap-oob'
        in text
    )
    assert 'hx-swap-oob="outerHTML:input.claim-version"' in text
    evidence.refresh_from_db()
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert (evidence.stance, evidence.note) == ("supports", "Primary outcome met.")
    assert claim.version == draft_claim.version + 1
    assert versions_in(text) == {str(claim.version)}
    # Weighed but not graded: the button to mark it graded is now enabled.
    assert "Mark graded</button>" in text
    assert "disabled>Mark graded" not in text


def test_grading_step_by_step_shows_the_verdict_change_with_each_judgement(signed_in, draft_claim):
    evidence = draft_claim.evidence.get()
    weigh(signed_in, draft_claim, evidence, stance="supports", design="rct")

    graded = post(signed_in, "mark-graded", draft_claim)
    assertTemplateUsed(graded, "status")
    assert "<html" not in graded.text
    assert "Supported" in graded.text
    assert "certainty: high" in graded.text

    judged = post(
        signed_in,
        "judgements",
        draft_claim,
        {
            "risk_of_bias": "serious",
            "risk_of_bias_reason": "Constructed: allocation was not concealed.",
            "large_effect": "0",
        },
    )
    assertTemplateUsed(judged, "judgements")
    assert "<html" not in judged.text
    assert "Probably supported" in judged.text
    assert "certainty: moderate" in judged.text
    assert "editor judged the risk of bias serious (-1)" in judged.text

    judged = post(
        signed_in,
        "judgements",
        draft_claim,
        {
            "risk_of_bias": "serious",
            "risk_of_bias_reason": "Constructed: allocation was not concealed.",
            "imprecision": "very_serious",
            "imprecision_reason": "Constructed: 40 patients, wide interval.",
            "large_effect": "0",
        },
    )
    assert "Unproven" in judged.text
    assert "certainty: very low" in judged.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert (claim.verdict, claim.certainty) == ("unproven", "very_low")
    assert claim.imprecision_reason == "Constructed: 40 patients, wide interval."


def test_a_serious_judgement_needs_a_reason_and_nothing_is_saved_without_one(
    signed_in, draft_claim
):
    response = post(
        signed_in, "judgements", draft_claim, {"risk_of_bias": "serious", "large_effect": "0"}
    )
    assert response.status_code == 200
    assertTemplateUsed(response, "judgements")
    assert "Say why the risk of bias is serious." in response.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.risk_of_bias is None
    assert claim.version == draft_claim.version


def test_without_javascript_a_write_redirects_back_to_its_section(signed_in, draft_claim):
    response = post(
        signed_in,
        "update-claim",
        draft_claim,
        {
            "statement": "In healthy adults, Testolin improves delayed recall at 12 weeks.",
            "kind": "benefit",
            "population": "Healthy adults",
            "outcome": "Delayed recall",
            "editor_flags": ["overstated"],
        },
        htmx=False,
    )
    assert response.status_code == 302
    assert response["Location"] == url("claim", draft_claim) + "#claim-fields"
    page = signed_in.get(response["Location"])
    assert "Claim saved." in page.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.outcome == "Delayed recall"
    assert claim.flags == ["overstated"]
    assert "Overstates its evidence" in page.text


def test_without_javascript_invalid_input_shows_the_page_with_the_errors(signed_in, draft_claim):
    response = post(
        signed_in,
        "override",
        draft_claim,
        {"verdict": "contradicted", "rationale": ""},
        htmx=False,
    )
    assert response.status_code == 200
    assert "<html" in response.text
    assert "An override needs a rationale." in response.text
    assert Claim.objects.get(pk=draft_claim.pk).verdict_override is None


def test_an_override_replaces_the_verdict_once_graded_and_can_be_removed(signed_in, draft_claim):
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    response = post(
        signed_in,
        "override",
        draft_claim,
        {
            "verdict": "unproven",
            "rationale": "Constructed: the trial was retracted in all but name.",
        },
    )
    assertTemplateUsed(response, "override")
    assert "Overridden by an editor to Unproven" in response.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert (claim.verdict, claim.computed_verdict) == ("unproven", "supported")
    post(signed_in, "override", draft_claim, {"verdict": "", "rationale": ""})
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert (claim.verdict, claim.verdict_override, claim.override_rationale) == (
        "supported",
        None,
        "",
    )


def test_publishing_an_ungraded_claim_is_refused_with_a_message(signed_in, draft_claim):
    response = post(signed_in, "publish", draft_claim)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#editor-messages"
    assertTemplateUsed(response, "messages")
    assert "Mark the claim graded before publishing it." in response.text
    assert Claim.objects.get(pk=draft_claim.pk).status == "draft"

    page = signed_in.get(post(signed_in, "publish", draft_claim, htmx=False)["Location"])
    assert "Mark the claim graded before publishing it." in page.text


def test_grade_publish_unpublish(signed_in, draft_claim, client):
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    published = post(signed_in, "publish", draft_claim)
    assertTemplateUsed(published, "status")
    assert "Unpublish</button>" in published.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.status == "published"
    signed_in.logout()
    assert client.get(claim.get_absolute_url()).status_code == 200
    client.force_login(claim.graded_by)
    post(client, "unpublish", draft_claim)
    client.logout()
    assert client.get(claim.get_absolute_url()).status_code == 404


def test_searching_stored_studies_offers_them_to_add(signed_in, draft_claim):
    response = signed_in.get(url("find-study", draft_claim), {"q": "systematic review"}, **HTMX)
    assert response.status_code == 200
    assert "<html" not in response.text
    assertTemplateUsed(response, "study_results")
    assert "A constructed systematic review of Testolin" in response.text
    review = Study.objects.get(design="systematic_review")
    assert f'name="study" value="{review.pk}"' in response.text


def test_adding_a_stored_study_links_it_unweighed_and_knows_the_source_cites_it(
    signed_in, draft_claim
):
    review = Study.objects.get(design="systematic_review")
    reference = Reference.objects.create(
        source=draft_claim.source, number=1, text="Constructed reference", study=review
    )
    Citation.objects.create(claim=draft_claim, reference=reference)
    response = post(signed_in, "add-evidence", draft_claim, {"study": review.pk})
    assertTemplateUsed(response, "evidence")
    assert "<html" not in response.text
    assert "A constructed systematic review of Testolin" in response.text
    link = Evidence.objects.get(claim=draft_claim, study=review)
    assert (link.stance, link.cited_by_source) == (None, True)
    again = post(signed_in, "add-evidence", draft_claim, {"study": review.pk})
    assert "already linked to this claim" in again.text
    assert Evidence.objects.filter(claim=draft_claim, study=review).count() == 1


def test_a_pmid_not_stored_is_fetched_shown_and_stored_only_when_added(
    signed_in, draft_claim, pubmed_network
):
    requested = pubmed_network("eutils_efetch_23121403.xml")
    response = signed_in.get(
        url("find-study", draft_claim), {"q": "https://pubmed.ncbi.nlm.nih.gov/23121403/"}, **HTMX
    )
    assert "Low-dose aspirin for preventing recurrent venous thromboembolism." in response.text
    assert "Fetched, not yet stored" in response.text
    assert "Randomized Controlled Trial" in response.text
    assert len(requested) == 1
    assert "23121403" in requested[0]
    assert not Study.objects.filter(pmid="23121403").exists()

    added = post(signed_in, "add-evidence", draft_claim, {"record": "pmid:23121403"})
    assertTemplateUsed(added, "evidence")
    study = Study.objects.get(pmid="23121403")
    assert (study.doi, study.design) == ("10.1056/nejmoa1210384", "rct")
    assert Evidence.objects.filter(claim=draft_claim, study=study, stance=None).exists()
    assert len(requested) == 1  # stored from the record shown, not fetched again


def test_a_doi_not_stored_is_fetched_from_crossref_and_shown_before_storing(
    signed_in, draft_claim, crossref_network
):
    requested = crossref_network("habanero_works_10.1371_journal.pone.0033693.json")
    response = signed_in.get(
        url("find-study", draft_claim), {"q": "doi:10.1371/journal.pone.0033693"}, **HTMX
    )
    assert "Methylphenidate Exposure Induces Dopamine Neuron Loss" in response.text
    assert "DOI 10.1371/journal.pone.0033693" in response.text
    assert requested[0].startswith("https://api.crossref.org/works/10.1371/journal.pone.0033693")
    assert not Study.objects.filter(doi="10.1371/journal.pone.0033693").exists()
    post(signed_in, "add-evidence", draft_claim, {"record": "doi:10.1371/journal.pone.0033693"})
    study = Study.objects.get(doi="10.1371/journal.pone.0033693")
    assert Evidence.objects.filter(claim=draft_claim, study=study).exists()


def test_a_stored_study_is_found_by_its_doi_without_the_network(
    signed_in, draft_claim, pubmed_network
):
    requested = pubmed_network(None)
    trial = Study.objects.get(design="rct")
    trial.doi = "10.5555/constructed.trial"
    trial.save()
    response = signed_in.get(
        url("find-study", draft_claim), {"q": "https://doi.org/10.5555/CONSTRUCTED.trial"}, **HTMX
    )
    assert "A constructed randomised trial of Testolin" in response.text
    assert requested == []


def test_offline_the_lookup_says_pubmed_could_not_be_reached(
    signed_in, draft_claim, pubmed_network
):
    pubmed_network(None)
    response = signed_in.get(url("find-study", draft_claim), {"q": "PMID: 23121403"}, **HTMX)
    assert response.status_code == 200
    assert "PubMed could not be reached" in response.text
    assert "Nothing was fetched" in response.text
    assert not Study.objects.filter(pmid="23121403").exists()


def test_text_that_is_no_identifier_and_matches_nothing_gets_a_clear_message(
    signed_in, draft_claim
):
    response = signed_in.get(url("find-study", draft_claim), {"q": "zebrafish"}, **HTMX)
    assert "No stored study matches. Enter a PMID, DOI or URL to fetch one." in response.text


def test_removing_a_study_unlinks_it_and_regrades(signed_in, draft_claim):
    evidence = draft_claim.evidence.get()
    weigh(signed_in, draft_claim, evidence, stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    response = post(signed_in, "remove-evidence", draft_claim, None, evidence.pk)
    assertTemplateUsed(response, "evidence")
    assert "No evidence linked yet" in response.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.evidence.count() == 0
    assert claim.certainty is None


def test_confirming_a_design_regrades_other_claims_weighing_the_same_study(
    signed_in, draft_claim, make_claim, make_evidence
):
    trial = Study.objects.get(design="rct")
    other = make_claim(
        draft_claim.compound, quote="Testolin is safe.", graded_at=draft_claim.created_at
    )
    make_evidence(other, trial, stance="supports")
    assert Claim.objects.get(pk=other.pk).certainty == "high"
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="animal")
    other = Claim.objects.get(pk=other.pk)
    assert (other.verdict, other.certainty) == ("unproven", "very_low")
    assert Study.objects.get(pk=trial.pk).design_source == "editor"


def test_queue_lists_claims_needing_attention_with_counts_and_filters(
    signed_in, draft_claim, make_claim, make_compound
):
    done = make_claim(draft_claim.compound, quote="Testolin is graded and clean.")
    done.graded_at = done.created_at
    grades.regrade(done, user=None, reason="Constructed: graded")
    flagged = make_claim(
        make_compound(name="Otherol"), quote="Otherol is overstated.", editor_flags=["overstated"]
    )
    flagged.graded_at = flagged.created_at
    grades.regrade(flagged, user=None, reason="Constructed: graded")
    response = signed_in.get(reverse("editor:queue"))
    text = response.text
    assert "Testolin improves recall" in text
    assert "Otherol is overstated." in text
    assert "Testolin is graded and clean." not in text
    counts = dict(re.findall(r'\?state=(\w+)">[^<]+</a></th><td>(\d+)</td>', text))
    assert counts == {"needs_rereview": "0", "ungraded": "1", "flagged": "1", "overridden": "0"}
    by_compound = signed_in.get(reverse("editor:queue"), {"compound": "otherol"}).text
    assert "Otherol is overstated." in by_compound
    assert "Testolin improves recall" not in by_compound
    by_flag = signed_in.get(reverse("editor:queue"), {"flag": "overstated"}).text
    assert "Otherol is overstated." in by_flag
    assert "Testolin improves recall" not in by_flag
    by_state = signed_in.get(reverse("editor:queue"), {"state": "ungraded"}).text
    assert "Testolin improves recall" in by_state
    assert "Otherol is overstated." not in by_state
    by_source = signed_in.get(reverse("editor:queue"), {"source": draft_claim.source_id}).text
    assert "Testolin improves recall" in by_source
    assert "Otherol is overstated." not in by_source


def test_adding_evidence_to_a_published_claim_puts_it_back_in_the_queue(signed_in, draft_claim):
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    post(signed_in, "publish", draft_claim)
    review = Study.objects.get(design="systematic_review")
    post(signed_in, "add-evidence", draft_claim, {"study": review.pk})
    queue = signed_in.get(reverse("editor:queue"), {"state": "needs_rereview"}).text
    assert "Testolin improves recall" in queue
    post(signed_in, "mark-graded", draft_claim)
    assert "needs_rereview" not in Claim.objects.get(pk=draft_claim.pk).flags
