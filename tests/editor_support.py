"""Fixtures and helpers for the editors' workbench tests (tests/test_editor_*.py and
tests/browser/test_workbench.py): the roles, one user per role and a claim to grade.

The groups come from the data migration kb/0002_roles; tests that flush the database
(transactional and browser tests) remove them, so `roles` grants them again from the same
definition before each test that needs them.
"""

import importlib
import io
import socket
from http.client import HTTPMessage
from pathlib import Path
from urllib.error import URLError

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, User

from kb.models import Claim

roles_migration = importlib.import_module("kb.migrations.0002_roles")

# Test modules import these with `from editor_support import *`: pytest finds fixtures by name.
__all__ = [
    "PASSWORD",
    "admin_user",
    "crossref_network",
    "draft_claim",
    "editor",
    "fast_hashing",
    "pubmed_network",
    "researcher",
    "roles",
    "roles_migration",
    "second_editor",
]

DATA = Path(__file__).resolve().parent / "data"
PUBMED_DATA = DATA / "pubmed"
PASSWORD = "correct horse battery staple 42"  # constructed, for test accounts only


@pytest.fixture
def fast_hashing(settings):
    # The production hasher takes a good part of a second per password, by design.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def roles(db, fast_hashing) -> dict[str, Group]:
    roles_migration.grant_roles(apps)
    return {group.name: group for group in Group.objects.filter(name__in=roles_migration.ROLES)}


def _user(name: str, group: Group | None = None, **fields) -> User:
    user = User.objects.create_user(name, password=PASSWORD, **fields)
    if group is not None:
        user.groups.add(group)
    return user


@pytest.fixture
def editor(roles) -> User:
    return _user("edith", roles["editors"])


@pytest.fixture
def second_editor(roles) -> User:
    return _user("edmund", roles["editors"])


@pytest.fixture
def researcher(roles) -> User:
    return _user("rhea", roles["researchers"])


@pytest.fixture
def admin_user(db, fast_hashing) -> User:
    return User.objects.create_superuser("ada", password=PASSWORD)


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


class _Reply(io.BytesIO):
    """What urllib's urlopen returns: a binary file with .headers and .url."""

    def __init__(self, body: bytes, url: str):
        super().__init__(body)
        self.headers = HTTPMessage()
        self.headers["Content-Type"] = "text/xml; charset=UTF-8"
        self.url = url
        self.status = 200


@pytest.fixture
def pubmed_network(monkeypatch, settings):
    """PubMed at the network seam (Bio.Entrez's urlopen): answer with a recorded efetch reply,
    or be unreachable. Returns install(file name | None); the list of requested URLs."""
    settings.NCBI_EMAIL = "editor@example.org"
    requested = []
    monkeypatch.setattr("Bio.Entrez.time.sleep", lambda seconds: None)
    monkeypatch.setattr("studies.pubmed.pause", lambda seconds: None)

    def install(reply_file: str | None):
        def urlopen(request, *args, **kwargs):
            requested.append(request.full_url)
            if reply_file is None:
                raise URLError(socket.gaierror(-3, "Temporary failure in name resolution"))
            return _Reply((PUBMED_DATA / reply_file).read_bytes(), request.full_url)

        monkeypatch.setattr("Bio.Entrez.urlopen", urlopen)
        return requested

    return install


@pytest.fixture
def crossref_network(monkeypatch, settings):
    """Crossref at its network seam (studies.crossref.urlopen): a recorded works reply."""
    settings.NCBI_EMAIL = "editor@example.org"
    requested = []
    monkeypatch.setattr("studies.pubmed.pause", lambda seconds: None)

    def install(reply_file: str):
        def urlopen(request, *args, **kwargs):
            requested.append(request.full_url)
            reply = _Reply((DATA / "crossref" / reply_file).read_bytes(), request.full_url)
            reply.headers.replace_header("Content-Type", "application/json")
            return reply

        monkeypatch.setattr("studies.crossref.urlopen", urlopen)
        return requested

    return install
