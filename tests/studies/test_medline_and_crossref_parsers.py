"""MEDLINE text and Crossref JSON -> the same StudyRecord as PubMed XML."""

import io
import json

import pytest
from studies_testdata import CONSTRUCTED, CROSSREF, PUBMED

from studies.crossref_json import jats_to_text, parse_crossref_json
from studies.medline import parse_medline
from studies.pubmed_xml import parse_pubmed_xml
from studies.records import ParseError, RawFormat, RecordKind


def medline(path):
    with open(path, "rb") as handle:
        return list(parse_medline(handle, name=path.name))


def crossref(path):
    with open(path, "rb") as handle:
        return list(parse_crossref_json(handle, name=path.name))


# --- MEDLINE ---------------------------------------------------------------------------------


def test_medline_record_without_doi():
    (record,) = medline(PUBMED / "biopython_medline_pubmed_result1.txt")
    assert (record.pmid, record.doi, record.year) == ("12230038", None, 2002)
    assert record.title == "The Bio* toolkits--a brief overview."
    assert record.authors == [
        {"family": "Mangalam", "given": "Harry", "suffix": "", "collective": "", "orcid": ""}
    ]
    assert record.raw_format == RawFormat.MEDLINE
    assert record.raw.startswith("PMID- 12230038")


def test_medline_dois_come_from_aid_doi_entries_only():
    found = medline(PUBMED / "biopython_medline_pubmed_result2.txt")
    assert [(r.pmid, r.doi) for r in found] == [
        ("16403221", "10.1186/1471-2105-7-10"),
        ("16377612", "10.1093/bioinformatics/btk021"),
        ("14871861", "10.1093/bioinformatics/bth078"),
        ("14630660", None),
    ]
    first = found[0]
    assert first.pmcid == "PMC1373603"
    assert first.publication_types == ["Evaluation Studies", "Journal Article"]
    assert first.journal == "BMC bioinformatics"
    assert first.abstract.startswith("BACKGROUND: Benchmarking algorithms")
    # Each record's raw text is that record only.
    assert [r.raw.count("PMID- ") for r in found] == [1, 1, 1, 1]


def test_medline_retraction_collective_author_suffix_and_mesh_qualifiers():
    (record,) = medline(CONSTRUCTED / "medline_retracted.txt")
    assert record.retracted is True
    assert record.doi == "10.5555/constructed.medline.60"
    assert record.year == 2011
    assert record.title.endswith("with a title that wraps onto a second line.")
    assert record.authors == [
        {"family": "Person", "given": "Pat Q", "suffix": "Jr", "collective": "", "orcid": ""},
        {
            "family": "",
            "given": "",
            "suffix": "",
            "collective": "Constructed Trial Group",
            "orcid": "",
        },
    ]
    assert record.mesh_terms == ["Humans", "Cognition"]
    assert [(c["type"], c["pmid"]) for c in record.comments_corrections] == [
        ("RetractionIn", "990000061"),
        ("ErratumIn", "990000062"),
    ]


def test_medline_and_xml_agree_on_the_same_kind_of_record():
    (from_text,) = medline(PUBMED / "biopython_medline_pubmed_result1.txt")
    with open(PUBMED / "biopython_pubmed2.xml", "rb") as handle:
        from_xml = next(parse_pubmed_xml(handle))
    assert set(vars(from_text)) == set(vars(from_xml))


def test_text_that_is_not_medline_is_refused():
    with pytest.raises(ParseError, match="no PMID line"):
        list(parse_medline(io.BytesIO(b"TI  - A title without a PMID\n")))


# --- Crossref ----------------------------------------------------------------------------------


def test_single_work_envelope_with_jats_abstract_drops_the_abstract_heading():
    (record,) = crossref(CROSSREF / "habanero_works_10.1038_srep16696.json")
    assert record.doi == "10.1038/srep16696"
    assert record.pmid is None
    assert record.abstract.startswith("Oligomers of alpha-synuclein are toxic")
    assert "Abstract" not in record.abstract[:20]
    assert "<" not in record.abstract
    assert (record.journal, record.year, record.volume, record.issue) == (
        "Scientific Reports",
        2015,
        "5",
        "1",
    )
    assert record.pages == "16696"  # article number when there are no pages
    assert record.language == "eng"
    assert record.kind == RecordKind.JOURNAL_ARTICLE
    assert record.raw_format == RawFormat.CROSSREF_JSON
    assert json.loads(record.raw)["DOI"] == "10.1038/srep16696"


def test_structured_jats_abstract_keeps_section_titles_as_labels_and_title_is_plain():
    (record,) = crossref(CROSSREF / "habanero_works_10.1136_jclinpath-2020-206745.json")
    labels = [part.split(":")[0] for part in record.abstract.split("\n\n")]
    assert labels == ["Background", "Objective", "Methods", "Results", "Conclusion"]
    assert "oncogene (KRAS)/neuroblastoma" in record.abstract
    assert record.title.startswith("Construction of a reference material panel for detecting KRAS")
    assert "<i>" not in record.title
    assert "\n" not in record.title
    assert record.authors[13]["orcid"] == "0000-0002-3513-6501"
    assert len(record.authors) == 15


def test_correction_in_updated_by_is_linked_but_is_not_a_retraction():
    (record,) = crossref(CROSSREF / "habanero_works_10.1371_journal.pone.0033693.json")
    assert record.retracted is False
    assert record.comments_corrections == [
        {
            "type": "ErratumIn",
            "source": "Correction",
            "pmid": "",
            "doi": "10.1371/annotation/c76da2c1-ccb8-4797-94c1-359d3ceceeda",
        }
    ]


def test_retraction_in_updated_by_marks_retracted():
    (record,) = crossref(CONSTRUCTED / "crossref_retracted.json")
    assert record.retracted is True
    assert [c["type"] for c in record.comments_corrections] == ["RetractionIn", "ErratumIn"]
    assert record.abstract == "Constructed abstract, P<0.05."


def test_retraction_notice_is_a_notice_and_a_new_version_is_a_study():
    (notice,) = crossref(CONSTRUCTED / "crossref_retraction_notice.json")
    assert notice.kind == RecordKind.NOTICE
    assert notice.retracted is False
    (new_version,) = crossref(CONSTRUCTED / "crossref_new_version.json")
    assert new_version.kind == RecordKind.JOURNAL_ARTICLE
    assert new_version.comments_corrections[0]["type"] == "UpdateOf"
    assert new_version.authors[0]["collective"] == "Constructed Review Group"


def test_work_list_with_book_chapters_one_without_authors_and_year_only_date():
    first, second = crossref(CROSSREF / "habanero_works_rows2_no_query.json")
    assert first.kind == second.kind == RecordKind.BOOK_CHAPTER
    assert first.authors[0]["given"] == "Jürgen"
    assert first.language == "ger"
    assert second.authors == []
    assert second.year == 2024
    assert second.journal == "Encyclopedia of Computer Graphics and Games"


def test_book_chapter_single_work():
    (record,) = crossref(CROSSREF / "commonmeta_works_10.1007_978-3-662-46370-3_13.json")
    assert record.kind == RecordKind.BOOK_CHAPTER
    assert (record.year, record.journal, record.pages) == (2015, "Shoulder Stiffness", "155-158")
    assert record.abstract == ""


def test_csl_json_from_doi_org_has_string_titles():
    (record,) = crossref(CROSSREF / "habanero_csl_10.1126_science.169.3946.635.json")
    assert record.title == "The Structure of Ordinary Water"
    assert record.journal == "Science"
    assert record.year == 1970
    assert record.abstract.startswith("The train of thought pursued")


def test_validation_failure_and_non_json_bodies_are_clear_errors():
    with pytest.raises(ParseError, match="This route does not support field query parameters"):
        crossref(CROSSREF / "habanero_works_400_validation_failure.json")
    with pytest.raises(ParseError, match="not valid JSON"):
        crossref(CROSSREF / "habanero_works_404_10.1371_notarealdoi.txt")


@pytest.mark.parametrize(
    ("jats", "expected"),
    [
        ("<jats:title>Abstract</jats:title><jats:p>One.</jats:p>", "One."),
        ("<jats:p>One.</jats:p><jats:p>Two.</jats:p>", "One.\n\nTwo."),
        (
            "<jats:sec><jats:title>Aims</jats:title><jats:p>A.</jats:p></jats:sec>"
            "<jats:sec><jats:title>Results</jats:title>"
            "<jats:p>P<0.05 &amp; more.</jats:p></jats:sec>",
            "Aims: A.\n\nResults: P<0.05 & more.",
        ),
        (
            "<p>Plain <b>HTML</b> &lt;script&gt;alert(1)&lt;/script&gt;</p>",
            "Plain HTML <script>alert(1)</script>",
        ),
        ("", ""),
    ],
)
def test_jats_becomes_plain_text(jats, expected):
    assert jats_to_text(jats) == expected
