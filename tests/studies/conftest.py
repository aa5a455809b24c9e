"""PubMed and Crossref answered by recorded replies: the clients built from settings get a
Transport whose opener is a FakeNetwork; no test waits on a retry or on NCBI's rate limit."""

import pytest
from fake_network import FakeNetwork, serve

from studies.crossref import CrossrefClient
from studies.eutils import EutilsClient


@pytest.fixture
def waits(monkeypatch):
    """No test waits: the clients' retry pauses are recorded, Bio.Entrez's rate-limit sleep
    skipped."""
    monkeypatch.setattr("Bio.Entrez.time.sleep", lambda seconds: None)
    return []


@pytest.fixture
def entrez(monkeypatch, waits, settings):
    settings.NCBI_EMAIL = "editor@example.org"
    settings.NCBI_API_KEY = ""
    settings.NCBI_TOOL = "evidence-kb-tests"

    def install(*replies):
        network = FakeNetwork(*replies)
        serve(monkeypatch, EutilsClient, network, sleep=waits.append)
        return network

    return install


@pytest.fixture
def crossref_network(monkeypatch, waits, settings):
    settings.NCBI_EMAIL = "editor@example.org"

    def install(*replies):
        network = FakeNetwork(*replies, content_type="application/json")
        serve(monkeypatch, CrossrefClient, network, sleep=waits.append)
        return network

    return install
