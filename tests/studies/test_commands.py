"""The management commands as a person runs them: files, online fetches, offline, benchmark."""

import io
import socket
from urllib.error import URLError

import pytest
from django.core.management import CommandError, call_command
from fake_network import FakeNetwork
from studies_testdata import CONSTRUCTED, CROSSREF, PUBMED

from kb.vocabulary import Flag
from studies.models import Study

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_file_prints_the_closing_counts_line(capsys):
    out, _ = run("import_pubmed", "--file", str(PUBMED / "biopython_pubmed1.xml"))
    assert out.strip().splitlines()[-1] == (
        "created 2, updated 0, unchanged 0, skipped 0, failed 0"
    )
    assert "records" in capsys.readouterr().err  # tqdm's progress bar, on stderr
    out, _ = run("import_pubmed", "--file", str(PUBMED / "biopython_pubmed1.xml"))
    assert out.strip() == "created 0, updated 0, unchanged 2, skipped 0, failed 0"


def test_import_file_detects_medline_and_reports_skipped_notices():
    out, _ = run(
        "import_pubmed",
        "--file",
        str(PUBMED / "biopython_medline_pubmed_result2.txt"),
        "--no-progress",
    )
    assert out.strip() == "created 4, updated 0, unchanged 0, skipped 0, failed 0"
    out, err = run(
        "import_pubmed",
        "--file",
        str(CONSTRUCTED / "pubmed_published_erratum.xml"),
        "--no-progress",
    )
    assert out.strip() == "created 1, updated 0, unchanged 0, skipped 1, failed 0"
    assert "PMID 990000041: skipped, a notice (Published Erratum)" in err


def test_import_of_a_malformed_file_is_a_command_error_that_keeps_what_was_read(tmp_path):
    body = (PUBMED / "biopython_pubmed1.xml").read_bytes()
    broken = tmp_path / "broken.xml"
    broken.write_bytes(body[: body.index(b'<PMID Version="1">9997')])
    with pytest.raises(CommandError, match=r"broken\.xml: malformed XML .* run the command again"):
        run("import_pubmed", "--file", str(broken), "--no-progress", "--batch-size", "1")
    assert list(Study.objects.values_list("pmid", flat=True)) == ["12091962"]


def test_import_of_a_missing_or_foreign_file_is_a_command_error(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("import_pubmed", "--file", str(tmp_path / "nothing.xml"))
    with pytest.raises(CommandError, match="root element is <eSummaryResult>"):
        run("import_pubmed", "--file", str(PUBMED / "biopython_esummary1.xml"), "--no-progress")


def test_import_pmids_online(entrez):
    network = entrez((PUBMED / "biopython_pubmed2.xml").read_bytes())
    out, err = run("import_pubmed", "--pmid", "11748933", "11700088", "990000777")
    assert "id=11748933%2C11700088%2C990000777" in network.urls[0]
    assert out.strip() == "created 2, updated 0, unchanged 0, skipped 0, failed 1"
    assert "PMID 990000777: not found in PubMed" in err


def test_bad_pmid_argument_is_a_command_error(entrez):
    with pytest.raises(CommandError, match="Not a valid PMID"):
        run("import_pubmed", "--pmid", "12x")


def test_online_commands_fail_fast_and_clearly_when_offline(entrez, crossref_network):
    entrez(URLError(socket.gaierror(-3, "Temporary failure in name resolution")))
    with pytest.raises(CommandError, match=r"Cannot reach PubMed .* offline"):
        run("import_pubmed", "--pmid", "23121403")
    entrez(URLError(socket.gaierror(-3, "Temporary failure in name resolution")))
    with pytest.raises(CommandError, match="Cannot reach PubMed"):
        run("fetch_study", "10.1056/NEJMoa1210384")


def test_fetch_study_by_pubmed_url(entrez):
    entrez((PUBMED / "eutils_efetch_23121403.xml").read_bytes())
    out, _ = run("fetch_study", "https://pubmed.ncbi.nlm.nih.gov/23121403/")
    study = Study.objects.get(pmid="23121403")
    assert f"Study #{study.pk}: Brighton et al. 2012" in out
    assert out.strip().endswith("created 1, updated 0, unchanged 0, skipped 0, failed 0")


def test_fetch_study_by_doi_prefers_pubmed_when_pubmed_has_it(entrez, crossref_network):
    network = entrez(
        (CONSTRUCTED / "esearch_one_hit.xml").read_bytes(),
        (CONSTRUCTED / "pubmed_retraction.xml").read_bytes(),
    )
    crossref_calls = crossref_network()
    run("fetch_study", "https://doi.org/10.5555/constructed.retracted.1")
    assert "esearch.fcgi" in network.urls[0]
    assert "efetch.fcgi" in network.urls[1]
    assert crossref_calls.requests == []
    study = Study.objects.get(pmid="990000001")
    assert study.doi == "10.5555/constructed.retracted.1"
    assert study.retracted is True
    assert study.raw_format == "pubmed_xml"


def test_fetch_study_by_doi_falls_back_to_crossref(entrez, crossref_network):
    entrez((PUBMED / "biopython_esearch8.xml").read_bytes())
    crossref_network((CROSSREF / "commonmeta_works_10.1007_978-3-662-46370-3_13.json").read_bytes())
    out, _ = run("fetch_study", "doi:10.1007/978-3-662-46370-3_13")
    study = Study.objects.get(doi="10.1007/978-3-662-46370-3_13")
    assert study.pmid is None
    assert study.kind == Study.Kind.BOOK_CHAPTER
    assert out.strip().endswith("created 1, updated 0, unchanged 0, skipped 0, failed 0")


def test_fetch_study_unknown_doi_and_bad_input(entrez, crossref_network):
    entrez((PUBMED / "biopython_esearch8.xml").read_bytes())
    crossref_network(
        FakeNetwork.http_error(404, (CROSSREF / "habanero_works_404_10.1371_notarealdoi.txt"))
    )
    with pytest.raises(CommandError, match=r"Crossref does not know the DOI 10\.1371/notarealdoi"):
        run("fetch_study", "10.1371/notarealdoi")
    with pytest.raises(CommandError, match="Not a PMID or a DOI"):
        run("fetch_study", "cerebrolysin")


def test_check_retractions_marks_a_used_study_and_flags_the_claims_citing_it(
    entrez, make_claim, make_evidence
):
    run("import_pubmed", "--file", str(CONSTRUCTED / "pubmed_retraction.xml"), "--no-progress")
    study = Study.objects.get(pmid="990000001")
    Study.objects.filter(pk=study.pk).update(retracted=False)  # as it was before the retraction
    claim = make_claim()
    make_evidence(claim, study)
    Study.objects.create(title="Not cited by anything", pmid="990000500")
    network = entrez((CONSTRUCTED / "pubmed_retraction.xml").read_bytes())

    out, _ = run("check_retractions")
    assert "id=990000001" in network.urls[0]
    assert "990000500" not in network.urls[0]  # not cited, so not checked
    assert f"Newly retracted: study #{study.pk}" in out
    assert "Checked 1 studies, 1 newly retracted." in out
    study.refresh_from_db()
    assert study.retracted is True
    claim.refresh_from_db()
    assert Flag.NEEDS_REREVIEW in claim.editor_flags


def test_check_retractions_with_nothing_in_use():
    out, _ = run("check_retractions")
    assert out.strip() == "No studies to check."


def test_benchmark_reports_ratios_and_memory_and_leaves_nothing_behind():
    out, _ = run("benchmark_import", "--records", "200")
    assert "200 records (17 real records repeated, fresh identifiers)" in out
    assert "x bare" in out
    assert "whole import (DB)" in out
    assert "created 200, updated 0, unchanged 0, skipped 0, failed 0" in out
    assert "peak memory, parsing + mapping:" in out
    assert Study.objects.count() == 0
    assert Study.history.count() == 0
