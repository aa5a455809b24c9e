"""Storing a study an editor fetched in the workbench."""

from kb.services.errors import Refused
from studies.importer import import_batch
from studies.models import Study
from studies.records import StudyRecord


def store_record(record: StudyRecord, *, user=None) -> Study:
    """The stored study for a fetched record, through the studies importer: the existing row
    with its PMID or DOI (updated from the record), else a new one with a suggested design."""
    result = import_batch([record], user=user, reason=f"Fetched {record.label} in the workbench")
    if result.failed or result.skipped:
        problems = "; ".join(result.problems) or "the importer refused it"
        raise Refused(f"{record.label} could not be stored: {problems}")
    found = Study.objects.by_identifier(pmids=[record.pmid], dois=[record.doi])
    return found.get(("pmid", record.pmid)) or found[("doi", record.doi)]
