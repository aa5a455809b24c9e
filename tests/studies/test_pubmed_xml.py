"""PubMed efetch XML -> StudyRecord, on the real records in tests/data/pubmed."""

import io
import tracemalloc

import pytest
from studies_testdata import CONSTRUCTED, CROSSREF, PUBMED, PUBMED_XML_FILES

from studies import pubmed_fields
from studies.formats import parse_file
from studies.pubmed_xml import parse_pubmed_xml
from studies.records import ParseError, RecordKind


def records(path):
    with open(path, "rb") as handle:
        return list(parse_pubmed_xml(handle, name=path.name))


def one(path):
    (record,) = records(path)
    return record


def test_every_real_file_parses_and_every_record_has_identity_and_title():
    found = [record for path in PUBMED_XML_FILES for record in records(path)]
    assert len(found) == 17
    for record in found:
        assert record.pmid
        assert record.pmid.isdigit()
        assert record.title
        assert record.year
        assert 1970 < record.year < 2030
        assert record.raw.startswith("<PubmedArticle>")
        assert f">{record.pmid}</PMID>" in record.raw
        assert record.kind == RecordKind.JOURNAL_ARTICLE


def test_structured_abstract_keeps_labels_and_flattens_inline_markup():
    record = one(PUBMED / "biopython_pubmed4.xml")
    assert record.pmid == "27797938"
    assert record.title == (
        "Leucocyte telomere length, genetic variants at the TERT gene region and risk of "
        "pancreatic cancer."
    )
    sections = record.abstract.split("\n\n")
    assert [section.split(":")[0] for section in sections] == [
        "OBJECTIVE",
        "DESIGN",
        "RESULTS",
        "CONCLUSIONS",
    ]
    # "r<sup>2</sup>&lt;0.25" becomes the plain text "r2<0.25"; templates escape it later.
    assert "linkage disequilibrium r2<0.25" in record.abstract
    assert "<i>" not in record.abstract
    assert "<sub>" not in record.abstract
    assert "Published by the BMJ" not in record.abstract  # copyright line is not abstract
    assert record.doi == "10.1136/gutjnl-2016-312510"
    assert record.pmcid == "PMC5442267"
    assert (record.journal, record.year, record.volume, record.issue, record.pages) == (
        "Gut",
        2017,
        "66",
        "6",
        "1116-1122",
    )
    assert len(record.authors) == 22
    assert record.authors[0] == {
        "family": "Bao",
        "given": "Ying",
        "suffix": "",
        "collective": "",
        "orcid": "",
    }
    assert "Observational Study" in record.publication_types
    assert "Humans" in record.check_tags
    assert "Humans" in record.mesh_terms
    assert "Pancreatic Neoplasms" in record.mesh_terms
    assert "Pancreatic Neoplasms" not in record.check_tags
    # CommentIn is kept; the 48 "Cites" links are the reference list and are dropped.
    assert [link["type"] for link in record.comments_corrections] == ["CommentIn"]
    assert record.retracted is False


def test_label_differing_from_nlm_category_uses_the_label():
    record = one(PUBMED / "biopython_pubmed5.xml")
    assert record.abstract.startswith("OBJECTIVES: Animal studies suggest")
    assert record.mesh_terms == []  # In-Data-Review: not indexed yet


def test_unlabelled_section_has_no_label_and_long_labels_survive():
    assert one(PUBMED / "metapub_pmid_38329942.xml").abstract.startswith("Imbalanced gut")
    assert "IMPORTANCE: " in one(PUBMED / "metapub_pmid_38329942.xml").abstract
    systematic = one(PUBMED / "metapub_pmid_33856845.xml")
    assert "\n\nCONCLUSIONS AND IMPLICATIONS FOR PRACTICE: " in systematic.abstract


def test_record_without_doi_or_abstract_and_seasonal_date():
    first, second = records(PUBMED / "biopython_pubmed1.xml")
    assert (first.pmid, first.doi, first.abstract, first.year) == ("12091962", None, "", 1990)
    assert first.publication_types == ["Journal Article", "Review"]
    assert len(first.mesh_terms) == 19
    # DOI only in ArticleIdList (no ELocationID), with parentheses in it.
    assert (second.pmid, second.doi) == ("9997", "10.1016/0005-2795(76)90109-4")


def test_doi_and_pmid_never_come_from_the_reference_list():
    record = one(PUBMED / "eutils_efetch_22528466.xml")
    assert record.pmid == "22528466"
    assert record.doi == "10.1007/s11248-012-9616-0"
    many_refs = one(PUBMED / "metapub_pmid_32051057.xml")
    assert (many_refs.pmid, many_refs.doi, many_refs.pmcid) == (
        "32051057",
        "10.1017/s0954422419000301",
        "PMC7653990",
    )


def test_collective_author_keeps_its_place_in_the_author_order():
    record = one(PUBMED / "eutils_efetch_23121403.xml")
    assert record.publication_types == [
        "Journal Article",
        "Multicenter Study",
        "Randomized Controlled Trial",
        "Research Support, Non-U.S. Gov't",
    ]
    collective = [a for a in record.authors if a["collective"]]
    assert collective == [
        {"family": "", "given": "", "suffix": "", "collective": "ASPIRE Investigators", "orcid": ""}
    ]
    assert len(record.authors) == 13
    # InvestigatorList members are not authors.
    assert all(a["family"] != "Rucci" for a in record.authors)
    assert record.abstract.startswith("BACKGROUND: Patients who have had a first episode")
    assert {link["type"] for link in record.comments_corrections} == {"CommentIn"}
    assert len(record.comments_corrections) == 8


def test_suffix_accents_and_orcid():
    assert one(PUBMED / "metapub_pmid_26568896.xml").authors[-1] == {
        "family": "Wise",
        "given": "John Pierce",
        "suffix": "Sr",
        "collective": "",
        "orcid": "",
    }
    assert one(PUBMED / "metapub_pmid_24449692.xml").authors[1]["family"] == "Príncipe"
    orcids = [a["orcid"] for a in one(PUBMED / "metapub_pmid_33856845.xml").authors]
    assert orcids == ["0000-0002-9485-5207", "0000-0001-9358-433X", "0000-0002-2894-5108"]


def test_editorial_comment_links_to_what_it_comments_on():
    record = one(PUBMED / "metapub_pmid_34529508.xml")
    assert record.publication_types == ["Editorial", "Comment"]
    assert record.abstract == ""
    assert record.comments_corrections == [
        {
            "type": "CommentOn",
            "source": (
                "Am J Public Health. 2021 Oct;111(10):1815-1823. doi: 10.2105/AJPH.2021.306412."
            ),
            "pmid": "34473563",
            "doi": "",
        }
    ]


def test_retracted_publication_type_or_retraction_link_marks_retracted():
    retracted, notice, link_only = records(CONSTRUCTED / "pubmed_retraction.xml")
    assert retracted.retracted
    assert retracted.kind == RecordKind.JOURNAL_ARTICLE
    assert (
        retracted.abstract
        == "BACKGROUND: Constructed background.\n\nRESULTS: Constructed results, P<0.05."
    )
    assert retracted.comments_corrections[0]["type"] == "RetractionIn"
    assert retracted.comments_corrections[0]["pmid"] == "990000002"
    # The retraction notice itself is a notice, not a retracted study.
    assert notice.kind == RecordKind.NOTICE
    assert notice.retracted is False
    assert link_only.retracted is True
    assert [link["type"] for link in link_only.comments_corrections] == ["RetractionIn"]


def test_published_erratum_is_a_notice_and_the_corrected_article_is_not_retracted():
    article, erratum = records(CONSTRUCTED / "pubmed_published_erratum.xml")
    assert erratum.kind == RecordKind.NOTICE
    assert article.kind == RecordKind.JOURNAL_ARTICLE
    assert article.retracted is False
    assert article.comments_corrections[0]["type"] == "ErratumIn"


def test_expression_of_concern_is_recorded_but_is_not_a_retraction():
    article, notice = records(CONSTRUCTED / "pubmed_expression_of_concern.xml")
    assert article.retracted is False
    assert [link["type"] for link in article.comments_corrections] == [
        "ExpressionOfConcernIn",
        "UpdateOf",
    ]
    assert notice.kind == RecordKind.NOTICE


def test_book_chapter():
    record = one(CONSTRUCTED / "pubmed_book_chapter.xml")
    assert record.kind == RecordKind.BOOK_CHAPTER
    assert record.pmid == "990000010"
    assert record.doi == "10.5555/constructed.chapter.7"
    assert record.title == "Constructed chapter on in vitro models"
    assert record.journal == "Handbook of constructed evidence"
    assert record.year == 2019
    # Editors of the book are not authors of the chapter.
    assert [(a["family"], a["suffix"], a["collective"]) for a in record.authors] == [
        ("Writer", "Jr", ""),
        ("", "", "Constructed Study Group"),
    ]
    assert record.publication_types == ["Review"]
    assert record.raw.startswith("<PubmedBookArticle>")


def test_medline_date_gives_its_first_year_and_invalid_authors_are_dropped():
    record = one(CONSTRUCTED / "pubmed_medlinedate.xml")
    assert record.year == 1998
    assert record.pages == "55-60"
    assert [a["family"] for a in record.authors] == ["Datum"]
    assert record.language == "ger"


def test_odd_doi_is_kept_whole_and_an_invalid_elocation_doi_ignored():
    record = one(CONSTRUCTED / "pubmed_odd_doi.xml")
    assert record.doi == "10.5555/(sici)1099-0000(200301)5:1<1::aid-con1>3.0.co;2-x"
    assert record.title == "A constructed in vitro study with an odd DOI, P<0.05 & more."
    assert record.year == 2003


def test_empty_result_set_yields_nothing():
    assert records(CONSTRUCTED / "pubmed_empty.xml") == []


def test_the_same_record_twice_in_one_file_is_yielded_twice_with_its_own_raw_text():
    body = (PUBMED / "eutils_efetch_20412080.xml").read_bytes()
    start, end = body.index(b"<PubmedArticle>"), body.rindex(b"</PubmedArticleSet>")
    doubled = body[:end] + body[start:end] + body[end:]
    first, second = list(parse_pubmed_xml(io.BytesIO(doubled)))
    assert first.pmid == second.pmid == "20412080"
    assert first.raw == second.raw


def test_malformed_xml_names_the_problem_and_position():
    body = b"<PubmedArticleSet><PubmedArticle><MedlineCitation></PubmedArticle></PubmedArticleSet>"
    with pytest.raises(ParseError, match=r"bad\.xml: malformed XML \(mismatched tag: line 1"):
        list(parse_pubmed_xml(io.BytesIO(body), name="bad.xml"))


def test_truncated_body_yields_the_complete_records_then_a_clear_error():
    body = (PUBMED / "biopython_pubmed1.xml").read_bytes()
    cut = body[: body.index(b'<PMID Version="1">9997')]
    stream = parse_pubmed_xml(io.BytesIO(cut), name="cut.xml")
    assert next(stream).pmid == "12091962"
    with pytest.raises(ParseError, match="malformed XML"):
        next(stream)


def test_other_eutils_replies_are_refused_by_name():
    with (
        open(PUBMED / "biopython_esearch1.xml", "rb") as handle,
        pytest.raises(ParseError, match=r"root element is <eSearchResult>"),
    ):
        list(parse_pubmed_xml(handle))
    with pytest.raises(ParseError, match="empty input or not XML"):
        list(parse_pubmed_xml(io.BytesIO(b"")))


def test_ncbi_error_reply_is_reported_with_ncbi_words():
    body = b"<eFetchResult><ERROR>Empty id list - nothing todo</ERROR></eFetchResult>"
    with pytest.raises(ParseError, match="NCBI said: Empty id list - nothing todo"):
        list(parse_pubmed_xml(io.BytesIO(body)))


def test_parsing_never_touches_the_network(monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("the parser tried to open a URL")

    monkeypatch.setattr("Bio.Entrez.urlopen", no_network)
    monkeypatch.setattr("urllib.request.urlopen", no_network)
    for path in PUBMED_XML_FILES:
        assert records(path)  # the DOCTYPE names NCBI's DTD URL; it must not be fetched


class Trickle(io.BytesIO):
    """A source that hands out a few bytes per read, so every tag ends up split somewhere."""

    def read(self, size=-1):
        return super().read(7)


@pytest.mark.parametrize("path", PUBMED_XML_FILES, ids=lambda path: path.name)
def test_raw_text_is_the_record_exactly_as_it_stands_in_the_file(path):
    text = path.read_text(encoding="utf-8")
    expected, position = [], 0
    while (start := text.find("<PubmedArticle>", position)) >= 0:
        position = text.index("</PubmedArticle>", start) + len("</PubmedArticle>")
        expected.append(text[start:position])
    assert [r.raw for r in parse_pubmed_xml(Trickle(path.read_bytes()))] == expected
    # Character references stay as written: the raw text is the source, not a re-rendering.
    if path.name == "metapub_pmid_26568896.xml":
        assert "100 &#x3bc;g/cm<sub>2</sub>" in expected[0]


def test_raw_text_falls_back_to_serialising_when_markers_are_out_of_step():
    # A comment holding a record start tag puts the byte scanner out of step.
    body = (PUBMED / "eutils_efetch_20412080.xml").read_bytes()
    body = body.replace(b"<PubmedArticleSet>", b"<PubmedArticleSet><!-- <PubmedArticle> -->")
    (record,) = parse_pubmed_xml(io.BytesIO(body))
    assert record.raw.startswith("<PubmedArticle>")
    assert ">20412080</PMID>" in record.raw


def test_file_format_is_detected_by_content():
    with open(PUBMED / "biopython_medline_pubmed_result2.txt", "rb") as handle:
        assert [r.pmid for r in parse_file(handle)] == [
            "16403221",
            "16377612",
            "14871861",
            "14630660",
        ]
    with open(PUBMED / "biopython_pubmed2.xml", "rb") as handle:
        assert [r.pmid for r in parse_file(handle)] == ["11748933", "11700088"]
    with open(CROSSREF / "habanero_works_rows2_no_query.json", "rb") as handle:
        assert len(list(parse_file(handle))) == 2
    with pytest.raises(ParseError, match="Unrecognised file"):
        list(parse_file(io.BytesIO(b"title,doi\nfoo,10.1/x\n")))


def test_memory_stays_flat_however_many_records_the_file_holds():
    body = (PUBMED / "metapub_pmid_35358095.xml").read_bytes()
    start, end = body.index(b"<PubmedArticle>"), body.rindex(b"</PubmedArticleSet>")
    record = body[start:end]

    def peak(count):
        data = body[:start] + record * count + body[end:]
        source = io.BytesIO(data)
        tracemalloc.start()
        try:
            for _ in parse_pubmed_xml(source):
                pass
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak(20), peak(200)
    assert large < small * 1.5, (small, large)


def test_check_tags_are_the_mesh_check_tags_only():
    assert {"Humans", "Animals", "Mice", "Rats", "Male", "Female"} <= pubmed_fields.CHECK_TAGS
    record = one(PUBMED / "metapub_pmid_35358095.xml")
    assert record.check_tags == ["Animals", "Humans", "Mice"]
