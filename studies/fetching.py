"""Fetching studies by identifier and storing them, for as many identifiers as an editor pastes
(up to MAX_IDENTIFIERS) or as the studies in use: PMIDs from PubMed, EFETCH_BATCH a request; a
DOI from PubMed when PubMed has it (its indexing wins), else from Crossref.

`fetch_identifiers` reports its progress and a checkpoint through callbacks after each batch, so
that a job (studies.jobs) or a command's progress bar follows it, and an interrupted run resumes
after the last stored batch instead of fetching it again. The clients are passed in.
"""

from collections.abc import Callable, Iterable
from dataclasses import asdict

from studies.crossref import CrossrefClient, UnknownDOI
from studies.eutils import EutilsClient
from studies.identifiers import parse_identifier
from studies.importer import ImportResult, import_batch
from studies.models import Study
from studies.records import StudyRecord

MAX_IDENTIFIERS = 500

Progress = Callable[[int, int, str], None]


class NotInPubMed(Exception):
    """PubMed has no record for this PMID."""


def parse_identifiers(text: str) -> tuple[list[tuple[str, str]], list[str]]:
    """The distinct (kind, value) identifiers in pasted text (one per line, or separated by
    commas or spaces), and a message for each piece that is not a PMID, DOI or their URL."""
    found: dict[tuple[str, str], None] = {}
    problems = []
    for piece in text.replace(",", "\n").replace(";", "\n").split():
        try:
            found[parse_identifier(piece)] = None
        except ValueError as exc:
            problems.append(f"“{piece[:80]}”: {exc}")
    return list(found), problems


def fetch_record(
    kind: str, value: str, *, pubmed: EutilsClient, crossref: CrossrefClient
) -> StudyRecord:
    """PubMed's record when PubMed has the study (it wins for classification), else Crossref's.

    Raises NotInPubMed for an unknown PMID, UnknownDOI when neither knows a DOI."""
    pmid = value if kind == "pmid" else pubmed.search_pmid_for_doi(value)
    if pmid:
        for _, records in pubmed.fetch_batches([pmid]):
            for record in records:
                if record.pmid == pmid:
                    if kind == "doi" and not record.doi:
                        record.doi = value
                    return record
        raise NotInPubMed(f"PMID {pmid} is not in PubMed.")
    return crossref.fetch_work(value)


def identifiers_of(studies: Iterable[Study]) -> list[tuple[str, str]]:
    """Each study's PMID, or its DOI when it has no PMID."""
    return [("pmid", s.pmid) if s.pmid else ("doi", s.doi) for s in studies if s.pmid or s.doi]


def fetch_identifiers(
    identifiers: list[tuple[str, str]],
    *,
    pubmed: EutilsClient,
    crossref: CrossrefClient,
    checkpoint: dict | None = None,
    save_checkpoint: Callable[[dict], None] = lambda checkpoint: None,
    progress: Progress = lambda done, total, step: None,
    dois_via_pubmed: bool = True,
) -> ImportResult:
    """Fetch and store the studies of these identifiers; the counts of what was stored.

    `checkpoint` (from an earlier, interrupted run) names the identifiers already handled and
    their counts: they are not fetched again. With dois_via_pubmed=False a DOI goes straight to
    Crossref (retraction checks of studies PubMed does not index). Raises RemoteError or
    ParseError when a service fails; what was stored before stays, and the checkpoint says so.
    """
    state = checkpoint or {}
    handled = set(state.get("handled", []))
    total = ImportResult(**state["result"]) if "result" in state else ImportResult()
    count = len(identifiers)

    def finished(keys: Iterable[str], result: ImportResult, step: str) -> None:
        handled.update(keys)
        total.add(result)
        save_checkpoint({"handled": sorted(handled), "result": asdict(total)})
        progress(len(handled), count, step)

    progress(len(handled), count, "Starting")
    pmids = [v for k, v in identifiers if k == "pmid" and f"pmid:{v}" not in handled]
    for asked, found in pubmed.fetch_batches(pmids):
        result = import_batch(found) if found else ImportResult()
        returned = {record.pmid for record in found}
        for pmid in asked:
            if pmid not in returned:
                result.count("failed")
                result.problems.append(f"PMID {pmid}: not found in PubMed")
        finished([f"pmid:{p}" for p in asked], result, f"Fetched PMIDs up to {asked[-1]}")
    for kind, doi in identifiers:
        if kind != "doi" or f"doi:{doi}" in handled:
            continue
        result = ImportResult()
        try:
            if dois_via_pubmed:
                record = fetch_record("doi", doi, pubmed=pubmed, crossref=crossref)
            else:
                record = crossref.fetch_work(doi)
        except (UnknownDOI, NotInPubMed) as exc:
            result.count("failed")
            result.problems.append(str(exc))
        else:
            result = import_batch([record])
        finished([f"doi:{doi}"], result, f"Fetched DOI {doi}")
    return total
