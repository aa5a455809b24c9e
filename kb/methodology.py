"""The methodology page (/methodology/): docs/grading.md, rendered to HTML once per process.

One source. The grading rules are written for readers once, in docs/grading.md. That file is
both the document in the repository and the page on the site; the page is the file rendered, so
the two cannot drift. The vocabulary tables (design ladder, stances, indirectness, certainty,
verdicts, flags) stay in the file rather than being generated from kb/vocabulary.py,
kb/grading.py and studies/designs.py. Most of what readers need there is prose that exists
nowhere in the code (what each design is, GRADE's wording, how the site writes each verdict), and
generating the tables would move that prose into Python and leave gaps in the document. Tests
hold the file to the code instead: tests/test_grading.py checks that every code is explained and
that the worked example is what the rules give, and tests/test_methodology.py checks that each
code's label, each design's level and the verdict ladder are the code's.

Rendering. Python-Markdown (tables, definition lists, attribute lists for heading ids, smart
quotes), then one pass over the tree that gives the page the structure readers and assistive
technology had from the hand-written template, following conventions written at the top of
docs/grading.md:

- each h2 opens a <section> labelled by it; the section takes the id written on the heading
  (`{#designs}`), the anchor other pages link to, and an "On this page" navigation lists the
  sections before the first one;
- the paragraph right after the title (the h1) is the lede;
- a paragraph "Table: ..." just before a table becomes its <caption>; header cells get
  scope="col", and the first cell of each body row becomes a row header (scope="row");
- in the Verdicts and Flags sections a row or term naming a code gets the anchor
  #verdict-<code> or #flag-<code> (the first one only), and a verdict's label is shown as the
  badge claims carry;
- list items and definitions are tight: a paragraph that opens one is unwrapped.

The input is trusted repository content, but the result still goes through nh3 with an allowlist,
so nothing executable and no inline style (the CSP forbids both) can reach the page even if raw
HTML is pasted into the file. The result is cached for the life of the process: restart the server
after editing docs/grading.md.
"""

import copy
import functools
import html
import itertools
import re
import xml.etree.ElementTree as etree
from pathlib import Path
from typing import NamedTuple

import markdown
import nh3
from django.utils.safestring import mark_safe
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor

# Beside the package, not from settings: rendering needs no configured Django (tests/test_grading.py
# runs without it).
SOURCE = Path(__file__).resolve().parent.parent / "docs" / "grading.md"

CAPTION_PREFIX = "Table: "
# Sections whose rows or terms name a code, and the prefix of the anchor each one gets.
CODE_ANCHORS = {"verdicts": "verdict", "flags": "flag"}
# Sections whose codes are shown as badges, styled like the ones on claims (badge verdict-<code>).
BADGED = {"verdicts"}
_NUMBERED = re.compile(r"^\d+\.\s+")

_TAGS = {
    "a", "blockquote", "br", "caption", "code", "dd", "dl", "dt", "em", "h1", "h2", "h3", "h4",
    "hr", "li", "nav", "ol", "p", "pre", "section", "span", "strong", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
_ATTRIBUTES = {
    "a": {"href"},
    "h1": {"id"},
    "h2": {"id"},
    "h3": {"id"},
    "h4": {"id"},
    "section": {"id", "aria-labelledby"},
    "nav": {"aria-label"},
    "p": {"class"},
    "table": {"tabindex"},
    "span": {"class"},
    "th": {"scope"},
    "tr": {"id"},
    "dt": {"id"},
    "ol": {"start"},
}


class MethodologyPage(NamedTuple):
    title: str
    html: str  # marked safe: nh3 has cleaned it


@functools.cache
def methodology_page() -> MethodologyPage:
    """docs/grading.md as the methodology page, read and rendered on first use."""
    return render(SOURCE.read_text(encoding="utf-8"))


def render(text: str) -> MethodologyPage:
    """Markdown written to the conventions above, as the page's title and sanitised HTML."""
    body = markdown.markdown(
        text,
        extensions=["tables", "def_list", "attr_list", "smarty", _PageStructure()],
        output_format="html",
    )
    body = nh3.clean(
        body,
        tags=_TAGS,
        attributes=_ATTRIBUTES,
        clean_content_tags={"script", "style"},
        url_schemes={"http", "https", "mailto"},
        link_rel=None,
        strip_comments=True,
    )
    heading = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    title = html.unescape(nh3.clean(heading.group(1), tags=set())) if heading else ""
    # The one place the page's HTML is trusted: repository content, cleaned by nh3 just above.
    return MethodologyPage(title=title.strip(), html=mark_safe(body))  # noqa: S308


class _PageStructure(Extension):
    def extendMarkdown(self, md):
        # After inline markup (20) and attribute lists (8), so ids and <code> are in the tree.
        md.treeprocessors.register(_Structure(md), "kb_page_structure", 5)


class _Structure(Treeprocessor):
    def run(self, root):
        for parent in list(root.iter()):
            _captions(parent)
        for table in root.iter("table"):
            _table_headers(table)
        for item in [*root.iter("li"), *root.iter("dd")]:
            _tighten(item)
        _lede(root)
        sections = _sections(root)
        for section in sections:
            prefix = CODE_ANCHORS.get(section.get("id"))
            if prefix:
                _code_anchors(section, prefix, badge=section.get("id") in BADGED)
        if sections:
            root.insert(list(root).index(sections[0]), _contents(sections))


def _lede(root: etree.Element) -> None:
    """The paragraph right after the title is the lede."""
    children = list(root)
    for heading, lede in itertools.pairwise(children):
        if heading.tag == "h1" and lede.tag == "p":
            lede.set("class", "lede")
            return


def _captions(parent: etree.Element) -> None:
    children = list(parent)
    for before, table in itertools.pairwise(children):
        text = before.text or ""
        if table.tag == "table" and before.tag == "p" and text.startswith(CAPTION_PREFIX):
            caption = etree.Element("caption")
            caption.text = text.removeprefix(CAPTION_PREFIX)
            caption.extend(before)
            table.insert(0, caption)
            parent.remove(before)


def _table_headers(table: etree.Element) -> None:
    # A phone scrolls a wide table inside its own box: the keyboard must reach it too.
    table.set("tabindex", "0")
    for cell in table.iterfind("thead/tr/th"):
        cell.set("scope", "col")
    for row in table.iterfind("tbody/tr"):
        first = row.find("*")
        if first is not None:
            first.tag = "th"
            first.set("scope", "row")


def _tighten(item: etree.Element) -> None:
    """<li><p>text</p>...</li> -> <li>text...</li>: the opening paragraph's content moves up."""
    first = item.find("*")
    if first is None or first.tag != "p" or (item.text or "").strip():
        return
    item.remove(first)
    item.text = first.text
    for index, child in enumerate(first):
        item.insert(index, child)
    end = first[-1] if len(first) else None
    if end is None:
        item.text = (item.text or "") + (first.tail or "")
    else:
        end.tail = (end.tail or "") + (first.tail or "")


def _sections(root: etree.Element) -> list[etree.Element]:
    """Wrap each h2 and what follows it, up to the next h2, in a <section> labelled by it. The
    section takes the heading's id (the anchor) and the heading becomes <id>-heading."""
    sections = []
    for child in list(root):
        if child.tag == "h2":
            if not child.get("id"):
                text = "".join(child.itertext())
                raise ValueError(f"Heading {text!r} needs an id: ## {text} {{#some-id}}")
            anchor = child.get("id")
            child.set("id", f"{anchor}-heading")
            section = etree.Element(
                "section", {"id": anchor, "aria-labelledby": f"{anchor}-heading"}
            )
            root.insert(list(root).index(child), section)
            sections.append(section)
        elif not sections:
            continue
        root.remove(child)
        sections[-1].append(child)
    return sections


def _contents(sections: list[etree.Element]) -> etree.Element:
    nav = etree.Element("nav", {"aria-label": "On this page"})
    contents = etree.SubElement(nav, "ol")
    for section in sections:
        heading = section[0]
        link = etree.SubElement(etree.SubElement(contents, "li"), "a")
        link.set("href", f"#{section.get('id')}")
        link.text = _NUMBERED.sub("", heading.text or "")
        link.extend(copy.deepcopy(child) for child in heading)
    return nav


def _code_anchors(section: etree.Element, prefix: str, *, badge: bool) -> None:
    seen = set()
    terms = [(row, row.find("th")) for row in section.iterfind(".//tbody/tr")]
    terms += [(term, term) for term in section.iter("dt")]
    for target, cell in terms:
        code = cell.find("code") if cell is not None else None
        if code is None or not code.text:
            continue
        if code.text not in seen:
            seen.add(code.text)
            target.set("id", f"{prefix}-{code.text}")
        if badge and (cell.text or "").endswith(" ("):
            label = etree.Element("span", {"class": f"badge {prefix}-{code.text}"})
            label.text = cell.text.removesuffix(" (").strip()
            label.tail = " ("
            cell.text = ""
            cell.insert(0, label)
