"""The domain model's rules hold in the database itself, not only in forms."""

import pytest
from django.db import IntegrityError, transaction

from kb.models import Appearance, Citation, Claim, Evidence, Reference, Source
from kb.services import claims, grades
from kb.vocabulary import Flag, Verdict
from studies.models import Study

pytestmark = pytest.mark.django_db


def test_duplicate_pmid_is_refused(make_study):
    make_study(pmid="990000123")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_study(pmid="990000123")


def test_duplicate_doi_is_refused_whatever_its_spelling(make_study):
    make_study(doi="10.5555/Test.ONE")
    with pytest.raises(IntegrityError), transaction.atomic():
        make_study(doi="https://doi.org/10.5555/test.one")


@pytest.mark.parametrize(
    ("given", "stored"),
    [
        ("10.5555/ABC", "10.5555/abc"),
        ("doi:10.5555/abc", "10.5555/abc"),
        ("https://dx.doi.org/10.5555/abc", "10.5555/abc"),
        ("http://doi.org/10.5555%2Fabc", "10.5555/abc"),
        ("  10.5555/abc  ", "10.5555/abc"),
    ],
)
def test_doi_is_stored_normalised(make_study, given, stored):
    assert Study.objects.get(pk=make_study(doi=given).pk).doi == stored


def test_blank_identifiers_are_stored_as_null_so_many_studies_can_lack_them(make_study):
    make_study(pmid="", doi="")
    make_study(pmid=None, doi=None)
    assert Study.objects.filter(pmid__isnull=True, doi__isnull=True).count() == 2


def test_the_database_refuses_a_non_numeric_pmid_or_an_unnormalised_doi(make_study):
    study = make_study()
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.filter(pk=study.pk).update(pmid="12a")
    with pytest.raises(IntegrityError), transaction.atomic():
        Study.objects.filter(pk=study.pk).update(doi="10.5555/UPPER")


def test_one_evidence_link_per_claim_and_study(make_claim, make_study, make_evidence):
    claim, study = make_claim(), make_study()
    make_evidence(claim, study)
    with pytest.raises(IntegrityError), transaction.atomic():
        make_evidence(claim, study)


def test_the_database_refuses_unknown_codes(make_claim, make_study):
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(kind="miracle")
    with pytest.raises(IntegrityError), transaction.atomic():
        Evidence.objects.create(claim=claim, study=make_study(), stance="loves_it")


def test_an_override_without_a_rationale_is_refused(make_claim):
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(verdict_override=Verdict.SUPPORTED)


def test_a_claim_is_ungraded_until_marked_graded(make_claim, make_study, make_evidence):
    claim = make_claim()
    make_evidence(claim, make_study(design="rct"), stance="supports")
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == (Verdict.UNGRADED, None)


def test_grades_follow_evidence_as_it_is_added_and_removed(make_claim, make_study, make_evidence):
    claim = make_claim(status="draft")
    claim.graded_at = claim.created_at
    grades.regrade(claim, user=None, reason="Constructed: marked graded")
    assert claim.verdict == Verdict.UNPROVEN
    evidence = make_evidence(claim, make_study(design="systematic_review"), stance="no_effect")
    claim.refresh_from_db()
    assert claim.verdict == Verdict.CONTRADICTED
    assert Flag.CONTRADICTED_BY_EVIDENCE in claim.flags
    claims.remove_evidence(
        claim_id=claim.pk, evidence_id=evidence.pk, version=claim.version, user=None
    )
    claim.refresh_from_db()
    assert (claim.verdict, claim.flags) == (Verdict.UNPROVEN, [])


def test_evidence_added_to_a_published_claim_asks_for_rereview(make_claim, make_study):
    claim = make_claim(status="published")
    claims.add_evidence(
        claim_id=claim.pk, version=claim.version, user=None, study_id=make_study().pk
    )
    claim.refresh_from_db()
    assert Flag.NEEDS_REREVIEW in claim.flags


def test_saving_a_claim_derives_nothing(make_claim, make_study, make_evidence):
    """Grades are stored by the services alone: a bare save keeps what they stored."""
    claim = make_claim(status="draft", graded_at=None)
    claim.graded_at = claim.created_at
    claim.save()
    claim.refresh_from_db()
    assert claim.verdict == Verdict.UNGRADED


def test_an_override_keeps_the_computed_verdict_beside_it(make_claim):
    claim = make_claim()
    claim.graded_at = claim.created_at
    claim.verdict_override = Verdict.PROBABLY_NOT_SUPPORTED
    claim.override_rationale = "The only trial was stopped early for harm."
    grades.regrade(claim, user=None, reason="Constructed override")
    claim.refresh_from_db()
    assert claim.verdict == Verdict.PROBABLY_NOT_SUPPORTED
    assert claim.computed_verdict == Verdict.UNPROVEN


def test_a_study_reclassified_by_an_administrator_regrades_the_claims_using_it(
    make_claim, make_study, make_evidence, admin_client
):
    claim = make_claim(status="draft")
    claim.graded_at = claim.created_at
    grades.regrade(claim, user=None, reason="Constructed: marked graded")
    study = make_study(design="animal")
    make_evidence(claim, study, stance="supports")
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == (Verdict.UNPROVEN, "very_low")
    form = admin_client.get(f"/admin/studies/study/{study.pk}/change/").context["adminform"].form
    data = {
        name: value
        for name, value in {**form.initial, "design": "rct"}.items()
        if value is not None
    }
    response = admin_client.post(f"/admin/studies/study/{study.pk}/change/", data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    claim.refresh_from_db()
    assert (claim.verdict, claim.certainty) == (Verdict.SUPPORTED, "high")
    assert claim.history.first().history_change_reason == (
        f"Grade recomputed: study {study.pk} changed"
    )


# --- Claims and the sentences that make them ------------------------------------------------


def test_a_claim_needs_a_statement(make_claim):
    claim = make_claim()
    with pytest.raises(IntegrityError), transaction.atomic():
        Claim.objects.filter(pk=claim.pk).update(statement="  \n")


def test_a_sentence_makes_a_claim_once_per_page_but_may_make_two_claims(
    make_claim, make_appearance, source
):
    first = make_claim(quote="Testolin sharpens memory and lifts mood.", source=source)
    second = make_claim(first.compound, statement="Testolin lifts mood.", appearance=False)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appearance.objects.create(claim=first, source=source, quote=first.statement)
    make_appearance(second, source=source, quote="Testolin sharpens memory and lifts mood.")
    assert Appearance.objects.filter(quote__startswith="Testolin sharpens").count() == 2
    with pytest.raises(IntegrityError), transaction.atomic():
        Appearance.objects.create(claim=first, source=source, quote=" ")


def test_cited_by_source_is_read_from_the_sentences_citations_and_cannot_disagree(
    make_claim, make_appearance, make_study, make_evidence
):
    claim = make_claim()
    cited, uncited = make_study(design="rct"), make_study(design="rct")
    other_page = make_appearance(claim, source=Source.objects.create(title="Another page"))
    make_evidence(claim, uncited)
    make_evidence(claim, cited)
    assert {e.study_id: e.cited_by_source for e in claim.evidence.all()} == {
        cited.pk: False,
        uncited.pk: False,
    }
    reference = Reference.objects.create(source=other_page.source, number=1, text="x", study=cited)
    citation = Citation.objects.create(appearance=other_page, reference=reference)
    assert {e.study_id: e.cited_by_source for e in claim.evidence.all()} == {
        cited.pk: True,
        uncited.pk: False,
    }
    # A citation on a sentence of another claim says nothing about this one.
    elsewhere = make_claim(claim.compound, statement="Testolin lifts mood.")
    citation.appearance = elsewhere.appearances.get()
    citation.save()
    assert not Evidence.objects.get(claim=claim, study=cited).cited_by_source


def test_a_sentence_citing_a_study_that_does_not_back_the_claim_is_flagged_not_the_claim(
    make_claim, make_appearance, make_study, make_evidence
):
    claim = make_claim()
    trial = make_study(design="rct")
    make_evidence(claim, trial, stance="no_effect")
    quiet = claim.appearances.get()
    citing = make_appearance(
        claim, source=Source.objects.create(title="Another page"), cites=[trial]
    )
    citing.refresh_from_db()
    quiet.refresh_from_db()
    assert (quiet.flags, citing.flags) == ([], [Flag.CITATION_MISMATCH])
    assert Flag.CITATION_MISMATCH not in Claim.objects.get(pk=claim.pk).flags
