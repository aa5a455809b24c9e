"""The synthetic scale data set (kb.scale_data, `manage.py generate_scale_data`), generated at
tiny sizes: the rows are consistent with each other and with the grading rules, marked as
synthetic, carry no real-looking identifier, and the same seed gives the same data."""

import io
from collections import Counter

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kb.models import Appearance, Citation, Claim, Compound, Evidence, Reference, Source
from kb.scale_data import SLUG_PREFIX, SOURCE_URL_PREFIX
from kb.services import grades
from kb.vocabulary import ClaimStatus
from studies.models import Study

pytestmark = pytest.mark.django_db

TINY = {
    "compounds": 4,
    "claims": 30,
    "appearances": 50,
    "studies": 120,
    "evidence": 70,
    "sources": 6,
    "large_compounds": 2,
    "large_claims": 9,
    "raw_record_chars": 300,
}


def generate(**options) -> str:
    out = io.StringIO()
    call_command("generate_scale_data", stdout=out, **{**TINY, **options})
    return out.getvalue()


def snapshot() -> dict:
    """The generated content without primary keys (which depend on the sequences' state)."""
    compound_of = dict(Compound.objects.values_list("pk", "slug"))
    study_of = dict(Study.objects.values_list("pk", "title"))
    claim_of = dict(Claim.objects.values_list("pk", "statement"))
    return {
        "compounds": sorted(Compound.objects.values_list("slug", "name", "summary")),
        "sources": sorted(Source.objects.values_list("url", "title", "text")),
        "studies": sorted(
            Study.objects.values_list("title", "abstract", "year", "design", "retracted")
        ),
        "claims": sorted(
            (compound_of[c], s, v, str(cert), st)
            for c, s, v, cert, st in Claim.objects.values_list(
                "compound_id", "statement", "verdict", "certainty", "status"
            )
        ),
        "evidence": sorted(
            (claim_of[c], study_of[s], str(st))
            for c, s, st in Evidence.objects.values_list("claim_id", "study_id", "stance")
        ),
        "appearances": sorted(
            (claim_of[c], q, tuple(f))
            for c, q, f in Appearance.objects.values_list("claim_id", "quote", "flags")
        ),
    }


def delete_generated() -> None:
    for model in (Citation, Reference, Appearance, Evidence, Claim, Study, Source, Compound):
        model.objects.all()._raw_delete(model.objects.db)


def test_tiny_data_set_is_consistent_and_marked_synthetic():
    assert "4 compounds" in generate()
    assert Compound.objects.count() == 4
    assert Study.objects.count() == 120
    assert Evidence.objects.count() == 70
    assert Appearance.objects.count() == 50
    # The large compounds come first, with all their claims published; the rest share the others.
    per_compound = Counter(Claim.objects.values_list("compound__slug", flat=True))
    assert per_compound[f"{SLUG_PREFIX}001"] == per_compound[f"{SLUG_PREFIX}002"] == 9
    assert sorted(per_compound.values()) == [6, 6, 9, 9]
    large = Claim.objects.filter(compound__slug__in=[f"{SLUG_PREFIX}001", f"{SLUG_PREFIX}002"])
    assert set(large.values_list("status", flat=True)) == {ClaimStatus.PUBLISHED}
    # Every claim is made by at least one sentence; each study at most once per claim.
    assert not Claim.objects.filter(appearances__isnull=True).exists()
    # No identifier that could be mistaken for a real one; every row says it is synthetic.
    assert not Study.objects.filter(pmid__isnull=False).exists()
    assert not Study.objects.filter(doi__isnull=False).exists()
    assert not Study.objects.exclude(editor_notes__contains="synthetic").exists()
    assert not Source.objects.exclude(url__startswith=SOURCE_URL_PREFIX).exists()
    # Citations point at studies the claim weighs, through the citing sentence's own page.
    for citation in Citation.objects.select_related("appearance", "reference"):
        assert citation.reference.source_id == citation.appearance.source_id
        assert Evidence.objects.filter(
            claim_id=citation.appearance.claim_id, study_id=citation.reference.study_id
        ).exists()
    # Stored grades and sentence flags are the ones the rules give from the stored evidence.
    for claim in Claim.objects.all():
        assert not grades.apply_grade(claim), claim.statement
        assert grades.appearance_changes(claim) == []
    # New rows through the ORM get fresh keys: the sequences were kept in step.
    Compound.objects.create(name="Made after generating", slug="made-after-generating")


def test_the_large_compound_page_lists_its_claims(client):
    generate()
    response = client.get(f"/compounds/{SLUG_PREFIX}001/")
    assert response.status_code == 200
    assert response.context["all_claims"] == 9


def test_same_seed_same_data_other_seed_other_data():
    generate(seed=7)
    first = snapshot()
    delete_generated()
    generate(seed=7)
    assert snapshot() == first
    delete_generated()
    generate(seed=8)
    assert snapshot()["studies"] != first["studies"]


def test_impossible_sizes_and_a_second_run_are_refused_and_write_nothing():
    with pytest.raises(CommandError, match="--claims must be at least 20"):
        generate(claims=19)
    assert not Study.objects.exists()
    generate()
    with pytest.raises(CommandError, match="already in this database"):
        generate()
    assert Compound.objects.count() == 4
    assert "nothing written" in generate(if_missing=True)
