"""Finding a study to add to a claim: stored studies first, then PubMed or Crossref by
identifier. Reads and network only: what is fetched is shown to the editor, and stored only
when they add it (kb.services.studies.store_record)."""

from __future__ import annotations

from dataclasses import dataclass, field

from kb import selectors
from studies.crossref import CrossrefClient, UnknownDOI
from studies.eutils import EutilsClient
from studies.identifiers import parse_identifier
from studies.models import Study
from studies.records import StudyRecord
from studies.transport import Offline, RemoteError


@dataclass
class Lookup:
    """What a search for studies found; `record` is fetched but not stored yet."""

    query: str
    stored: list[Study] = field(default_factory=list)
    identifier: tuple[str, str] | None = None  # ("pmid" | "doi", normalised value)
    record: StudyRecord | None = None
    message: str = ""  # why nothing could be fetched, in words for the editor


SERVICES = {"pmid": "PubMed", "doi": "Crossref"}


def fetch_record(
    kind: str,
    value: str,
    *,
    pubmed: EutilsClient | None = None,
    crossref: CrossrefClient | None = None,
) -> StudyRecord | None:
    """The record of one PMID (PubMed) or DOI (Crossref); None when the service has none.

    The clients default to the configured ones (from settings). Raises
    studies.transport.RemoteError (Offline without network) when the service cannot answer."""
    if kind == "pmid":
        pubmed = pubmed or EutilsClient.from_settings()
        for _, records in pubmed.fetch_batches([value]):
            studies = [record for record in records if not record.is_notice]
            return studies[0] if studies else None
        return None
    crossref = crossref or CrossrefClient.from_settings()
    try:
        return crossref.fetch_work(value)
    except UnknownDOI:
        return None


def look_up(
    text: str, *, pubmed: EutilsClient | None = None, crossref: CrossrefClient | None = None
) -> Lookup:
    """Stored studies matching the text; for a PMID, DOI or their URLs with no stored study,
    the record fetched from PubMed or Crossref, for the editor to check before it is stored.
    The clients default to the configured ones (from settings)."""
    lookup = Lookup(query=text.strip())
    try:
        lookup.identifier = parse_identifier(text)
    except ValueError:
        lookup.stored = selectors.search_stored(text)
        if not lookup.stored:
            lookup.message = "No stored study matches. Enter a PMID, DOI or URL to fetch one."
        return lookup
    kind, value = lookup.identifier
    lookup.stored = list(Study.objects.filter(**{kind: value}))
    if lookup.stored:
        return lookup
    service = SERVICES[kind]
    try:
        lookup.record = fetch_record(kind, value, pubmed=pubmed, crossref=crossref)
    except Offline as exc:
        lookup.message = (
            f"{service} could not be reached ({exc}). Nothing was fetched; try again when the "
            "network is back, or add a stored study."
        )
    except RemoteError as exc:
        lookup.message = f"{service} did not answer usefully: {exc}"
    else:
        if lookup.record is None:
            lookup.message = f"{service} has no record for {kind.upper()} {value}."
    return lookup
