"""Paths to the recorded test data, for the studies tests."""

from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"
PUBMED = DATA / "pubmed"
CROSSREF = DATA / "crossref"
CONSTRUCTED = DATA / "constructed"

# Every real efetch PubMed XML file (esearch/esummary replies are other formats).
PUBMED_XML_FILES = sorted(
    path
    for path in PUBMED.glob("*.xml")
    if "esearch" not in path.name and "esummary" not in path.name
)
MEDLINE_FILES = sorted(PUBMED.glob("*.txt"))
