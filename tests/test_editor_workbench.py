"""The workbench in use: htmx requests get a fragment (a template partial) with the verdict,
status and versions updated out of band; the same forms work without JavaScript."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from editor_support import HTMX, judgements_as_stored, post, url, weigh
from pytest_django.asserts import assertTemplateNotUsed, assertTemplateUsed

from kb.models import Appearance, Citation, Claim, Evidence, Reference, Source, Topic
from kb.services import grades
from studies.models import Study

pytestmark = pytest.mark.django_db

PUBLIC_REASON = {"reason": "Constructed reason: graded from the linked trial."}


def versions_in(html: str) -> set[str]:
    """The values of every hidden version input in a page or fragment."""
    return set(re.findall(r'name="version" value="(\d+)" class="claim-version"', html)) | set(
        re.findall(r'class="claim-version"[^>]*value="(\d+)"', html)
    )


def version_inputs(html: str) -> dict[str, str]:
    """{id: name} of the hidden version inputs in a page or fragment (out-of-band or not)."""
    found = {}
    for tag in re.findall(r"<input[^>]*claim-version[^>]*>", html):
        attrs = dict(re.findall(r'([\w-]+)="([^"]*)"', tag))
        found[attrs.get("id", "")] = attrs["name"]
    return found


def page_section(html: str, section_id: str) -> str:
    start = html.index(f'<section id="{section_id}"')
    return html[start : html.index("</section>", start)]


@pytest.mark.parametrize("section", ["claim-fields", "judgements", "evidence", "appearances"])
def test_every_save_refreshes_each_version_input_on_the_page_by_its_id_keeping_its_name(
    signed_in, draft_claim, make_study, make_evidence, make_claim, section
):
    """The root of the "(Hidden field version) This field is required." bug: after one save,
    every other form on the page must send the new version under its own field name."""
    second = make_evidence(draft_claim, make_study(title="A constructed cohort of Testolin"))
    make_claim(draft_claim.compound, quote="Testolin is safe.", statement="Testolin is safe.")
    page = signed_in.get(url("claim", draft_claim)).text
    # Only the status section's inputs have no id: that section is re-rendered with every save.
    without_id = r"<input(?![^>]*\bid=)[^>]*claim-version[^>]*>"
    status = page_section(page, "status")
    assert len(re.findall(without_id, page)) == len(re.findall(without_id, status)) == 1
    kept = {id_: name for id_, name in version_inputs(page).items() if id_}
    # The statement, the grading form (every evidence row and the judgements: one version),
    # override, publish, both rows' "Remove", the sentence's two forms.
    assert {"claim_version", "grade_version", "override_version", "publish_version"} <= set(kept)
    assert kept[f"ev{second.pk}-remove-version"] == "version"
    assert len(kept) == 4 + 2 + 2

    evidence = draft_claim.evidence.order_by("pk").first()
    if section == "claim-fields":
        response = post(signed_in, "update-claim", draft_claim, claim_fields(draft_claim))
    elif section == "judgements":
        response = post(signed_in, "grading", draft_claim, {"large_effect": "0"})
    elif section == "evidence":
        response = weigh(signed_in, draft_claim, evidence, stance="supports")
    else:
        ap = draft_claim.appearances.get()
        response = post(signed_in, "set-overstated", draft_claim, {"overstated": "True"}, ap.pk)
    assert response.status_code == 200, response.text
    oob = "".join(re.findall(r'<input[^>]*hx-swap-oob="true"[^>]*>', response.text))
    assert version_inputs(oob) == kept
    assert versions_in(response.text) == {str(draft_claim.version + 1)}


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


def test_weighing_a_study_answers_with_the_grading_form_and_the_new_verdict_out_of_band(
    signed_in, draft_claim
):
    evidence = draft_claim.evidence.get()
    response = weigh(
        signed_in, draft_claim, evidence, stance="supports", note="Primary outcome met."
    )
    text = response.text
    assert response.status_code == 200
    assert "<html" not in text
    assertTemplateUsed(response, "grading")
    assertTemplateNotUsed(response, "base.html")
    assert text.lstrip().startswith('<div id="grading">')
    assert f'<li id="ev-{evidence.pk}"' in text
    assert (
        'id="verdict-panel" aria-labelledby="verdict-panel-heading" class="card" hx-swap-oob'
        in text
    )
    # The grading form's one version input (the claim's) is refreshed by id, keeping its name.
    new = draft_claim.version + 1
    assert f'name="version" value="{new}" id="grade_version"' in text
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
        "grading",
        draft_claim,
        {
            "risk_of_bias": "serious",
            "risk_of_bias_reason": "Constructed: allocation was not concealed.",
            "large_effect": "0",
        },
    )
    assertTemplateUsed(judged, "grading")
    assert "<html" not in judged.text
    assert "Probably supported" in judged.text
    assert "certainty: moderate" in judged.text
    assert "editor judged the risk of bias serious (-1)" in judged.text

    judged = post(
        signed_in,
        "grading",
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
        signed_in, "grading", draft_claim, {"risk_of_bias": "serious", "large_effect": "0"}
    )
    assert response.status_code == 200
    assertTemplateUsed(response, "grading")
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
            "editor_flags": ["needs_rereview"],
        },
        htmx=False,
    )
    assert response.status_code == 302
    assert response["Location"] == url("claim", draft_claim) + "#claim-fields"
    page = signed_in.get(response["Location"])
    assert "Claim saved." in page.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.outcome == "Delayed recall"
    assert claim.flags == ["needs_rereview"]
    assert "Needs re-review" in page.text


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
    response = post(signed_in, "publish", draft_claim, PUBLIC_REASON)
    assert response.status_code == 200
    assert response["HX-Retarget"] == "#editor-messages"
    assertTemplateUsed(response, "messages")
    assert "Mark the claim graded before publishing it." in response.text
    assert Claim.objects.get(pk=draft_claim.pk).status == "draft"

    plain = post(signed_in, "publish", draft_claim, PUBLIC_REASON, htmx=False)
    page = signed_in.get(plain["Location"])
    assert "Mark the claim graded before publishing it." in page.text


def test_grade_publish_unpublish(signed_in, draft_claim, client):
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    published = post(signed_in, "publish", draft_claim, PUBLIC_REASON)
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
    appearance = draft_claim.appearances.get()
    reference = Reference.objects.create(
        source=appearance.source, number=1, text="Constructed reference", study=review
    )
    Citation.objects.create(appearance=appearance, reference=reference)
    response = post(signed_in, "add-evidence", draft_claim, {"study": review.pk})
    assertTemplateUsed(response, "grading")
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
    assertTemplateUsed(added, "grading")
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
    assertTemplateUsed(response, "grading")
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
    # Flagged only through its sentence: the page overstates the proposition.
    flagged = make_claim(
        make_compound(name="Otherol"),
        quote="Otherol restores a perfect memory overnight.",
        statement="Otherol improves memory.",
        overstated=True,
    )
    flagged.graded_at = flagged.created_at
    grades.regrade(flagged, user=None, reason="Constructed: graded")
    assert (Claim.objects.get(pk=flagged.pk).flags, flagged.appearances.get().flags) == (
        [],
        ["overstated"],
    )
    response = signed_in.get(reverse("editor:queue"))
    text = response.text
    # Rows show the statement and how many pages make it, not a page's sentence.
    assert "In healthy adults, Testolin improves recall." in text
    assert "Testolin doubles recall in healthy adults." not in text
    assert "Otherol improves memory." in text
    assert "Otherol restores a perfect memory overnight." not in text
    assert "Said on 1 page<" in text
    assert "Overstates its evidence" in text
    assert "Testolin is graded and clean." not in text
    counts = dict(re.findall(r'\?state=(\w+)">[^<]+</a></th><td>(\d+)</td>', text))
    assert counts == {
        "needs_rereview": "0",
        "new_evidence": "1",
        "ungraded": "1",
        "flagged": "1",
        "overridden": "0",
    }
    by_compound = signed_in.get(reverse("editor:queue"), {"compound": "otherol"}).text
    assert "Otherol improves memory." in by_compound
    assert "Testolin improves recall" not in by_compound
    by_flag = signed_in.get(reverse("editor:queue"), {"flag": "overstated"}).text
    assert "Otherol improves memory." in by_flag
    assert "Testolin improves recall" not in by_flag
    by_state = signed_in.get(reverse("editor:queue"), {"state": "ungraded"}).text
    assert "Testolin improves recall" in by_state
    assert "Otherol improves memory." not in by_state
    source = draft_claim.appearances.get().source_id
    by_source = signed_in.get(reverse("editor:queue"), {"source": source}).text
    assert "Testolin improves recall" in by_source
    assert "Otherol improves memory." not in by_source


def test_new_evidence_to_weigh_comes_right_after_re_review_in_the_queue(
    signed_in, make_compound, make_claim, make_study, make_evidence
):
    compound = make_compound(name="Testolin")
    now = timezone.now()
    trial = make_study(title="A constructed trial of Testolin", design="rct")
    ungraded = make_claim(compound, statement="Testolin is ungraded.", status="draft")
    unweighed = make_claim(
        compound, statement="Testolin has a study to weigh.", status="draft", graded_at=now
    )
    make_evidence(unweighed, trial, stance=None, cited=True)
    rereview = make_claim(
        compound,
        statement="Testolin needs re-review.",
        graded_at=now,
        editor_flags=["needs_rereview"],
    )
    weighed = make_claim(compound, statement="Testolin is weighed.", graded_at=now)
    make_evidence(weighed, trial, stance="supports")
    Claim.objects.filter(pk=weighed.pk).update(editor_flags=[], flags=[])

    text = signed_in.get(reverse("editor:queue")).text
    order = [
        text.index(f'href="/editor/claims/{claim.pk}/"')
        for claim in (rereview, unweighed, ungraded)
    ]
    assert order == sorted(order)
    assert f'href="/editor/claims/{weighed.pk}/"' not in text
    assert "New evidence to weigh" in text
    listed = signed_in.get(reverse("editor:queue"), {"state": "new_evidence"}).text
    assert "Testolin has a study to weigh." in listed
    for other in ("Testolin is ungraded.", "Testolin needs re-review.", "Testolin is weighed."):
        assert other not in listed
    # Weighing the study takes the claim out of that state (and here out of the queue).
    Evidence.objects.filter(claim=unweighed).update(stance="supports")
    assert "Testolin has a study to weigh." not in signed_in.get(reverse("editor:queue")).text


def test_the_source_filter_finds_claims_through_their_sentences_each_once(
    signed_in, make_compound, make_claim, make_appearance
):
    compound = make_compound(name="Testolin")
    page = Source.objects.create(title="A constructed page repeating itself")
    other_page = Source.objects.create(title="A constructed second page")
    repeated = make_claim(
        compound,
        quote="Testolin sharpens memory.",
        statement="Testolin improves memory.",
        source=page,
        status="draft",
    )
    make_appearance(repeated, quote="Memory gets sharper with Testolin.", source=page)
    make_appearance(repeated, quote="Testolin: a sharper memory.", source=other_page)
    elsewhere = make_claim(
        compound, statement="Testolin is made from plants.", source=other_page, status="draft"
    )

    text = signed_in.get(reverse("editor:queue"), {"source": page.pk}).text
    assert text.count(f'href="/editor/claims/{repeated.pk}/"') == 1
    assert "Said on 2 pages" in text
    assert f'href="/editor/claims/{elsewhere.pk}/"' not in text
    assert "1 claim to review" in text
    both = signed_in.get(reverse("editor:queue"), {"source": other_page.pk}).text
    assert "2 claims to review" in both


def test_the_flag_filter_matches_a_citation_mismatch_on_any_sentence(
    signed_in, make_compound, make_claim, make_appearance, make_study, make_evidence
):
    compound = make_compound(name="Testolin")
    review = make_study(title="A constructed review finding no effect", design="systematic_review")
    claim = make_claim(compound, statement="Testolin improves memory.", status="draft")
    make_evidence(claim, review, stance="no_effect")
    clean = make_claim(compound, statement="Testolin is sold as a capsule.", status="draft")
    mismatched = make_appearance(claim, quote="A review proves Testolin works.", cites=[review])
    assert mismatched.__class__.objects.get(pk=mismatched.pk).flags == ["citation_mismatch"]
    text = signed_in.get(reverse("editor:queue"), {"flag": "citation_mismatch"}).text
    assert "Testolin improves memory." in text
    assert "Testolin is sold as a capsule." not in text
    assert f'href="/editor/claims/{clean.pk}/"' not in text


def _queue_size(make_claim, make_appearance, make_evidence, make_study, compound, count):
    page = Source.objects.get_or_create(title="A constructed page for counting queries")[0]
    for n in range(count):
        claim = make_claim(
            compound, statement=f"Testolin claim {n} for counting.", source=page, status="draft"
        )
        make_appearance(claim, quote=f"Sentence two of claim {n}.", overstated=True)
        make_evidence(claim, make_study(title=f"Constructed study {n}"), stance=None, cited=True)


def test_queue_query_count_does_not_grow_with_the_claims(
    signed_in, make_compound, make_claim, make_appearance, make_evidence, make_study
):
    compound = make_compound(name="Testolin")
    counted = []
    for count in (2, 4):
        _queue_size(make_claim, make_appearance, make_evidence, make_study, compound, count)
        page = Source.objects.get(title="A constructed page for counting queries")
        for query in ({}, {"source": page.pk, "flag": "overstated"}):
            with CaptureQueriesContext(connection) as queries:
                response = signed_in.get(reverse("editor:queue"), query)
            assert response.status_code == 200
            counted.append(len(queries))
    assert Claim.objects.count() == 6
    assert counted[:2] == counted[2:]


# ---------------------------------------------------------------------------------------------
# The sentences making the claim, and its topic


@pytest.fixture
def topics(db):
    return [
        Topic.objects.create(name="Healthy users", slug="healthy-users", position=1),
        Topic.objects.create(name="Dementia and cognitive decline", slug="dementia", position=2),
    ]


def claim_fields(claim, **changes):
    return {
        "statement": claim.statement,
        "kind": claim.kind,
        "population": claim.population,
        "outcome": claim.outcome,
        **changes,
    }


def test_the_topic_is_chosen_saved_and_shown(signed_in, draft_claim, topics):
    healthy = topics[0]
    page = signed_in.get(url("claim", draft_claim)).text
    assert '<select name="topic"' in page
    assert '<option value="" selected>—</option>' in page
    assert f'<option value="{healthy.pk}">Healthy users</option>' in page
    assert "Topic: none chosen" in page

    response = post(
        signed_in, "update-claim", draft_claim, claim_fields(draft_claim, topic=healthy.pk)
    )
    assert response.status_code == 200
    assertTemplateUsed(response, "claim_fields")
    assert f'<option value="{healthy.pk}" selected>Healthy users</option>' in response.text
    assert "Topic: Healthy users" in response.text  # the verdict panel, out of band
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.topic == healthy
    assert Claim.history.filter(id=claim.pk).latest().history_change_reason == (
        "Edited the claim: topic"
    )
    assert "Topic: Healthy users" in signed_in.get(url("claim", draft_claim)).text

    post(signed_in, "update-claim", draft_claim, claim_fields(claim, topic=""))
    assert Claim.objects.get(pk=draft_claim.pk).topic is None


def test_the_editor_flags_offer_only_re_review(signed_in, draft_claim):
    page = signed_in.get(url("claim", draft_claim)).text
    assert 'name="editor_flags" value="needs_rereview"' in page
    assert 'name="editor_flags" value="overstated"' not in page
    response = post(
        signed_in,
        "update-claim",
        draft_claim,
        claim_fields(draft_claim, editor_flags=["overstated"]),
    )
    assert "Select a valid choice." in response.text
    assert Claim.objects.get(pk=draft_claim.pk).version == draft_claim.version


def test_the_page_lists_every_sentence_with_its_page_citations_and_flags(
    signed_in, draft_claim, make_appearance
):
    trial = Study.objects.get(design="rct")
    first = draft_claim.appearances.get()
    other_page = Source.objects.create(title="A constructed second page")
    second = make_appearance(
        draft_claim, quote="Testolin, proven to boost recall.", source=other_page, cites=[trial]
    )
    make_appearance(draft_claim, quote="Testolin users recall more.", overstated=True)
    text = signed_in.get(url("claim", draft_claim)).text
    assert "3 sentences on 2 pages make this claim." in text
    assert "Said on 2 pages" in text
    for appearance in Appearance.objects.filter(claim=draft_claim):
        assert f'id="ap-{appearance.pk}"' in text
        assert appearance.quote in text
    assert f'<a href="{other_page.get_absolute_url()}">A constructed second page</a>' in text
    assert f'<a href="{first.source.get_absolute_url()}">{first.source.title}</a>' in text
    number = second.citations.get().reference.number
    assert f'[{number}] <a href="{trial.get_absolute_url()}">' in text
    assert "Overstates its evidence" in text
    assert text.count("Mark not overstated") == 1
    assert text.count(">Mark overstated<") == 2


def test_marking_one_sentence_overstated_changes_only_its_flags(
    signed_in, editor, draft_claim, make_appearance
):
    first = draft_claim.appearances.get()
    second = make_appearance(draft_claim, quote="Testolin, the recall pill.")
    seen = Claim.objects.get(pk=draft_claim.pk)
    response = post(signed_in, "set-overstated", draft_claim, {"overstated": "True"}, second.pk)
    assert response.status_code == 200
    assert "<html" not in response.text
    assertTemplateUsed(response, "appearances")
    assert response.text.lstrip().startswith('<section id="appearances"')
    assert "Marked the sentence overstated." in response.text
    # The verdict, the status and every version input follow out of band.
    assert (
        'id="verdict-panel" aria-labelledby="verdict-panel-heading" class="card" hx-swap-oob'
        in response.text
    )
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert versions_in(response.text) == {str(claim.version)}
    assert claim.version == seen.version + 1
    second = Appearance.objects.get(pk=second.pk)
    assert (second.overstated, second.flags) == (True, ["overstated"])
    assert Appearance.objects.get(pk=first.pk).flags == []
    assert (claim.flags, claim.verdict, claim.certainty) == (
        seen.flags,
        seen.verdict,
        seen.certainty,
    )
    row = second.history.latest()
    assert row.history_user == editor
    assert "judged overstated" in row.history_change_reason
    assert Claim.history.filter(id=claim.pk).latest().history_user == editor

    post(signed_in, "set-overstated", draft_claim, {"overstated": "False"}, second.pk)
    second = Appearance.objects.get(pk=second.pk)
    assert (second.overstated, second.flags) == (False, [])

    # Without JavaScript: back to the sentence.
    plain = post(
        signed_in, "set-overstated", draft_claim, {"overstated": "True"}, first.pk, htmx=False
    )
    assert plain["Location"] == url("claim", draft_claim) + f"#ap-{first.pk}"
    assert Appearance.objects.get(pk=first.pk).flags == ["overstated"]


def test_a_sentence_of_another_claim_is_not_found(signed_in, draft_claim, make_claim):
    other = make_claim(draft_claim.compound, statement="Testolin is safe.")
    theirs = other.appearances.get()
    response = post(signed_in, "set-overstated", draft_claim, {"overstated": "True"}, theirs.pk)
    assert response.status_code == 404
    assert Appearance.objects.get(pk=theirs.pk).overstated is False


def test_moving_a_sentence_takes_its_citations_and_regrades_both_claims(
    signed_in, editor, draft_claim, make_claim, make_appearance, make_evidence
):
    trial = Study.objects.get(design="rct")
    review = Study.objects.get(design="systematic_review")
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    # A sentence that really makes another claim, citing the review: it belongs there.
    safety = make_claim(
        draft_claim.compound,
        statement="In healthy adults, Testolin causes no serious side effects.",
        status="draft",
    )
    make_evidence(safety, trial, stance="no_effect")
    moving = make_appearance(
        draft_claim, quote="Testolin is safe, a review shows.", cites=[review, trial]
    )
    make_evidence(draft_claim, review, stance="contradicts")
    Evidence.objects.filter(claim=draft_claim, study=trial).update(stance="no_effect")
    claim = grades.regrade(Claim.objects.get(pk=draft_claim.pk), user=None, reason="Constructed")
    assert Appearance.objects.get(pk=moving.pk).flags == ["citation_mismatch"]
    assert claim.evidence.get(study=review).cited_by_source
    safety_version = Claim.objects.get(pk=safety.pk).version

    page = signed_in.get(url("claim", draft_claim)).text
    assert f'<option value="{safety.pk}">{safety.pk}: In healthy adults, Testolin causes' in page
    assert f'<option value="{draft_claim.pk}">' not in page  # not onto itself

    response = post(signed_in, "move-appearance", draft_claim, {"to_claim": safety.pk}, moving.pk)
    assert response.status_code == 200
    assertTemplateUsed(response, "appearances")
    assert f"Moved the sentence to claim {safety.pk}." in response.text
    assert f'id="ap-{moving.pk}"' not in response.text
    assert "Testolin is safe, a review shows." not in response.text
    moved = Appearance.objects.get(pk=moving.pk)
    assert moved.claim_id == safety.pk
    assert {c.reference.study_id for c in moved.citations.select_related("reference")} == {
        review.pk,
        trial.pk,
    }
    # The review is linked to the claim it now backs, unweighed; the trial was already there.
    target = Claim.objects.get(pk=safety.pk)
    assert target.evidence.get(study=review).stance is None
    assert target.evidence.get(study=review).cited_by_source
    assert target.evidence.get(study=trial).stance == "no_effect"
    assert target.version == safety_version + 1
    assert target.history.latest().history_user == editor
    # Against the trial's "no effect" the sentence now cites a study that does not back it.
    assert moved.flags == ["citation_mismatch"]
    source_claim = Claim.objects.get(pk=draft_claim.pk)
    assert not source_claim.evidence.get(study=review).cited_by_source
    assert source_claim.history.latest().history_change_reason == (
        f"Sentence moved from claim {draft_claim.pk} to claim {safety.pk}"
    )
    assert moved.history.latest().history_user == editor


def test_a_sentence_can_only_move_to_another_claim_of_the_compound(
    signed_in, draft_claim, make_claim, make_compound
):
    appearance = draft_claim.appearances.get()
    make_claim(draft_claim.compound, statement="Testolin is safe.")
    foreign = make_claim(make_compound(name="Otherol"), statement="Otherol improves memory.")
    response = post(
        signed_in, "move-appearance", draft_claim, {"to_claim": foreign.pk}, appearance.pk
    )
    assert response.status_code == 200
    assert "Select a valid choice." in response.text
    assert Appearance.objects.get(pk=appearance.pk).claim_id == draft_claim.pk
    assert Claim.objects.get(pk=draft_claim.pk).version == draft_claim.version


def test_a_claim_no_other_claim_shares_a_compound_with_offers_no_move(signed_in, draft_claim):
    text = signed_in.get(url("claim", draft_claim)).text
    assert 'id="appearances"' in text
    assert "Move the sentence" not in text


def _claim_page_size(claim, make_appearance, make_study, count):
    for n in range(count):
        page = Source.objects.create(title=f"A constructed page {n}")
        make_appearance(
            claim,
            quote=f"Constructed sentence {n} making the claim.",
            source=page,
            cites=[make_study(title=f"A constructed study {n}")],
            overstated=n % 2 == 0,
        )


def test_the_claim_page_query_count_does_not_grow_with_its_sentences(
    signed_in, draft_claim, make_claim, make_appearance, make_study
):
    make_claim(draft_claim.compound, statement="Testolin is safe.")  # somewhere to move to
    counted = []
    for count in (1, 4):
        _claim_page_size(draft_claim, make_appearance, make_study, count)
        with CaptureQueriesContext(connection) as queries:
            response = signed_in.get(url("claim", draft_claim))
        assert response.status_code == 200
        counted.append(len(queries))
    assert draft_claim.appearances.count() == 6
    assert counted[0] == counted[1]


def test_adding_evidence_to_a_published_claim_puts_it_back_in_the_queue(signed_in, draft_claim):
    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    post(signed_in, "mark-graded", draft_claim)
    post(signed_in, "publish", draft_claim, PUBLIC_REASON)
    review = Study.objects.get(design="systematic_review")
    post(signed_in, "add-evidence", draft_claim, {"study": review.pk})
    queue = signed_in.get(reverse("editor:queue"), {"state": "needs_rereview"}).text
    assert "Testolin improves recall" in queue
    post(signed_in, "mark-graded", draft_claim)
    assert "needs_rereview" not in Claim.objects.get(pk=draft_claim.pk).flags


def test_adding_a_study_that_does_not_exist_answers_a_clear_message_and_changes_nothing(
    signed_in, draft_claim
):
    # Issue 15: this answered 500 (Study.DoesNotExist).
    missing = Study.objects.order_by("-pk").first().pk + 1000
    before = (Evidence.objects.count(), Claim.objects.get(pk=draft_claim.pk).version)
    response = post(signed_in, "add-evidence", draft_claim, {"study": missing})
    assert response.status_code == 200
    assert f"There is no study {missing}" in response.content.decode()
    plain = post(signed_in, "add-evidence", draft_claim, {"study": missing}, htmx=False)
    assert plain.status_code == 302
    assert (Evidence.objects.count(), Claim.objects.get(pk=draft_claim.pk).version) == before


def test_save_and_mark_graded_does_both_in_one_step_or_neither(signed_in, draft_claim):
    judged = {
        "imprecision": "serious",
        "imprecision_reason": "Constructed: one small trial.",
        "large_effect": "0",
        "grade": "1",
    }
    # Nothing weighed yet: refused, and the judgements are not saved either.
    refused = post(signed_in, "grading", draft_claim, judged)
    assert "Weigh at least one study (set its stance) before grading the claim." in refused.text
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert (claim.imprecision, claim.graded_at, claim.version) == (None, None, draft_claim.version)

    weigh(signed_in, draft_claim, draft_claim.evidence.get(), stance="supports", design="rct")
    response = post(signed_in, "grading", draft_claim, judged)
    assert "Saved and marked graded." in response.text
    assert "Mark graded again (re-reviewed)" in response.text  # the status, out of band
    claim = Claim.objects.get(pk=draft_claim.pk)
    assert claim.imprecision == "serious"
    assert claim.graded_at is not None
    assert (claim.verdict, claim.certainty) == ("probably_supported", "moderate")


def test_the_shortcuts_listed_on_the_page_are_its_access_keys(signed_in, draft_claim):
    page = signed_in.get(url("claim", draft_claim)).text
    listed = page[
        page.index('id="shortcuts-heading"') : page.index(
            "</nav>", page.index('id="shortcuts-heading"')
        )
    ]
    keys = re.findall(r"<kbd>(\w)</kbd>", listed)
    assert keys == ["S", "E", "J", "G", "P", "Q"]
    # Each listed key is the access key of exactly one element on the page, and says so.
    for key in keys:
        owners = re.findall(
            rf'accesskey="{key.lower()}" aria-keyshortcuts="Alt\+Shift\+{key}"', page
        )
        assert len(owners) == 1, key
    assert len(re.findall(r'accesskey="', page)) == len(keys)
    # Every target of a jump exists.
    for target in re.findall(r'<a href="#([\w-]+)" accesskey=', listed):
        assert f'id="{target}"' in page


def test_one_grading_post_weighs_every_row_judges_grades_and_publishes_without_javascript(
    signed_in, draft_claim, make_study, make_evidence
):
    """The grading form as a browser without JavaScript sends it: both rows, the judgements and
    "Save, mark graded and publish" in one POST, answered by a redirect; a missing public reason
    refuses the whole save."""
    second = make_evidence(draft_claim, make_study(title="A constructed cohort of Testolin"))
    first = draft_claim.evidence.exclude(pk=second.pk).get()
    form = {
        **judgements_as_stored(draft_claim),
        "evidence": [first.pk, second.pk],
        f"ev{first.pk}-stance": "supports",
        f"ev{first.pk}-design": "rct",
        f"ev{second.pk}-stance": "no_effect",
        f"ev{second.pk}-harm": "on",
        "imprecision": "serious",
        "imprecision_reason": "Constructed: one small trial.",
        "publish": "1",
    }
    stances = sorted(draft_claim.evidence.values_list("pk", "stance"))
    refused = post(signed_in, "grading", draft_claim, form, htmx=False)
    assert refused.status_code == 200
    assert "Say publicly why you publish" in refused.text
    assert Claim.objects.get(pk=draft_claim.pk).version == draft_claim.version
    assert sorted(draft_claim.evidence.values_list("pk", "stance")) == stances

    form["public_reason"] = "Constructed: graded from the trial and the cohort."
    saved = post(signed_in, "grading", draft_claim, form, htmx=False)
    assert saved.status_code == 302
    assert saved["Location"].endswith("#grading")
    claim = Claim.objects.get(pk=draft_claim.pk)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.stance, second.stance, second.harm) == ("supports", "no_effect", True)
    assert (claim.imprecision, claim.status) == ("serious", "published")
    assert claim.graded_at is not None
    assert claim.public_changes.get().reason == form["public_reason"]
    # Two rows, the judgements, marked graded, published: five steps in the history.
    assert claim.version == draft_claim.version + 5


def test_a_grading_save_leaves_rows_it_did_not_change_alone(signed_in, draft_claim):
    """Saving the judgements sends every row too: an unchanged row is not written, so its
    study's design is not taken as confirmed by the editor."""
    evidence = draft_claim.evidence.select_related("study").get()
    design_source = evidence.study.design_source
    history = evidence.history.count()
    page = signed_in.get(url("claim", draft_claim)).text
    assert f'name="evidence" value="{evidence.pk}"' in page
    form = {
        **judgements_as_stored(draft_claim),
        "evidence": evidence.pk,
        f"ev{evidence.pk}-design": evidence.study.design or "",
        "risk_of_bias": "none",
    }
    response = post(signed_in, "grading", draft_claim, form)
    assert response.status_code == 200
    evidence.refresh_from_db()
    evidence.study.refresh_from_db()
    assert evidence.history.count() == history
    assert evidence.study.design_source == design_source
    assert Claim.objects.get(pk=draft_claim.pk).risk_of_bias == "none"
