"""The network seams of PubMed (Bio.Entrez.urlopen) and Crossref (studies.crossref.urlopen),
replaced by recorded replies; no test waits on a retry or on NCBI's rate limit."""

import pytest
from studies_testdata import FakeNetwork

from studies import crossref, pubmed


@pytest.fixture
def waits(monkeypatch):
    """No test waits: our retry pauses are recorded, Bio.Entrez's rate-limit sleep skipped."""
    recorded = []
    monkeypatch.setattr(pubmed, "pause", recorded.append)
    monkeypatch.setattr("Bio.Entrez.time.sleep", lambda seconds: None)
    return recorded


@pytest.fixture
def entrez(monkeypatch, waits, settings):
    settings.NCBI_EMAIL = "editor@example.org"
    settings.NCBI_API_KEY = ""
    settings.NCBI_TOOL = "evidence-kb-tests"

    def install(*replies):
        network = FakeNetwork(*replies)
        monkeypatch.setattr("Bio.Entrez.urlopen", network)
        return network

    return install


@pytest.fixture
def crossref_network(monkeypatch, waits, settings):
    settings.NCBI_EMAIL = "editor@example.org"

    def install(*replies):
        network = FakeNetwork(*replies, content_type="application/json")
        monkeypatch.setattr(crossref, "urlopen", network)
        return network

    return install
