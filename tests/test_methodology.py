"""The methodology page is docs/grading.md rendered (kb.methodology): one text for readers, held
to the code it explains and to the structure other pages and assistive technology rely on.

tests/test_grading.py checks that the document and the page explain every code and that the
worked example is what the rules give."""

import itertools
import re
from html.parser import HTMLParser

import pytest

from kb.grading import CERTAINTY_SCALE, VERDICTS, EvidenceItem, Judgements, grade
from kb.methodology import SOURCE, methodology_page, render
from kb.vocabulary import Certainty, Flag, Indirectness, Stance, Verdict
from studies.designs import LEVEL_LABELS, Design

DOC = SOURCE.read_text(encoding="utf-8")
# The anchors other pages may link to (templates/kb/methodology.html lists them too).
SECTIONS = [
    "designs", "stances", "indirectness", "certainty", "rules", "verdicts", "flags", "edge-cases",
    "example", "references",
]  # fmt: skip


def table(caption: str) -> list[list[str]]:
    """The document's table with this caption: its header row, then its body rows."""
    after = DOC.split(f"Table: {caption}\n", 1)[1].strip()
    rows = []
    for line in (line.strip() for line in after.splitlines()):
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split("|")])
    header, _delimiter, *body = rows
    return [header, *body]


def written(choice) -> str:
    return f"{choice.label} (`{choice.value}`)"


# --- the document says what the code does -----------------------------------------------------


@pytest.mark.parametrize(
    "vocabulary", [Design, Stance, Indirectness, Certainty, Verdict, Flag], ids=lambda v: v.__name__
)
def test_every_code_is_written_with_the_label_readers_see(vocabulary):
    missing = [written(choice) for choice in vocabulary if written(choice) not in DOC]
    assert not missing, f"docs/grading.md does not write {missing}"


def test_the_design_ladder_is_the_codes_levels_and_starting_certainty():
    header, *rows = table("Study designs, strongest first")
    assert header[:2] == ["Level", "Design (code)"]
    expected = []
    for design in Design:
        # One supporting study of the design alone: the rules say where certainty starts.
        result = grade(
            [EvidenceItem(design=design, stance=Stance.SUPPORTS)],
            Judgements(),
            graded=True,
        )
        human = "Yes" if result.best_level is not None else "No"
        starts = Certainty(result.starting_certainty).label
        expected.append([LEVEL_LABELS[design], written(design), human, starts])
    assert [[row[0], row[1], row[3], row[4]] for row in rows] == expected


def test_the_verdict_table_is_the_rules_verdict_for_each_direction_and_certainty():
    header, *rows = table("Verdict by direction and certainty")
    assert header == ["Direction", *(Certainty(code).label for code in CERTAINTY_SCALE)]
    assert [row[0] for row in rows] == ["For", "Against"]
    for direction, *cells in rows:
        verdicts = [f"`{VERDICTS[direction.lower(), code]}`" for code in CERTAINTY_SCALE]
        assert cells == verdicts, direction


def test_every_verdict_has_a_row_in_the_verdicts_table():
    _header, *rows = table("Verdicts, with GRADE guideline 26 wording")
    assert {row[0] for row in rows} == {written(verdict) for verdict in Verdict}


# --- the page ---------------------------------------------------------------------------------


class _Outline(HTMLParser):
    """Headings, ids, sections, in-page links and tables (caption, column and row headers)."""

    def __init__(self):
        super().__init__()
        self.headings, self.ids, self.links, self.tables = [], set(), [], []
        self.sections = []  # (id, aria-labelledby)
        self._section = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self.sections.append((attrs.get("id"), attrs.get("aria-labelledby")))
        elif re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))
        elif tag == "a" and attrs.get("href", "").startswith("#"):
            self.links.append(attrs["href"][1:])
        elif tag == "table":
            self.tables.append({"caption": False, "cols": [], "rows": []})
        elif tag in ("thead", "tbody"):
            self._section = tag
        elif tag == "caption":
            self.tables[-1]["caption"] = True
        elif tag == "tr" and self._section == "tbody":
            self.tables[-1]["rows"].append([])
        elif tag in ("th", "td") and self._section == "thead":
            self.tables[-1]["cols"].append((tag, attrs.get("scope")))
        elif tag in ("th", "td") and self._section == "tbody":
            self.tables[-1]["rows"][-1].append((tag, attrs.get("scope")))


@pytest.fixture
def served(client, db):  # the page cache's key reads the content version
    response = client.get("/methodology/")
    assert response.status_code == 200
    return response.text


def outline(page: str) -> _Outline:
    parser = _Outline()
    parser.feed(page)
    return parser


def test_the_page_is_the_document_rendered(served):
    assert methodology_page().html in served
    assert "<title>How claims are graded · Evidence KB</title>" in served
    assert methodology_page() is methodology_page()  # rendered once per process


def test_the_page_keeps_the_anchors_other_pages_link_to(served):
    page = outline(served)
    assert page.sections == [(section, f"{section}-heading") for section in SECTIONS]
    assert {f"{section}-heading" for section in SECTIONS} <= page.ids
    for section in SECTIONS:
        assert f'<a href="#{section}">' in served  # listed under "On this page"
    assert {f"verdict-{code}" for code in Verdict.values} <= page.ids
    assert {f"flag-{code}" for code in Flag.values} <= page.ids
    assert '<span class="badge verdict-probably_not_supported">' in served
    nowhere = [link for link in page.links if link not in page.ids]
    assert not nowhere, f"in-page links to no anchor: {nowhere}"


def test_headings_are_in_order_and_every_table_has_headers(served):
    page = outline(served)
    assert page.headings[0] == 1
    assert page.headings.count(1) == 1
    assert all(after <= before + 1 for before, after in itertools.pairwise(page.headings))
    assert len(page.tables) == 5
    for table in page.tables:
        assert table["caption"]
        assert table["cols"]
        assert all(cell == ("th", "col") for cell in table["cols"])
        assert all(row[0] == ("th", "row") for row in table["rows"])


def test_the_page_has_nothing_the_content_security_policy_would_block(served):
    body = methodology_page().html
    assert "style=" not in body
    assert "<script" not in body
    assert not re.search(r"\son\w+=", body)


def test_raw_html_and_inline_styles_in_the_document_do_not_reach_the_page():
    text = (
        "# Title\n\nLede.\n\n<script>alert(1)</script>\n\n"
        '<p style="color: red" onclick="alert(2)">Styled</p>\n\n'
        "## Aligned {#aligned}\n\n| Left | Right |\n| :--- | ---: |\n| a | b |\n"
    )
    rendered = render(text)
    assert rendered.title == "Title"
    assert "alert" not in rendered.html
    assert "style=" not in rendered.html
    assert "onclick" not in rendered.html
    assert "<p>Styled</p>" in rendered.html
    assert '<th scope="row">a</th>' in rendered.html


def test_a_section_heading_without_an_anchor_is_refused():
    with pytest.raises(ValueError, match="needs an id"):
        render("# Title\n\n## No anchor\n\nText.\n")
