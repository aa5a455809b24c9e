"""A database connection lost mid-import (issue 15): one clear line saying what was kept,
whole batches only, and a rerun that duplicates nothing. The connection is ended by the server
(tests/database_faults.py); the records are the real ones in tests/data/pubmed."""

import pytest
from database_faults import kill_connection, reconnect
from django.core.management import CommandError, call_command
from studies_testdata import PUBMED, PUBMED_XML_FILES

from studies import importer
from studies.formats import parse_file
from studies.importer import ImportInterrupted, import_records
from studies.models import Study

pytestmark = pytest.mark.django_db(transaction=True)


def real_records():
    records = []
    for path in PUBMED_XML_FILES:
        with open(path, "rb") as handle:
            records += list(parse_file(handle, name=path.name))
    return records


def test_a_connection_lost_mid_import_says_what_was_kept_and_a_rerun_duplicates_nothing():
    killed = []

    def after_batch(result):
        if not killed:
            killed.append(result)
            kill_connection()

    with pytest.raises(ImportInterrupted) as interrupted:
        import_records(real_records(), batch_size=5, on_batch=after_batch)
    message = str(interrupted.value)
    assert "\n" not in message
    assert message.startswith("The database connection was lost during the import (")
    assert "Kept: created 5, updated 0, unchanged 0, skipped 0, failed 0, in whole batches" in (
        message
    )
    reconnect()
    assert Study.objects.count() == 5

    again = import_records(real_records(), batch_size=5)
    assert again.summary() == "created 12, updated 0, unchanged 5, skipped 0, failed 0"
    assert Study.objects.count() == 17
    assert Study.history.count() == 17  # one creation each, nothing written twice


def test_the_command_answers_one_line_and_keeps_whole_batches(monkeypatch):
    real_import_batch = importer.import_batch
    calls = []

    def import_batch(batch, **kwargs):
        calls.append(len(batch))
        if len(calls) == 2:
            kill_connection()
        return real_import_batch(batch, **kwargs)

    monkeypatch.setattr(importer, "import_batch", import_batch)
    path = PUBMED / "biopython_pubmed1.xml"
    with pytest.raises(CommandError) as refused:
        call_command("import_pubmed", "--file", str(path), "--batch-size", "1", "--no-progress")
    reconnect()
    assert str(refused.value).startswith("The database connection was lost during the import")
    assert "Kept: created 1," in str(refused.value)
    assert Study.objects.count() == 1
