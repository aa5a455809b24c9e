"""Shared fixtures: plain factories over the real models, no magic primary keys, and the
editors' workbench (roles, users, a draft claim, PubMed and Crossref on a fake network)."""

import socket
from urllib.error import URLError

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User
from django.db import transaction
from editor_support import DATA, PASSWORD, PUBMED_DATA, make_user
from fake_network import FakeResponse, serve

from kb import roles as kb_roles
from kb.demo import load_demo
from kb.models import Appearance, Citation, Claim, Compound, Evidence, Reference, Source
from kb.services import grades
from kb.vocabulary import ClaimStatus
from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient
from studies.models import Study


@pytest.fixture(autouse=True)
def no_page_cache(settings):
    """Tests build their data with the models, which bump no content version: a page cached by
    an earlier request (or test) would hide it. tests/test_page_cache.py turns the cache on."""
    settings.PUBLIC_PAGE_CACHE = False


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


def _cite(appearance: Appearance, study: Study) -> None:
    """The sentence cites the study, through a new entry of its page's reference list."""
    source = appearance.source
    last = source.references.order_by("-number").values_list("number", flat=True).first()
    reference = Reference.objects.create(
        source=source, number=(last or 0) + 1, text=str(study), study=study
    )
    Citation.objects.create(appearance=appearance, reference=reference)


def _regrade(claim_id: int) -> Claim:
    """Store the claim's grade and its appearances' flags as the services do."""
    stored = Claim.objects.get(pk=claim_id)
    grades.apply_grade(stored)
    stored.save()
    for appearance in grades.appearance_changes(stored):
        appearance.save()
    return stored


@pytest.fixture
def make_appearance(db):
    """One more sentence making the claim: on `source` (by default the claim's first source,
    else a new vendor page), citing `cites` (studies, each through a new reference)."""

    def make(claim, *, quote=None, source=None, position=None, cites=(), overstated=False):
        if source is None:
            first = claim.appearances.select_related("source").first()
            source = first.source if first else None
        if source is None:
            source = Source.objects.create(title=f"A page that sells {claim.compound}")
        appearance = Appearance.objects.create(
            claim=claim,
            source=source,
            quote=quote or claim.statement,
            position=position,
            overstated=overstated,
        )
        for study in cites:
            _cite(appearance, study)
        _regrade(claim.pk)
        return appearance

    return make


@pytest.fixture
def make_claim(db, make_compound, make_appearance):
    """A claim as the services store it, graded from the start, made by one sentence (`quote`,
    default the statement) on `source`; appearance=False for a claim no page makes."""

    def make(
        compound=None,
        *,
        quote=None,
        source=None,
        position=None,
        overstated=False,
        appearance=True,
        **fields,
    ):
        fields.setdefault("statement", quote or "Testolin improves memory.")
        fields.setdefault("status", ClaimStatus.PUBLISHED)
        claim = Claim(compound=compound or Compound.objects.first() or make_compound(), **fields)
        grades.apply_grade(claim)
        claim.save()
        if appearance:
            make_appearance(
                claim, quote=quote, source=source, position=position, overstated=overstated
            )
        return Claim.objects.get(pk=claim.pk)

    return make


@pytest.fixture
def make_evidence(db):
    """A study linked to the claim as the services link it; cited=True also makes the claim's
    first sentence cite it (through a new reference on its page)."""

    def make(claim, study, *, cited=False, **fields):
        fields.setdefault("stance", "supports")
        evidence = Evidence.objects.create(claim=claim, study=study, **fields)
        if cited:
            _cite(claim.appearances.select_related("source").first(), study)
        # What the services do after linking a study: a published claim asks for re-review,
        # and the grade follows the new evidence.
        stored = Claim.objects.get(pk=claim.pk)
        if stored.status == ClaimStatus.PUBLISHED:
            grades.ask_for_rereview(stored)
            stored.save()
        _regrade(claim.pk)
        return Evidence.objects.get(pk=evidence.pk)

    return make


@pytest.fixture
def source(db):
    return Source.objects.create(title="A page that sells Testolin", publisher="Vendor Inc.")


# The editors' workbench: the roles, one user per role, a claim to grade and the network seams.
# Plain helpers they use (PASSWORD, post(), weigh(), ...) are in tests/editor_support.py.


@pytest.fixture
def fast_hashing(settings):
    # The production hasher takes a good part of a second per password, by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db, fast_hashing) -> dict[str, Group]:
    kb_roles.grant_roles(apps)
    return {group.name: group for group in Group.objects.filter(name__in=kb_roles.ROLES)}


@pytest.fixture
def editor(roles) -> User:
    return make_user("edith", roles["editors"])


@pytest.fixture
def second_editor(roles) -> User:
    return make_user("edmund", roles["editors"])


@pytest.fixture
def researcher(roles) -> User:
    return make_user("rhea", roles["researchers"])


@pytest.fixture
def admin_user(db, fast_hashing) -> User:
    # Overrides pytest-django's admin_user: same password as the other test accounts.
    return User.objects.create_superuser("ada", password=PASSWORD)


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def draft_claim(make_compound, make_claim, make_study, make_evidence, source) -> Claim:
    """An ungraded draft with a trial linked but not yet weighed, and a review unlinked."""
    compound = make_compound(name="Testolin")
    claim = make_claim(
        compound,
        quote="Testolin doubles recall in healthy adults.",
        statement="In healthy adults, Testolin improves recall.",
        source=source,
        status="draft",
    )
    trial = make_study(title="A constructed randomised trial of Testolin", design="rct")
    make_study(title="A constructed systematic review of Testolin", design="systematic_review")
    make_evidence(claim, trial, stance=None)
    return Claim.objects.get(pk=claim.pk)


@pytest.fixture
def pubmed_network(monkeypatch, settings):
    """PubMed for the clients built from settings: answer with a recorded efetch reply, or be
    unreachable. Returns install(file name | None); the list of requested URLs."""
    settings.NCBI_EMAIL = "editor@example.org"
    requested = []
    monkeypatch.setattr("Bio.Entrez.time.sleep", lambda seconds: None)

    def install(reply_file: str | None):
        def urlopen(request, *args, **kwargs):
            requested.append(request.full_url)
            if reply_file is None:
                raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
            return FakeResponse((PUBMED_DATA / reply_file).read_bytes(), request.full_url)

        serve(monkeypatch, EutilsClient, urlopen)
        return requested

    return install


@pytest.fixture
def crossref_network(monkeypatch, settings):
    """Crossref for the clients built from settings: a recorded works reply."""
    settings.NCBI_EMAIL = "editor@example.org"
    requested = []

    def install(reply_file: str):
        def urlopen(request, *args, **kwargs):
            requested.append(request.full_url)
            body = (DATA / "crossref" / reply_file).read_bytes()
            return FakeResponse(body, request.full_url, "application/json")

        serve(monkeypatch, CrossrefClient, urlopen)
        return requested

    return install


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The Cerebrolysin demo, loaded once per test module and rolled back after it.

    Loading it takes seconds; dozens of tests only read it. It is loaded inside a transaction
    that stays open for the module, so each test's own transaction (pytest-django's `db`) is a
    savepoint inside it: what a test changes is undone after that test, and the demo after the
    module. Not for transactional tests (the live server of browser tests cannot see it).
    """
    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            yield load_demo()
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def pytest_collection_modifyitems(items):
    """Within each module, tests that use the module's `demo` run after those that do not, so
    that the demo, once loaded, is seen only by tests that asked for it."""
    order = {}
    for item in items:
        order.setdefault(item.module, len(order))
    items.sort(key=lambda item: (order[item.module], "demo" in item.fixturenames))
