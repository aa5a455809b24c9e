"""StudyRecords into Study rows: create or update, never duplicate, never clobber editors.

Identity: a record is the stored study with its PMID, else the one with its DOI. A study
known only by DOI gains the PMID when PubMed's record for that DOI arrives. A record whose
PMID and DOI belong to two different stored studies fails and changes nothing: somebody has to
look at those two rows.

Each batch is one transaction and each record a savepoint inside it, so a failing record is
skipped without losing its batch, and an import stopped midway leaves whole batches behind:
rerunning it updates what is there (unchanged rows stay unchanged) and adds the rest.
"""

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import Protocol

from django.db import DatabaseError, transaction

from studies import limits
from studies.designs import DesignSource, suggest_design
from studies.models import Study
from studies.records import ParseError, RawFormat, StudyRecord
from studies.signals import WATCHED_FIELDS, study_changed

BATCH_SIZE = 500

# Study fields a record fills. Editor-owned fields (design when set by an editor,
# editor_notes) are not among them.
_RECORD_FIELDS = (
    "pmid",
    "doi",
    "pmcid",
    "title",
    "abstract",
    "journal",
    "year",
    "volume",
    "issue",
    "pages",
    "authors",
    "language",
    "kind",
    "publication_types",
    "mesh_terms",
    "comments_corrections",
    "retracted",
    "raw_record",
    "raw_format",
)
_PUBMED_FORMATS = frozenset({RawFormat.PUBMED_XML, RawFormat.MEDLINE})


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    failed: int = 0
    # One line per failed or skipped record, saying which and why.
    problems: list[str] = field(default_factory=list)
    # Studies that turned retracted in this import.
    newly_retracted: list[int] = field(default_factory=list)

    def count(self, outcome: str) -> None:
        setattr(self, outcome, getattr(self, outcome) + 1)

    def add(self, other: "ImportResult") -> None:
        for name in ("created", "updated", "unchanged", "skipped", "failed"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.problems += other.problems
        self.newly_retracted += other.newly_retracted

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged + self.skipped + self.failed

    def problem_lines(self, limit: int = 20) -> list[str]:
        """The problems worth printing, the rest counted in a last line."""
        lines = self.problems[:limit]
        if len(self.problems) > limit:
            lines.append(f"... and {len(self.problems) - limit} more")
        return lines

    def summary(self) -> str:
        return (
            f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, "
            f"skipped {self.skipped}, failed {self.failed}"
        )


class RecordFailed(Exception):
    """This record cannot be imported; the message says which record and why."""


def _max_lengths() -> dict[str, int]:
    return {
        f.name: f.max_length
        for f in Study._meta.get_fields()
        if getattr(f, "max_length", None) and f.name in _RECORD_FIELDS
    }


_LIMITS = _max_lengths()
# Display fields that may be cut to fit; identifiers never are (a cut DOI is a wrong DOI).
_TRIMMABLE = frozenset({"journal", "volume", "issue", "pages", "language"})


def record_values(record: StudyRecord) -> dict:
    """The Study field values a record carries."""
    values = {
        "pmid": record.pmid or None,
        "doi": record.doi or None,
        "pmcid": record.pmcid or "",
        "title": record.title,
        "abstract": record.abstract,
        "journal": record.journal,
        "year": record.year,
        "volume": record.volume,
        "issue": record.issue,
        "pages": record.pages,
        "authors": record.authors,
        "language": record.language,
        "kind": str(record.kind),
        "publication_types": record.publication_types,
        "mesh_terms": record.mesh_terms,
        "comments_corrections": record.comments_corrections,
        "retracted": record.retracted,
        "raw_record": record.raw,
        "raw_format": str(record.raw_format),
    }
    for name, limit in _LIMITS.items():
        value = values.get(name)
        if isinstance(value, str) and len(value) > limit:
            if name not in _TRIMMABLE:
                raise RecordFailed(
                    f"{record.label}: not imported. "
                    + limits.too_long(f"Its {name}", len(value), limit)
                )
            values[name] = value[: limit - 1] + "…"
    return values


def _find(record: StudyRecord, known: dict) -> Study | None:
    """The stored study this record is, or None; RecordFailed on contradicting identities."""
    by_pmid = known.get(("pmid", record.pmid)) if record.pmid else None
    by_doi = known.get(("doi", record.doi)) if record.doi else None
    if by_pmid and by_doi and by_pmid.pk != by_doi.pk:
        raise RecordFailed(
            f"{record.label}: PMID {record.pmid} is study #{by_pmid.pk} but DOI {record.doi} is "
            f"study #{by_doi.pk}; merge or correct them by hand. Nothing was changed."
        )
    if by_doi and not by_pmid and record.pmid and by_doi.pmid and by_doi.pmid != record.pmid:
        raise RecordFailed(
            f"{record.label}: DOI {record.doi} is study #{by_doi.pk}, which has PMID "
            f"{by_doi.pmid}; correct them by hand. Nothing was changed."
        )
    return by_pmid or by_doi


def _apply(study: Study, values: dict) -> list[str]:
    """Set the record's values on the study; the names of the fields that changed."""
    changed = []
    if (
        study.pk
        and study.raw_format in _PUBMED_FORMATS
        and values["raw_format"] not in _PUBMED_FORMATS
    ):
        # PubMed's indexed record wins over Crossref's; Crossref may only add a retraction
        # PubMed has not caught up with yet.
        values = {"retracted": True} if values["retracted"] else {}
    for name, value in values.items():
        if name == "doi" and value is None and study.doi:
            continue  # a record without a DOI does not erase a known one
        if getattr(study, name) != value:
            setattr(study, name, value)
            changed.append(name)
    if study.design_source != DesignSource.EDITOR:
        design = suggest_design(study.publication_types, study.mesh_terms)
        if study.design != design or study.design_source != DesignSource.SUGGESTED:
            study.design, study.design_source = design, DesignSource.SUGGESTED
            changed.append("design")
    return changed


def _import_one(
    record: StudyRecord, known: dict, result: ImportResult, *, user, reason: str | None
) -> None:
    if record.is_notice:
        result.count("skipped")
        what = ", ".join(record.publication_types) or "an update notice"
        result.problems.append(f"{record.label}: skipped, a notice ({what}), not a study")
        return
    if not record.pmid and not record.doi:
        raise RecordFailed(f"{record.label}: has neither a PMID nor a DOI")
    if not record.title:
        raise RecordFailed(f"{record.label}: has no title")
    values = record_values(record)
    study = _find(record, known)
    # Who and why, for the history row the save below writes.
    attribution = {"_history_user": user, "_change_reason": reason}
    if study is None:
        study = Study()
        _apply(study, values)
        study.__dict__.update(attribution)
        study.save()
        result.count("created")
    else:
        was_retracted = study.retracted
        changed = _apply(study, values)
        if not changed:
            result.count("unchanged")
            return
        study.__dict__.update(attribution)
        study.save()
        result.count("updated")
        if study.retracted and not was_retracted:
            result.newly_retracted.append(study.pk)
        watched = WATCHED_FIELDS.intersection(changed)
        if watched:
            study_changed.send(sender=Study, study=study, fields=watched, user=user)
    # Later records in the same batch must see this one (the same record twice in a file).
    if study.pmid:
        known[("pmid", study.pmid)] = study
    if study.doi:
        known[("doi", study.doi)] = study


def _known_studies(batch: list[StudyRecord]) -> dict:
    return Study.objects.by_identifier(pmids=[r.pmid for r in batch], dois=[r.doi for r in batch])


def import_batch(batch: list[StudyRecord], *, user=None, reason: str | None = None) -> ImportResult:
    """Import one batch in one transaction; records that fail are counted and skipped. The
    history rows written carry `user` and `reason` when given."""
    result = ImportResult()
    with transaction.atomic():
        known = _known_studies(batch)
        for record in batch:
            try:
                # A savepoint per record: a database error undoes this record only.
                with transaction.atomic():
                    _import_one(record, known, result, user=user, reason=reason)
            except RecordFailed as exc:
                result.count("failed")
                result.problems.append(str(exc))
            except DatabaseError as exc:
                # The savepoint undid the row, not the study object held in `known`.
                for key in (("pmid", record.pmid), ("doi", record.doi)):
                    known.pop(key, None)
                known.update(_known_studies([record]))
                result.count("failed")
                result.problems.append(f"{record.label}: the database refused it ({exc})".strip())
    return result


def _batches(records: Iterable[StudyRecord], size: int) -> Iterator[tuple[list, Exception | None]]:
    """Batches of records; a parse error ends the stream after the records read before it."""
    iterator = iter(records)
    while True:
        batch: list[StudyRecord] = []
        try:
            batch.extend(islice(iterator, size))
        except ParseError as exc:
            yield batch, exc
            return
        if not batch:
            return
        yield batch, None


def import_records(
    records: Iterable[StudyRecord],
    *,
    batch_size: int = BATCH_SIZE,
    on_batch: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Import a stream of records in batches of batch_size, one transaction per batch.

    A ParseError from the stream (malformed input) is raised after the records before it are
    imported, with the counts so far attached as `exc.result`: rerunning after fixing the file
    updates nothing twice.
    """
    total = ImportResult()
    for batch, error in _batches(records, batch_size):
        result = import_batch(batch) if batch else ImportResult()
        total.add(result)
        if on_batch:
            on_batch(result)
        if error is not None:
            error.result = total
            raise error
    return total


class PubMedSource(Protocol):
    """What import_pmids needs of a PubMed client (studies.eutils.EutilsClient, or a fake)."""

    def fetch_batches(
        self, pmids: Iterable[str]
    ) -> Iterable[tuple[list[str], list[StudyRecord]]]: ...


def import_pmids(pmids: Iterable[str], *, client: PubMedSource) -> ImportResult:
    """Fetch PMIDs from PubMed and import them; PMIDs PubMed does not know count as failed."""
    total = ImportResult()
    for asked, found in client.fetch_batches(pmids):
        result = import_batch(found) if found else ImportResult()
        returned = {record.pmid for record in found}
        for pmid in asked:
            if pmid not in returned:
                result.count("failed")
                result.problems.append(f"PMID {pmid}: not found in PubMed")
        total.add(result)
    return total
