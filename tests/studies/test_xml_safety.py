"""XML and file safety (issue 15): entity expansion, external entities and external DTDs are
refused or ignored, invalid UTF-8 is answered clearly, and each refusal leaves the studies
table as it was (rows counted before and after). Hostile documents are constructed from the
real record tests/data/pubmed/eutils_efetch_23121403.xml; the generated records come from
hypothesis."""

import io
import re
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from studies_testdata import PUBMED

from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Study
from studies.pubmed_xml import parse_pubmed_xml
from studies.records import ParseError

REAL = (PUBMED / "eutils_efetch_23121403.xml").read_text(encoding="utf-8")
BODY = REAL[REAL.index("<PubmedArticleSet>") :]
TITLE = "Low-dose aspirin for preventing recurrent venous thromboembolism."


def with_doctype(doctype: str, title: str) -> bytes:
    return (f'<?xml version="1.0"?>\n{doctype}\n' + BODY.replace(TITLE, title)).encode()


BILLION_LAUGHS = """<!DOCTYPE PubmedArticleSet [
<!ENTITY lol "lol">
<!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
<!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
<!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
<!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
<!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
<!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>"""


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("document", "message"),
    [
        (with_doctype(BILLION_LAUGHS, "&lol9;"), "malformed XML"),
        (
            with_doctype(
                '<!DOCTYPE PubmedArticleSet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
                "&xxe;",
            ),
            "malformed XML",
        ),
        (
            with_doctype(
                '<!DOCTYPE PubmedArticleSet [<!ENTITY % dtd SYSTEM "http://127.0.0.1:9/x.dtd">'
                " %dtd;]>",
                "&remote;",
            ),
            "malformed XML",
        ),
        (with_doctype("", TITLE).replace(b"aspirin", b"aspirin \xff\xfe"), "malformed XML"),
        (b"\x00\x01binary", "Unrecognised file"),
    ],
    ids=["entity expansion", "external entity", "external DTD", "invalid UTF-8", "binary"],
)
def test_hostile_xml_is_refused_and_nothing_is_written(document, message):
    before = (Study.objects.count(), Study.history.count())
    with pytest.raises(ParseError, match=message):
        import_records(parse_file(io.BytesIO(document), name="hostile.xml"))
    assert (Study.objects.count(), Study.history.count()) == before


def test_an_external_dtd_in_the_doctype_is_never_fetched(monkeypatch):
    # The real file names NCBI's DTD by URL; parsing must not open it (offline-safe).
    def refuse(*args, **kwargs):
        raise AssertionError("the parser opened a URL")

    monkeypatch.setattr("urllib.request.urlopen", refuse)
    [record] = parse_pubmed_xml(io.BytesIO(REAL.encode()))
    assert record.title == TITLE


XML_TEXT = st.text(
    alphabet=st.characters(
        blacklist_categories=("Cs",),
        blacklist_characters="\x00\ufffe\uffff",
        max_codepoint=0x2FFFF,
    ).filter(lambda c: c in "\t\n\r" or ord(c) >= 0x20),
    min_size=1,
    max_size=80,
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=XML_TEXT, abstract=XML_TEXT, family=XML_TEXT)
def test_any_text_in_a_pubmed_record_comes_back_as_plain_text(title, abstract, family):
    document = (
        REAL.replace(TITLE, escape(title))
        .replace("<LastName>Brighton</LastName>", f"<LastName>{escape(family)}</LastName>")
        .encode()
    )
    document = re.sub(
        rb"<AbstractText([^>]*)>.*?</AbstractText>",
        lambda m: (
            b"<AbstractText" + m.group(1) + b">" + escape(abstract).encode() + b"</AbstractText>"
        ),
        document,
        count=1,
        flags=re.S,
    )
    try:
        [record] = parse_pubmed_xml(io.BytesIO(document))
    except ParseError as exc:
        refused = str(exc)
    else:
        refused = None
    if refused is not None:
        # Only a record left without a title may be refused, and it says so.
        assert not title.strip(), refused
        return
    assert " ".join(title.split()) in " ".join(record.title.split()) or not title.strip()
    assert isinstance(record.abstract, str)
    assert record.pmid == "23121403"
