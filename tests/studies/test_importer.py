"""Importing records into Study rows: identity, re-import, editor fields, failures, signals."""

import io
import threading
from dataclasses import replace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from studies_testdata import CONSTRUCTED, CROSSREF, PUBMED, PUBMED_XML_FILES

from studies import importer
from studies.crossref_json import parse_crossref_json
from studies.designs import Design, DesignSource
from studies.formats import parse_file
from studies.importer import import_batch, import_pmids, import_records
from studies.models import Study
from studies.pubmed_xml import parse_pubmed_xml
from studies.records import ParseError
from studies.signals import study_changed

pytestmark = pytest.mark.django_db


def parsed(path):
    with open(path, "rb") as handle:
        return list(parse_file(handle, name=path.name))


def all_real_records():
    return [record for path in PUBMED_XML_FILES for record in parsed(path)]


def test_importing_every_real_record_creates_each_once_and_reimport_changes_nothing():
    first = import_records(all_real_records(), batch_size=5)
    assert first.summary() == "created 17, updated 0, unchanged 0, skipped 0, failed 0"
    assert Study.objects.count() == 17
    again = import_records(all_real_records())
    assert again.summary() == "created 0, updated 0, unchanged 17, skipped 0, failed 0"
    assert Study.objects.count() == 17


def test_stored_study_carries_the_record_and_a_suggested_design():
    import_records(parsed(PUBMED / "eutils_efetch_23121403.xml"))
    study = Study.objects.get(pmid="23121403")
    assert study.doi == "10.1056/nejmoa1210384"
    assert study.title == "Low-dose aspirin for preventing recurrent venous thromboembolism."
    assert study.year == 2012
    assert study.authors[0]["family"] == "Brighton"
    assert "Randomized Controlled Trial" in study.publication_types
    assert "Aspirin" in study.mesh_terms
    assert (study.design, study.design_source) == (Design.RCT, DesignSource.SUGGESTED)
    assert study.raw_format == "pubmed_xml"
    assert study.raw_record.startswith("<PubmedArticle>")
    assert study.kind == Study.Kind.JOURNAL_ARTICLE


def test_reimport_updates_metadata_but_keeps_the_editors_design_and_notes():
    (record,) = parsed(PUBMED / "eutils_efetch_23121403.xml")
    import_records([record])
    study = Study.objects.get(pmid="23121403")
    study.design, study.design_source = Design.NON_RANDOMISED, DesignSource.EDITOR
    study.editor_notes = "Checked the allocation: it was alternation."
    study.save()

    result = import_records([replace(record, title="A corrected title.")])
    assert result.summary() == "created 0, updated 1, unchanged 0, skipped 0, failed 0"
    study.refresh_from_db()
    assert study.title == "A corrected title."
    assert (study.design, study.design_source) == (Design.NON_RANDOMISED, DesignSource.EDITOR)
    assert study.editor_notes == "Checked the allocation: it was alternation."


def test_suggested_design_follows_new_indexing():
    (record,) = parsed(PUBMED / "metapub_pmid_35358095.xml")
    import_records([record])
    assert Study.objects.get(pmid="35358095").design is None
    import_records([replace(record, mesh_terms=["Animals", "Mice"])])
    assert Study.objects.get(pmid="35358095").design == Design.ANIMAL


def test_same_record_twice_in_one_file_is_stored_once():
    body = (PUBMED / "eutils_efetch_20412080.xml").read_bytes()
    start, end = body.index(b"<PubmedArticle>"), body.rindex(b"</PubmedArticleSet>")
    doubled = body[:end] + body[start:end] + body[end:]
    result = import_records(parse_pubmed_xml(io.BytesIO(doubled)))
    assert result.summary() == "created 1, updated 0, unchanged 1, skipped 0, failed 0"
    assert Study.objects.filter(pmid="20412080").count() == 1


def test_doi_only_study_gets_its_pmid_when_pubmed_record_arrives():
    (record,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    doi_only = Study.objects.create(title="Known from Crossref", doi=record.doi)
    result = import_records([record])
    assert result.updated == 1
    assert result.created == 0
    doi_only.refresh_from_db()
    assert doi_only.pmid == "20412080"
    assert doi_only.title == "The human phenotype ontology."
    assert Study.objects.count() == 1


def test_pmid_and_doi_of_two_different_studies_fail_and_change_nothing():
    (record,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    by_pmid = Study.objects.create(title="Row A", pmid="20412080")
    by_doi = Study.objects.create(title="Row B", doi=record.doi)
    result = import_records([record])
    assert result.summary() == "created 0, updated 0, unchanged 0, skipped 0, failed 1"
    assert f"study #{by_pmid.pk}" in result.problems[0]
    assert f"study #{by_doi.pk}" in result.problems[0]
    assert "Nothing was changed" in result.problems[0]
    assert set(Study.objects.values_list("title", flat=True)) == {"Row A", "Row B"}


def test_doi_of_a_study_with_another_pmid_fails():
    (record,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    Study.objects.create(title="Row B", doi=record.doi, pmid="990000999")
    result = import_records([record])
    assert result.failed == 1
    assert "has PMID 990000999" in result.problems[0]


def test_notices_are_skipped_and_counted():
    result = import_records(parsed(CONSTRUCTED / "pubmed_published_erratum.xml"))
    assert result.summary() == "created 1, updated 0, unchanged 0, skipped 1, failed 0"
    assert "PMID 990000041: skipped, a notice (Published Erratum)" in result.problems[0]
    assert not Study.objects.filter(pmid="990000041").exists()


def test_a_failing_record_is_skipped_without_losing_its_batch():
    good = parsed(PUBMED / "biopython_pubmed2.xml")
    (untitled,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    untitled = replace(untitled, title="")
    result = import_batch([good[0], untitled, good[1]])
    assert result.summary() == "created 2, updated 0, unchanged 0, skipped 0, failed 1"
    assert "PMID 20412080: has no title" in result.problems
    assert Study.objects.count() == 2


def test_an_overlong_identifier_fails_that_record_only():
    records = parsed(PUBMED / "biopython_pubmed2.xml")
    too_long = replace(records[0], pmcid="PMC" + "1" * 40)
    result = import_batch([too_long, records[1]])
    assert result.failed == 1
    assert result.created == 1
    assert "Its pmcid is 43 characters long; the limit is 20." in result.problems[0]


def test_a_database_refusal_fails_that_record_only_and_later_records_see_the_stored_row():
    first, second = parsed(PUBMED / "biopython_pubmed2.xml")
    import_records([first])
    refused = replace(first, year=-5)  # the year column refuses negative numbers
    result = import_batch([refused, second, first])
    assert result.summary() == "created 1, updated 0, unchanged 1, skipped 0, failed 1"
    assert result.problems[0].startswith("PMID 11748933: the database refused it")
    assert Study.objects.get(pmid="11748933").year == 2001


def test_becoming_retracted_sends_the_signal_once():
    retracted, _notice, _ = parsed(CONSTRUCTED / "pubmed_retraction.xml")
    before = replace(
        retracted,
        retracted=False,
        comments_corrections=[],
        publication_types=["Journal Article", "Randomized Controlled Trial"],
    )
    import_records([before])
    received = []

    def handler(sender, study, fields, **kwargs):
        if "retracted" in fields:
            received.append((sender, study.pmid))

    study_changed.connect(handler)
    try:
        first = import_records([retracted])
        again = import_records([retracted])
    finally:
        study_changed.disconnect(handler)
    assert received == [(Study, "990000001")]
    assert first.newly_retracted == [Study.objects.get(pmid="990000001").pk]
    assert again.unchanged == 1
    assert again.newly_retracted == []
    assert Study.objects.get(pmid="990000001").retracted is True


def test_crossref_record_does_not_overwrite_pubmed_but_may_add_a_retraction():
    (pubmed_record,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    import_records([pubmed_record])
    (crossref_record,) = parsed(CROSSREF / "habanero_works_10.1038_srep16696.json")
    same_doi = replace(crossref_record, doi=pubmed_record.doi, title="Crossref's title")
    assert import_records([same_doi]).unchanged == 1
    study = Study.objects.get(pmid="20412080")
    assert study.title == "The human phenotype ontology."
    assert import_records([replace(same_doi, retracted=True)]).updated == 1
    study.refresh_from_db()
    assert study.retracted is True
    assert study.raw_format == "pubmed_xml"


def test_crossref_works_import_as_studies_without_pmid():
    with open(CROSSREF / "habanero_works_rows2_no_query.json", "rb") as handle:
        result = import_records(parse_crossref_json(handle))
    assert result.created == 2
    chapter = Study.objects.get(doi="10.1007/978-3-031-23161-2_300726")
    assert chapter.pmid is None
    assert chapter.kind == Study.Kind.BOOK_CHAPTER
    assert chapter.authors == []
    assert chapter.raw_format == "crossref_json"


def test_malformed_file_imports_what_came_before_and_rerun_doubles_nothing():
    body = (PUBMED / "biopython_pubmed1.xml").read_bytes()
    cut = body[: body.index(b'<PMID Version="1">9997')]
    with pytest.raises(ParseError, match="malformed XML") as caught:
        import_records(parse_pubmed_xml(io.BytesIO(cut)))
    assert caught.value.result.created == 1
    result = import_records(parse_pubmed_xml(io.BytesIO(body)))
    assert result.summary() == "created 1, updated 0, unchanged 1, skipped 0, failed 0"
    assert Study.objects.count() == 2


def test_import_pmids_reports_unknown_pmids_as_failed():
    found = parsed(PUBMED / "biopython_pubmed2.xml")

    class FakePubMed:
        def fetch_batches(self, pmids):
            yield list(pmids), found

    result = import_pmids(["11748933", "11700088", "990000777"], client=FakePubMed())
    assert result.summary() == "created 2, updated 0, unchanged 0, skipped 0, failed 1"
    assert result.problems == ["PMID 990000777: not found in PubMed"]


def test_an_import_interrupted_midway_keeps_whole_batches_and_reruns_cleanly():
    records = parsed(PUBMED / "biopython_pubmed1.xml") + parsed(PUBMED / "biopython_pubmed2.xml")

    def stopped_after_three():
        yield from records[:3]
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        import_records(stopped_after_three(), batch_size=2)
    assert Study.objects.count() == 2  # the first batch; the half-read second one is not there
    result = import_records(records, batch_size=2)
    assert result.summary() == "created 2, updated 0, unchanged 2, skipped 0, failed 0"
    assert Study.objects.count() == 4


def test_a_batch_is_written_in_bulk_with_a_history_row_for_each_study(django_user_model):
    editor = django_user_model.objects.create_user("importer")
    records = all_real_records()
    with CaptureQueriesContext(connection) as captured:
        result = import_batch(records, user=editor, reason="Bulk import of recorded files")
    assert result.summary() == "created 17, updated 0, unchanged 0, skipped 0, failed 0"
    # One look-up, one INSERT of studies, one of history rows, and the savepoints: not a few
    # statements per record.
    assert len(captured) < 10
    history = Study.history.filter(history_type="+")
    assert history.count() == 17
    assert set(history.values_list("history_user", "history_change_reason")) == {
        (editor.pk, "Bulk import of recorded files")
    }
    # Changed records are updated in bulk too, each with its history row.
    changed = [replace(record, title=record.title + " (corrected)") for record in records[:3]]
    assert import_batch(changed).summary() == (
        "created 0, updated 3, unchanged 0, skipped 0, failed 0"
    )
    assert Study.history.filter(history_type="~").count() == 3
    assert Study.objects.filter(title__endswith=" (corrected)").count() == 3


def test_a_record_the_database_refuses_sends_its_batch_one_record_at_a_time():
    good = parsed(PUBMED / "biopython_pubmed2.xml")
    (broken,) = parsed(PUBMED / "eutils_efetch_20412080.xml")
    broken = replace(broken, year=-5)  # the year column refuses negative numbers
    result = import_batch([good[0], broken, good[1]], reason="Import with one broken record")
    assert result.summary() == "created 2, updated 0, unchanged 0, skipped 0, failed 1"
    assert result.problems[0].startswith("PMID 20412080: the database refused it")
    assert set(Study.objects.values_list("pmid", flat=True)) == {good[0].pmid, good[1].pmid}
    # The refused bulk write left nothing behind: one history row per stored study.
    assert Study.history.count() == 2
    assert set(Study.history.values_list("history_change_reason", flat=True)) == {
        "Import with one broken record"
    }


def test_each_history_row_the_bulk_path_writes_is_the_study_as_stored():
    records = all_real_records()
    import_batch(records, reason="First import")
    changed = [replace(record, title=record.title + " (corrected)") for record in records[:2]]
    import_batch(changed, reason="Corrected titles")
    tracked = [f.attname for f in Study.history.model.tracked_fields]
    for study in Study.objects.all():
        rows = list(study.history.order_by("history_id").values(*tracked, "history_type"))
        stored = Study.objects.filter(pk=study.pk).values(*tracked).get()
        # The latest row is the study as it is now, field for field.
        assert {k: v for k, v in rows[-1].items() if k != "history_type"} == stored
        assert [row["history_type"] for row in rows] == (
            ["+", "~"] if study.title.endswith(" (corrected)") else ["+"]
        )
    assert Study.history.filter(history_change_reason="Corrected titles").count() == 2


def test_an_import_that_fails_stops_reading_its_file(monkeypatch):
    records = all_real_records()
    read = []

    def stream():
        for record in records:
            read.append(record)
            yield record

    def refused(batch, **kwargs):
        raise RuntimeError("the first batch fails")

    monkeypatch.setattr(importer, "import_batch", refused)
    with pytest.raises(RuntimeError, match="the first batch fails"):
        import_records(stream(), batch_size=2)
    # The batch being written and the one or two read ahead of it, not the whole file; and no
    # reader is left running to read the rest of it after the file is closed.
    assert len(read) < len(records)
    assert not [t for t in threading.enumerate() if t.name == "import-read-ahead"]
