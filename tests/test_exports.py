"""Downloads: a compound's published claims as CSV and JSON, and study citations as RIS, BibTeX
and CSL-JSON, each parsed back as a spreadsheet or reference manager would read it.

The Cerebrolysin demo's studies are real records; the study with awkward characters and the
claims with formula-like text are constructed for these tests (PMIDs from 990000000, DOIs under
10.5555/).
"""

import csv
import io
import json

import bibtexparser
import pytest
import rispy
from bibtexparser.middlewares import LatexDecodingMiddleware, SeparateCoAuthors
from pylatexenc.latex2text import LatexNodes2Text
from responses import json_of, text

from kb import exports
from kb.models import Appearance, Claim, Evidence, Source
from studies.models import Study

pytestmark = pytest.mark.django_db

LANG_2013 = "23009193"  # Lang 2013, Int J Stroke 8(2):95-104, an RCT in the demo
CHEN_2013 = "23656173"  # Chen 2013, pages "803-7" in MEDLINE's abbreviated form
COCHRANE_STROKE_DOI = "10.1002/14651858.cd007026.pub7"
# The CSV's columns when a claim was one sentence on one page: every one is still there.
OLD_COLUMNS = (
    "claim_id",
    "claim_url",
    "compound",
    "quote",
    "statement",
    "population",
    "outcome",
    "kind",
    "verdict",
    "verdict_label",
    "certainty",
    "flags",
    "source_title",
    "source_url",
    "studies",
    "evidence",
)


@pytest.fixture
def awkward_study(make_study):
    """Constructed: a title and authors with every character BibTeX and RIS make hard."""
    return make_study(
        title="Müller's 50% & {braced} #1 trial of $5 C_2 drugs ~ \u03b1-synuclein\nsecond line",
        doi="10.5555/constructed_doi%{1}",
        journal="Journal of Ω & Δ",
        year=2021,
        pages="1234-40",
        authors=[
            {"family": "Müller", "given": "Jürgen"},
            {"family": "van der Berg", "given": "Anna", "suffix": "Jr"},
            {"collective": "Stroke & Dementia Study Group and Partners"},
        ],
        retracted=True,
    )


def parse_csv(response) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text(response))))


def parse_bibtex(text: str):
    library = bibtexparser.parse_string(
        text, append_middleware=[SeparateCoAuthors(), LatexDecodingMiddleware()]
    )
    assert library.failed_blocks == []
    return library


def bibtex_authors(entry) -> list[str]:
    # bibtexparser decodes LaTeX in plain fields only, not in the author list it split.
    return [LatexNodes2Text().latex_to_text(name) for name in entry["author"]]


def assert_download(response, content_type: str, filename: str):
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    assert response["Content-Disposition"] == f'attachment; filename="{filename}"'


# --- claims --------------------------------------------------------------------------------------


def test_claims_csv_has_a_row_per_appearance_with_its_claims_grade(client, demo):
    response = client.get("/compounds/cerebrolysin/claims.csv")
    assert_download(response, "text/csv; charset=utf-8", "cerebrolysin-claims.csv")
    rows = parse_csv(response)
    claims = {
        c.pk: c
        for c in Claim.objects.filter(compound=demo.compound, status="published").select_related(
            "topic"
        )
    }
    appearances = {a.pk: a for a in Appearance.objects.filter(claim__in=claims.values())}
    assert list(rows[0]) == list(exports.CLAIM_COLUMNS)
    # Today's columns are all still there.
    assert set(OLD_COLUMNS) <= set(exports.CLAIM_COLUMNS)
    assert len(rows) == len(appearances) == 68
    assert sorted(int(row["appearance_id"]) for row in rows) == sorted(appearances)
    assert {int(row["claim_id"]) for row in rows} == set(claims)
    for row in rows:
        claim = claims[int(row["claim_id"])]
        appearance = appearances[int(row["appearance_id"])]
        assert appearance.claim_id == claim.pk
        assert row["statement"] == claim.statement
        assert row["topic"] == claim.topic.name
        assert row["quote"] == appearance.quote
        assert row["source_title"] == demo.source.title
        assert row["source_url"] == (demo.source.url or "")
        numbers = sorted(appearance.citations.values_list("reference__number", flat=True))
        assert row["references"] == "; ".join(str(n) for n in numbers)
        assert row["appearance_flags"] == "; ".join(appearance.flags)
        assert row["verdict"] == claim.verdict
        assert row["certainty"] == (claim.certainty or "")
        assert row["flags"].split("; ") == claim.flags if claim.flags else row["flags"] == ""
        assert row["claim_url"] == f"http://testserver/claims/{claim.pk}/"
        assert int(row["studies"]) == claim.evidence.count()
    dependence = next(r for r in rows if r["quote"].startswith("Cerebrolysin can potentially"))
    assert f"DOI:{COCHRANE_STROKE_DOI} (no_effect)" in dependence["evidence"]
    # A claim said several times has one row per sentence, each with the same grade.
    by_claim = {}
    for row in rows:
        by_claim.setdefault(row["claim_id"], []).append(row)
    repeated = [group for group in by_claim.values() if len(group) > 1]
    assert repeated
    for group in repeated:
        assert len({(r["verdict"], r["certainty"], r["flags"], r["evidence"]) for r in group}) == 1
    assert any(row["appearance_flags"] == "citation_mismatch" for row in rows)


def test_a_claim_no_page_makes_still_has_a_row(client, make_claim, make_study, make_evidence):
    claim = make_claim(statement="Testolin (constructed) lowers blood pressure.", appearance=False)
    make_evidence(claim, make_study(title="A constructed trial"), stance="supports")
    [row] = parse_csv(client.get("/compounds/testolin/claims.csv"))
    assert row["claim_id"] == str(claim.pk)
    assert row["statement"] == claim.statement
    assert row["studies"] == "1"
    for column in ("appearance_id", "quote", "source_title", "source_url", "references"):
        assert row[column] == "", column
    [record] = json_of(client.get("/compounds/testolin/claims.json"))["rows"]
    assert record["claim_id"] == claim.pk
    assert (record["appearance_id"], record["quote"], record["source"]) == (None, None, None)
    assert (record["references"], record["appearance_flags"]) == ([], [])
    assert len(record["evidence"]) == 1


def test_exports_leave_drafts_out_even_for_editors(client, demo, editor, make_claim):
    draft = make_claim(
        demo.compound, quote="A constructed draft claim, not for export.", status="draft"
    )
    only_draft = Study.objects.create(
        title="A constructed study only a draft cites", pmid="990000001"
    )
    Evidence.objects.create(claim=draft, study=only_draft, stance="supports")
    client.force_login(editor)
    # Editors see drafts on the page; the newest claim is on the last page (out of range: last).
    assert draft.statement in client.get("/compounds/cerebrolysin/", {"page": "99"}).text
    assert draft.statement not in text(client.get("/compounds/cerebrolysin/claims.csv"))
    data = json_of(client.get("/compounds/cerebrolysin/claims.json"))
    assert draft.pk not in [row["claim_id"] for row in data["rows"]]
    for fmt in ("ris", "bib", "json"):
        exported = client.get(f"/compounds/cerebrolysin/studies.{fmt}").text
        assert "990000001" not in exported, fmt


@pytest.mark.parametrize(
    "text", ['=HYPERLINK("http://example.invalid","x")', "+1", "-2+3", "@SUM(A1)", "\tx"]
)
def test_csv_cells_that_a_spreadsheet_would_run_are_made_text(client, make_claim, text):
    page = Source.objects.create(title=text, url="https://example.org/constructed")
    make_claim(quote=text, statement=text, source=page)
    rows = parse_csv(client.get("/compounds/testolin/claims.csv"))
    assert rows[0]["quote"] == "'" + text
    assert rows[0]["statement"] == "'" + text
    assert rows[0]["source_title"] == "'" + text


def test_safe_cell_leaves_ordinary_values_alone():
    assert exports.safe_cell("Cerebrolysin improves memory") == "Cerebrolysin improves memory"
    assert exports.safe_cell("") == ""
    assert exports.safe_cell(-3) == -3  # numbers are numbers, not text a formula could hide in
    assert exports.safe_cell("'=1") == "'=1"


def test_claims_json_has_the_csv_rows_with_typed_values_and_the_evidence(client, demo):
    response = client.get("/compounds/cerebrolysin/claims.json")
    assert_download(response, "application/json", "cerebrolysin-claims.json")
    data = json_of(response)
    assert set(data) == {"slug", "name", "rows"}
    csv_rows = parse_csv(client.get("/compounds/cerebrolysin/claims.csv"))
    rows = data["rows"]
    assert len(rows) == len(csv_rows) == 68
    fields = (set(exports.CLAIM_COLUMNS) - {"source_title", "source_url", "studies"}) | {"source"}
    api = {c["id"]: c for c in json_of(client.get("/api/compounds/cerebrolysin/"))["claims"]}
    for row, csv_row in zip(rows, csv_rows, strict=True):
        assert set(row) == fields
        assert row["appearance_id"] == int(csv_row["appearance_id"])
        assert row["quote"] == csv_row["quote"]
        assert row["source"]["title"] == csv_row["source_title"]
        assert "; ".join(row["flags"]) == csv_row["flags"]
        assert "; ".join(str(n) for n in row["references"]) == csv_row["references"]
        claim = api[row["claim_id"]]
        # The claim's evidence in full, as the API gives it: nothing of today's download lost.
        assert row["evidence"] == claim["evidence"]
        assert row["topic"] == claim["topic"]
        [appearance] = [a for a in claim["appearances"] if a["id"] == row["appearance_id"]]
        assert row["source"] == appearance["source"]
        assert row["appearance_flags"] == appearance["flags"]


# --- study citations -----------------------------------------------------------------------------


def test_study_ris_reads_back_with_rispy(client, demo):
    lang = Study.objects.get(pmid=LANG_2013)
    response = client.get(f"/studies/{lang.pk}/cite.ris")
    assert_download(response, "application/x-research-info-systems; charset=utf-8", "Lang2013.ris")
    assert response.text.startswith("TY  - JOUR\n")
    [record] = rispy.loads(response.text)
    assert record["type_of_reference"] == "JOUR"
    assert record["authors"] == ["Lang, W"]
    assert record["title"] == lang.title
    assert record["secondary_title"] == "International journal of stroke"
    assert (record["year"], record["volume"], record["number"]) == ("2013", "8", "2")
    assert (record["start_page"], record["end_page"]) == ("95", "104")
    assert record["doi"] == "10.1111/j.1747-4949.2012.00901.x"
    assert record["accession_number"] == LANG_2013
    assert f"https://pubmed.ncbi.nlm.nih.gov/{LANG_2013}/" in record["urls"]


def test_medline_abbreviated_page_ranges_are_written_out(client, demo):
    chen = Study.objects.get(pmid=CHEN_2013)
    [record] = rispy.loads(client.get(f"/studies/{chen.pk}/cite.ris").text)
    assert (record["start_page"], record["end_page"]) == ("803", "807")
    bib = client.get(f"/studies/{chen.pk}/cite.bib").text
    assert "pages = {803--807}" in bib
    assert parse_bibtex(bib).entries[0]["pages"] == "803\u2013807"  # "--" is LaTeX's en dash


@pytest.mark.parametrize(
    ("pages", "expected"),
    [
        ("1234-40", ("1234", "1240")),
        ("95-104", ("95", "104")),
        ("e0222757", ("e0222757", "")),
        ("CD007026", ("CD007026", "")),
        ("S12-S19", ("S12", "S19")),
        ("", ("", "")),
    ],
)
def test_page_range(pages, expected):
    assert exports.page_range(pages) == expected


def test_study_bibtex_reads_back_with_its_fields(client, demo):
    cochrane = Study.objects.get(doi=COCHRANE_STROKE_DOI)
    response = client.get(f"/studies/{cochrane.pk}/cite.bib")
    assert_download(response, "application/x-bibtex; charset=utf-8", "Ziganshina2023.bib")
    [entry] = parse_bibtex(response.text).entries
    assert entry.entry_type == "article"
    assert entry.key == "Ziganshina2023"
    assert bibtex_authors(entry) == [
        "Ziganshina, LE",
        "Abakumova, T",
        "Nurkhametova, D",
        "Ivanchenko, K",
    ]
    assert entry["title"] == "Cerebrolysin for acute ischaemic stroke."
    assert entry["journal"] == "Cochrane Database of Systematic Reviews"
    assert entry["year"] == "2023"
    assert entry["doi"] == COCHRANE_STROKE_DOI


def test_bibtex_escapes_what_latex_would_misread_and_reads_back_unchanged(client, awkward_study):
    text = client.get(f"/studies/{awkward_study.pk}/cite.bib").text
    assert r"50\% \& \{braced\} \#1" in text
    [entry] = parse_bibtex(text).entries
    assert entry["title"] == awkward_study.title
    assert entry["journal"] == "Journal of Ω & Δ"
    # The group stays one author: its "and" and "&" are not read as separators.
    assert bibtex_authors(entry) == [
        "Müller, Jürgen",
        "van der Berg, Jr, Anna",
        "Stroke & Dementia Study Group and Partners",
    ]
    # DOIs and URLs are verbatim fields for biblatex: not escaped, braces percent-encoded.
    assert "doi = {10.5555/constructed_doi%%7B1%7D}" in text
    assert entry["pages"] == "1234\u20131240"
    assert entry["note"] == "Retracted"
    assert entry.key == "Muller2021"


def test_ris_keeps_each_field_on_its_line(client, awkward_study):
    text = client.get(f"/studies/{awkward_study.pk}/cite.ris").text
    assert all(line[:2].isalnum() and line[2:6] == "  - " for line in text.splitlines() if line)
    [record] = rispy.loads(text)
    assert record["title"] == awkward_study.title.replace("\n", " ")
    assert record["authors"][2] == "Stroke & Dementia Study Group and Partners"
    assert record["notes"] == ["Retracted"]


def test_study_csl_json(client, awkward_study):
    response = client.get(f"/studies/{awkward_study.pk}/cite.json")
    assert_download(
        response, "application/vnd.citationstyles.csl+json; charset=utf-8", "Muller2021.json"
    )
    [item] = json.loads(response.content)
    assert item["id"] == "Muller2021"
    assert item["type"] == "article-journal"
    assert item["title"] == awkward_study.title
    assert item["author"] == [
        {"family": "Müller", "given": "Jürgen"},
        {"family": "van der Berg", "given": "Anna", "suffix": "Jr"},
        {"literal": "Stroke & Dementia Study Group and Partners"},
    ]
    assert item["issued"] == {"date-parts": [[2021]]}
    assert item["DOI"] == "10.5555/constructed_doi%{1}"
    assert item["PMID"] == awkward_study.pmid
    assert item["page"] == "1234-1240"


def test_compound_studies_cover_every_study_behind_its_published_claims(client, demo):
    behind = Study.objects.filter(
        evidence__claim__compound=demo.compound, evidence__claim__status="published"
    ).distinct()
    expected_dois = sorted(study.doi for study in behind if study.doi)
    assert len(expected_dois) >= 8

    ris = client.get("/compounds/cerebrolysin/studies.ris")
    assert_download(
        ris, "application/x-research-info-systems; charset=utf-8", "cerebrolysin-studies.ris"
    )
    records = rispy.loads(ris.text)
    assert len(records) == behind.count()
    assert sorted(r["doi"] for r in records if "doi" in r) == expected_dois

    bib = client.get("/compounds/cerebrolysin/studies.bib")
    assert_download(bib, "application/x-bibtex; charset=utf-8", "cerebrolysin-studies.bib")
    entries = parse_bibtex(bib.text).entries
    assert len(entries) == behind.count()
    assert len({entry.key for entry in entries}) == len(entries)  # keys are unique
    assert sorted(e["doi"] for e in entries if "doi" in e.fields_dict) == expected_dois

    csl = json.loads(client.get("/compounds/cerebrolysin/studies.json").content)
    assert sorted(item["DOI"] for item in csl if "DOI" in item) == expected_dois


def test_citation_keys_are_unique_when_authors_and_years_repeat(make_study):
    studies = [
        make_study(title=f"Constructed {n}", authors=[{"family": "Smith", "given": "A"}])
        for n in range(3)
    ] + [make_study(title="Constructed, no author", authors=[], year=None)]
    assert list(exports.citation_keys(studies).values()) == [
        "Smith2020",
        "Smith2020a",
        "Smith2020b",
        "Anonymousnd",
    ]


@pytest.mark.parametrize(
    "url",
    [
        "/compounds/nothing/claims.csv",
        "/compounds/nothing/claims.json",
        "/compounds/nothing/studies.ris",
        "/compounds/cerebrolysin/studies.pdf",
        "/studies/999999/cite.ris",
    ],
)
def test_unknown_compound_study_or_format_is_404(client, demo, url):
    assert client.get(url).status_code == 404


def test_exports_are_read_only(client, demo):
    lang = Study.objects.get(pmid=LANG_2013)
    for url in ("/compounds/cerebrolysin/claims.csv", f"/studies/{lang.pk}/cite.bib"):
        assert client.post(url).status_code == 405


def test_compound_and_study_pages_link_their_downloads(client, demo):
    page = client.get("/compounds/cerebrolysin/").text
    for url in ("claims.csv", "claims.json", "studies.ris", "studies.bib", "studies.json"):
        assert f'href="/compounds/cerebrolysin/{url}"' in page
    lang = Study.objects.get(pmid=LANG_2013)
    page = client.get(f"/studies/{lang.pk}/").text
    for fmt in ("ris", "bib", "json"):
        assert f'href="/studies/{lang.pk}/cite.{fmt}"' in page


def test_bibtex_field_breaks_and_latex_commands_stay_inside_their_fields(client, make_study):
    """Constructed hostile values in every field a study exports to BibTeX (issue 15): none
    adds a field or passes a LaTeX command through."""
    hostile = r"1}, url = {https://evil.example} \input{/etc/passwd} \write18{rm -rf}"
    study = make_study(
        title=hostile,
        journal=hostile,
        volume="1}, x = {2",
        issue=r"\input{a}",
        pages=r"1}, url = {https://evil.example}\input{x}",
        doi=r"10.5555/a}\input{b}",
        year=2020,
        authors=[{"family": hostile, "given": hostile}, {"collective": hostile}],
    )
    text = client.get(f"/studies/{study.pk}/cite.bib").text
    [entry] = parse_bibtex(text).entries
    assert sorted(field.key for field in entry.fields) == [
        "author",
        "doi",
        "journal",
        "number",
        "pages",
        "pmid",
        "title",
        "volume",
        "year",
    ]
    assert "\\input" not in text
    assert "\\write18" not in text
    assert entry["title"] == hostile
    assert entry["pages"] == r"1}, url = {https://evil.example}\input{x}"
    assert entry["volume"] == "1}, x = {2"
    assert "doi = {10.5555/a%7D%5Cinput%7Bb%7D}" in text
