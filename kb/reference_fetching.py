"""Fetching the records of an article's references that no stored study matches, from PubMed
(by PMID) and Crossref (by DOI, then PubMed through the DOI's PMID). Network only, no writes:
kb.services.articles stores what comes back together with the article. The clients are passed
in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kb.articles import ListedReference
from studies.crossref import CrossrefClient, UnknownDOI
from studies.eutils import EutilsClient
from studies.records import ParseError, StudyRecord
from studies.transport import Offline, RemoteError

# Each DOI costs two requests (Crossref, then PubMed's DOI search); beyond this many an import
# would keep the editor waiting too long, so the rest are left for a later import.
MAX_DOI_FETCHES = 40


@dataclass
class Fetched:
    tried: bool = False
    records: list[StudyRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    down: set[str] = field(default_factory=set)  # services found down: not asked again


def reference_numbers(references: list[ListedReference] | list[int]) -> str:
    numbers = [str(getattr(r, "number", r)) for r in references]
    return ("reference " if len(numbers) == 1 else "references ") + ", ".join(numbers)


def fetch_records(
    references: list[ListedReference], *, pubmed: EutilsClient, crossref: CrossrefClient
) -> Fetched:
    """The PubMed and Crossref records of these references, in the order to import them.

    PMIDs are fetched from PubMed in one request. A DOI is fetched from Crossref, then PubMed is
    asked for the DOI's PMID and that record fetched too: it comes after Crossref's, so the
    importer merges both into one study and PubMed's indexing wins. A service found offline, or
    failing after its retries, is not asked again: nothing waits on a dead network.
    """
    fetched = Fetched(tried=True)
    down: dict[str, str] = {}  # service -> why it is not asked again

    def give_up(service: str, exc: Exception, waiting: list[ListedReference]) -> None:
        down[service] = str(exc)
        fetched.down.add(service)
        what = "could not be reached" if isinstance(exc, Offline) else "did not answer usefully"
        fetched.notes.append(
            f"{service} {what} ({exc}); nothing more was fetched from it"
            + (f" ({reference_numbers(waiting)} waiting)." if waiting else ".")
        )

    def from_pubmed(pmids: dict[str, ListedReference], *, by_doi: bool) -> None:
        if not pmids or "PubMed" in down:
            return
        try:
            found = [r for _, batch in pubmed.fetch_batches(list(pmids)) for r in batch]
        except (RemoteError, ParseError) as exc:
            give_up("PubMed", exc, list(pmids.values()))
            return
        # Only the records asked for: a reply never adds another study to the article.
        studies = {r.pmid: r for r in found if r.pmid in pmids and not r.is_notice}
        fetched.records.extend(studies.values())
        for pmid, reference in pmids.items():
            if pmid not in studies and not by_doi:
                fetched.notes.append(
                    f"Reference {reference.number}: PubMed has no study with PMID {pmid}; "
                    "check the reference."
                )

    with_pmid = {r.pmid: r for r in references if r.pmid}
    with_doi = [r for r in references if r.doi and not r.pmid]
    if len(with_doi) > MAX_DOI_FETCHES:
        fetched.notes.append(
            f"Only the first {MAX_DOI_FETCHES} DOIs were looked up; "
            f"{reference_numbers(with_doi[MAX_DOI_FETCHES:])} stay unresolved: "
            "import again to fetch more."
        )
        with_doi = with_doi[:MAX_DOI_FETCHES]
    from_pubmed(with_pmid, by_doi=False)

    pmids_of_dois: dict[str, ListedReference] = {}
    for position, reference in enumerate(with_doi):
        waiting = with_doi[position:]
        if "Crossref" not in down:
            try:
                fetched.records.append(crossref.fetch_work(reference.doi))
            except UnknownDOI:
                fetched.notes.append(
                    f"Reference {reference.number}: Crossref does not know the DOI "
                    f"{reference.doi}; check the reference."
                )
            except RemoteError as exc:
                give_up("Crossref", exc, waiting)
        if "PubMed" not in down:
            try:
                pmid = pubmed.search_pmid_for_doi(reference.doi)
            except (RemoteError, ParseError) as exc:
                give_up("PubMed", exc, waiting)
            else:
                if pmid and pmid not in with_pmid:
                    pmids_of_dois[pmid] = reference
        if "Crossref" in down and "PubMed" in down:
            break
    from_pubmed(pmids_of_dois, by_doi=True)
    return fetched
