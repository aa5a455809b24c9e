"""Shared fixtures: plain factories over the real models, no magic primary keys."""

import pytest

from kb.models import Claim, Compound, Evidence, Source
from kb.vocabulary import ClaimStatus
from studies.models import Study


@pytest.fixture
def make_compound(db):
    def make(**fields):
        fields.setdefault("name", "Testolin")
        fields.setdefault("slug", fields["name"].lower())
        return Compound.objects.create(**fields)

    return make


@pytest.fixture
def make_study(db):
    counter = iter(range(990000000, 999999999))

    def make(**fields):
        fields.setdefault("title", "A constructed study for tests")
        fields.setdefault("pmid", str(next(counter)))
        fields.setdefault("year", 2020)
        return Study.objects.create(**fields)

    return make


@pytest.fixture
def make_claim(db, make_compound):
    def make(compound=None, **fields):
        fields.setdefault("quote", "Testolin improves memory.")
        fields.setdefault("status", ClaimStatus.PUBLISHED)
        return Claim.objects.create(
            compound=compound or Compound.objects.first() or make_compound(), **fields
        )

    return make


@pytest.fixture
def make_evidence(db):
    def make(claim, study, **fields):
        fields.setdefault("stance", "supports")
        return Evidence.objects.create(claim=claim, study=study, **fields)

    return make


@pytest.fixture
def source(db):
    return Source.objects.create(title="A page that sells Testolin", publisher="Vendor Inc.")
