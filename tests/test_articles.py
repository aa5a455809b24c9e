"""Reading marketing articles: references, citation sites, proposed claims, conflicts of interest.

The seed article (fixtures/cerebrolysin-article.txt) is a real page's text; its HTML twin in
tests/data/articles/ was written by us from that text. The smaller articles below are
constructed: their identifiers are DOIs under 10.5555/ and PMIDs from 990000000 up.
"""

import json
import re
import time
import urllib.error
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from kb.articles import (
    MAX_BYTES,
    ArticleError,
    article_to_json,
    extract_article,
    extract_from_url,
    fetch_url,
    sanitise_html,
)
from kb.models import Appearance, Citation, Claim, Compound, Evidence, Reference, Source
from kb.services.articles import save_article
from studies.identifiers import normalise_doi
from studies.models import Study

ROOT = Path(__file__).resolve().parent.parent
SEED_TEXT = ROOT / "fixtures" / "cerebrolysin-article.txt"
SEED_HTML = ROOT / "tests" / "data" / "articles" / "cerebrolysin-article.html"
EXPECTED_CLAIMS = ROOT / "tests" / "data" / "articles" / "cerebrolysin-expected-claims.txt"
GRADING = ROOT / "fixtures" / "cerebrolysin-grading.json"

# The DOIs exactly as printed in the seed's reference list.
SEED_DOIS = {
    1: "10.1111/j.1747-4949.2012.00901.x",
    2: "10.1007/s10072-021-05089-2",
    3: "10.2147/NDT.S186865",
    4: "10.3109/02688697.2013.793287",
    5: "10.1080/14737175.2018.1500459",
    6: "10.1002/14651858.CD008900.pub3",
    7: "10.1371/journal.pone.0222757",
    8: "10.2147/JEP.S35326",
    9: "10.1590/acb370605",
}

# Every citation site of the seed: the sentence (quote rules applied) and the reference it cites.
SEED_CITATIONS = {
    "However, recent reviews, including the Cochrane Review, indicate that its benefits in this "
    "context are likely limited and it may increase the risk of serious non-fatal adverse "
    "events.": [1],
    "Preliminary studies have suggested potential improvements in neurocognitive functions with "
    "Cerebrolysin in conditions like dementia and Alzheimer\u2019s disease, though further "
    "rigorous research is necessary to establish these effects.": [2],
    "Clinical results suggest that Cerebrolysin improves cognitive functions, particularly in "
    "patients with neurodegenerative diseases, suggesting an enhancement in memory, attention, "
    "and executive functions.": [3],
    "Besides specific neurological conditions, Cerebrolysin has also improved general cognitive "
    "health in older adults, contributing to enhanced quality of life and daily functioning.": [4],
    "Multicentre studies indicate that Cerebrolysin has been explored for its ability to "
    "potentially improve the functional outcome in patients post-stroke, aiding in better "
    "recovery of motor and cognitive abilities.": [5],
    "It promotes the formation of new neural connections, thereby improving cognitive "
    "capabilities.": [6],
    "Research has shown that Cerebrolysin reduces the levels of amyloid precursor protein (APP), "
    "a protein linked to Alzheimer\u2019s disease, suggesting its role in potentially slowing the "
    "disease\u2019s progression.": [7],
    "Cerebrolysin improves the brain\u2019s oxygen utilization, enhancing cerebral metabolism and "
    "thus supporting better cognitive functions.": [8],
    "As a peptide preparation, Cerebrolysin offers neuroprotective and neuroregenerative "
    "benefits, protecting neurons from damage and stimulating recovery of the patients, which is "
    "beneficial for cognitive health.": [9],
}

SEED_CONFLICTS = [
    "We recommend purchasing Cerebrolysin from CosmicNootropic.",
    "Their products are shipped from the United States and contain pure Cerebrolysin at a low "
    "price, starting from $69 USD.",
    "The shipping takes 2-5 days domestically and 7-14 days internationally.",
    "This is a top-notch vendor and is our top pick for the best place to buy Cerebrolysin.",
]

# Claim extraction on the seed, measured against tests/data/articles/cerebrolysin-expected-
# claims.txt (138 sentences picked by reading the article). At the time of writing: 144 proposed,
# 135 correct: precision 0.938, recall 0.978. The thresholds leave room for rule changes, not for
# a regression that loses claims.
MIN_RECALL = 0.95
MIN_PRECISION = 0.90


@pytest.fixture(scope="module")
def seed():
    return extract_article(SEED_TEXT.read_bytes())


@pytest.fixture(scope="module")
def seed_html():
    return extract_article(SEED_HTML.read_bytes())


def all_strings(value):
    """Every string anywhere in a JSON-like structure."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from all_strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from all_strings(item)


# --------------------------------------------------------------------------------------------
# The seed article as plain text


def test_seed_metadata(seed):
    assert seed.title == "Cerebrolysin: Nootropic Benefits, Uses, Dosage & Side Effects"
    assert seed.author == "Jacob Kovacs"
    assert seed.publisher == "WholisticResearch"
    assert seed.published is None
    assert seed.url is None


def test_seed_references_are_the_nine_with_their_dois(seed):
    assert [r.number for r in seed.references] == list(range(1, 10))
    assert {r.number: r.doi for r in seed.references} == {
        n: normalise_doi(doi) for n, doi in SEED_DOIS.items()
    }
    first = seed.references[0]
    assert first.text.startswith("Lang, Wilfried et al. \u201cA prospective, randomized")
    assert first.text.endswith("doi:10.1111/j.1747-4949.2012.00901.x")
    assert all(r.pmid is None for r in seed.references)


def test_seed_each_citation_site_is_tied_to_its_sentence_and_reference(seed):
    cited = {c.quote: c.references for c in seed.claims if c.references}
    assert cited == SEED_CITATIONS


def test_marker_after_a_full_stop_belongs_to_the_sentence_before(seed):
    quotes = [c.quote for c in seed.claims]
    # "...abilities.(5) However, more studies are needed...": (5) cites the first sentence.
    five = next(c for c in seed.claims if c.references == [5])
    assert five.quote.endswith("recovery of motor and cognitive abilities.")
    assert not any(q.startswith("However, more studies are needed") for q in quotes)
    # "...adverse events..(1)": one full stop kept.
    one = next(c for c in seed.claims if c.references == [1])
    assert one.quote.endswith("adverse events.")
    # "...memory. It promotes ... capabilities.(6)": only the second sentence cites 6.
    before = "The use of Cerebrolysin enhances neuroplasticity, which is crucial for learning and "
    assert next(c for c in seed.claims if c.quote.startswith(before)).references == []


def test_seed_quotes_follow_the_quote_rules(seed):
    quotes = [c.quote for c in seed.claims]
    assert len(quotes) >= 30
    assert len(set(quotes)) == len(quotes)
    for quote in quotes:
        assert quote == quote.strip()
        assert "  " not in quote
        assert "\u00a0" not in quote
        assert not re.search(r"\(\d{1,3}(?:[,-]\d{1,3})*\)", quote), quote
        assert not quote.startswith(("\u2022", "-", "*")), quote
        assert not re.match(r"\d+\. ", quote), quote
    # Bullet items: glyph gone, "Label: text" kept, non-breaking space collapsed.
    assert "Stroke: 20-50 ml for 21 days" in quotes
    assert (
        "Delivery Method: While most nootropics are available in oral form, Cerebrolysin requires "
        "injection, making it less convenient but potentially more bioavailable."
    ) in quotes
    # Numbered list items lose their number.
    assert any(q.startswith("Alzheimer\u2019s Disease: Cerebrolysin has shown") for q in quotes)
    # Typos stay as written.
    assert any(q.startswith("Cerebrolynsin is known for") for q in quotes)


def test_seed_claims_are_in_document_order(seed):
    positions = [c.position for c in seed.claims]
    assert positions == sorted(positions)
    assert len(set(positions)) == len(positions)
    text = " ".join(SEED_TEXT.read_text(encoding="utf-8").split())
    offsets = [text.find(c.quote[:40]) for c in seed.claims]
    assert -1 not in offsets
    assert offsets == sorted(offsets)


def test_seed_non_claims_are_not_proposed(seed):
    quotes = {c.quote for c in seed.claims}
    not_claims = [
        "What is Cerebrolysin?",  # heading
        "Pros:",  # lead-in
        "Headache",  # a side effect's name, not a statement
        "This article will delve into all the multifaceted aspects of Cerebrolysin, exploring "
        "its efficacy in treating brain injuries, neuroprotective properties, and the potential "
        "it has to support improved cognition.",  # the article about itself
        "If you experience any of these severe side effects, discontinue use and seek medical "
        "help immediately.",  # advice
        "as they may interact adversely and lead to severe side effects.",  # a stray fragment
        "The exact mechanism of action of Cerebrolysin is unclear",  # states an unknown
        "Sleep disturbances: Administer in the morning rather than evening",  # advice
        *SEED_CONFLICTS,
    ]
    for sentence in not_claims:
        assert sentence not in quotes
    assert not any("Jacob Kovacs" in q for q in quotes)  # the author's bio
    assert not any("Lang, Wilfried" in q for q in quotes)  # the reference list
    assert not any(q.startswith("NootropicMechanism") for q in quotes)  # the flattened table


def test_seed_conflicts_of_interest_are_the_vendor_sentences(seed):
    assert [(c.text, c.kind) for c in seed.conflicts_of_interest] == [
        (text, "sells") for text in SEED_CONFLICTS
    ]


def test_seed_suggested_kinds(seed):
    kinds = {c.quote: c.kind for c in seed.claims}
    assert kinds["Stroke: 20-50 ml for 21 days"] == "dosing"
    assert kinds["Mild (affecting 5-15% of users):"] == "safety"
    assert kinds[next(q for q, r in SEED_CITATIONS.items() if r == [1])] == "safety"
    assert kinds[next(q for q, r in SEED_CITATIONS.items() if r == [3])] == "benefit"
    assert (
        kinds[
            "Cerebrolysin works by enhancing the brain\u2019s repair mechanisms and protecting "
            "brain cells from further injury."
        ]
        == "mechanism"
    )
    clinical = next(q for q in kinds if q.startswith("Clinical Recognition:"))
    assert kinds[clinical] == "regulatory"
    assert set(kinds.values()) <= {
        "benefit",
        "safety",
        "mechanism",
        "dosing",
        "regulatory",
        "other",
    }


def test_a_heading_or_lead_in_that_states_a_rate_is_a_claim(seed):
    quotes = {c.quote: c for c in seed.claims}
    assert quotes["Severe Side Effects (Rare, <1% of users)"].kind == "safety"
    assert "Moderate (affecting 1-5% of users):" in quotes
    assert "Common Side Effects (Mild to Moderate)" not in quotes


def test_every_curated_quote_is_extracted(seed):
    # The editor's grading file is keyed by the quotes this module produces.
    curated = [
        appearance["quote"]
        for entry in json.loads(GRADING.read_text("utf-8"))["claims"]
        for appearance in entry["appearances"]
    ]
    assert curated
    assert set(curated) <= {c.quote for c in seed.claims}


def test_seed_raises_no_citation_warnings(seed):
    assert not any("marker" in w or "never cited" in w for w in seed.warnings)


def test_claim_extraction_precision_and_recall_on_the_seed(seed):
    expected = [
        line for line in EXPECTED_CLAIMS.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    proposed = [c.quote for c in seed.claims]
    correct = set(expected) & set(proposed)
    recall = len(correct) / len(expected)
    precision = len(correct) / len(proposed)
    assert recall >= MIN_RECALL, sorted(set(expected) - set(proposed))
    assert precision >= MIN_PRECISION, sorted(set(proposed) - set(expected))


def test_expected_claims_file_is_made_of_the_seeds_sentences():
    # Guards the measurement itself: every expected quote must occur in the article.
    text = " ".join(SEED_TEXT.read_text(encoding="utf-8").split())
    text = re.sub(r"\(\d\)", "", text.replace("..(1)", "."))  # markers; one stop of "..(1)"
    for line in EXPECTED_CLAIMS.read_text(encoding="utf-8").splitlines():
        assert line in text, line


# --------------------------------------------------------------------------------------------
# The same article as HTML


def test_seed_html_gives_the_same_claims_references_and_conflicts(seed, seed_html):
    assert [c.quote for c in seed_html.claims] == [c.quote for c in seed.claims]
    assert [c.references for c in seed_html.claims] == [c.references for c in seed.claims]
    assert [(r.number, r.doi) for r in seed_html.references] == [
        (r.number, r.doi) for r in seed.references
    ]
    assert [c.text for c in seed_html.conflicts_of_interest] == [
        c.text for c in seed.conflicts_of_interest
    ]
    # The HTML makes the vendor's name a rel="sponsored" link: the markup says more than words.
    assert [c.kind for c in seed_html.conflicts_of_interest] == ["sponsored"] + ["sells"] * 3
    assert (seed_html.title, seed_html.author, seed_html.publisher) == (
        seed.title,
        seed.author,
        seed.publisher,
    )


def test_seed_html_reference_links_and_text(seed_html):
    third = seed_html.references[2]
    assert third.url == "https://doi.org/10.2147/NDT.S186865"
    assert third.doi == "10.2147/ndt.s186865"
    # The linked DOI stays part of the reference's text.
    assert third.text.endswith("doi:10.2147/NDT.S186865")


def test_seed_html_skips_navigation_and_tables(seed_html):
    quotes = [c.quote for c in seed_html.claims]
    assert "\u00ab" not in " ".join(quotes)
    assert not any(q.startswith("Cumulative effects") or q == "1-4 weeks" for q in quotes)
    assert "Cerebrolysin | Neurotrophic" not in seed_html.text
    assert "Jacob Kovacs is a cognitive neuroscientist" in seed_html.text


# --------------------------------------------------------------------------------------------
# Other article shapes (constructed)

BRACKETED = """<!DOCTYPE html><html><head><title>Examplamine | Example Health</title>
<meta name="author" content="Ann Writer">
<meta property="og:site_name" content="Example Health">
<meta property="article:published_time" content="2024-03-05T10:00:00Z"></head><body>
<h1>Examplamine: what the studies say</h1>
<p>Examplamine improves short-term memory in adults [1]. It also reduces fatigue within two
weeks [2, 3]. Dosing studies used 10 mg daily[1-3].</p>
<p>Examplamine is well tolerated by most users<sup>4</sup>.</p>
<h2>References</h2>
<ol>
<li><a href="https://doi.org/10.5555/example.0001">Trial of examplamine in adults</a>.
Constructed J. 2020;1:1-9.</li>
<li>A second constructed study. https://pubmed.ncbi.nlm.nih.gov/990000001/</li>
<li>A third constructed study, <a href="https://pubmed.ncbi.nlm.nih.gov/990000002/">PubMed</a>.
</li>
<li>A constructed review without identifiers. Constructed Reviews 2021;3:1-9.</li>
</ol></body></html>"""


def test_bracketed_markers_with_a_linked_reference_list():
    article = extract_article(BRACKETED)
    assert article.title == "Examplamine: what the studies say"
    assert (article.author, article.publisher) == ("Ann Writer", "Example Health")
    assert article.published.isoformat() == "2024-03-05"
    assert [(r.number, r.doi, r.pmid) for r in article.references] == [
        (1, "10.5555/example.0001", None),
        (2, None, "990000001"),
        (3, None, "990000002"),
        (4, None, None),
    ]
    assert article.references[0].url == "https://doi.org/10.5555/example.0001"
    assert (
        article.references[0].text == "Trial of examplamine in adults. Constructed J. 2020;1:1-9."
    )
    assert [(c.quote, c.references) for c in article.claims] == [
        ("Examplamine improves short-term memory in adults.", [1]),
        ("It also reduces fatigue within two weeks.", [2, 3]),
        ("Dosing studies used 10 mg daily.", [1, 2, 3]),
        ("Examplamine is well tolerated by most users.", [4]),
    ]
    assert any("Reference 4 has no DOI or PMID" in w for w in article.warnings)


INLINE_LINKS = """<article><h1>Examplamine for focus</h1>
<p>A <a href="https://pubmed.ncbi.nlm.nih.gov/990000003/">2019 randomised trial</a> found that
examplamine improves focus in students. Another study
(<a href="https://doi.org/10.5555/example.0002">doi:10.5555/example.0002</a>) reported better
sleep. Examplamine also shortens reaction times (https://doi.org/10.5555/example.0003). A later
<a href="https://www.ncbi.nlm.nih.gov/pubmed/990000003">follow-up</a> confirmed the focus
effect.</p></article>"""


def test_inline_pubmed_and_doi_links_without_a_reference_list():
    article = extract_article(INLINE_LINKS)
    assert [(r.number, r.doi, r.pmid) for r in article.references] == [
        (1, None, "990000003"),
        (2, "10.5555/example.0002", None),
        (3, "10.5555/example.0003", None),
    ]
    assert article.references[0].text == "2019 randomised trial"
    assert [(c.quote, c.references) for c in article.claims] == [
        ("A 2019 randomised trial found that examplamine improves focus in students.", [1]),
        ("Another study reported better sleep.", [2]),
        ("Examplamine also shortens reaction times.", [3]),
        # The same PMID through another PubMed address is the same reference.
        ("A later follow-up confirmed the focus effect.", [1]),
    ]
    assert not any("reference list" in w for w in article.warnings)


def test_plain_text_marker_styles():
    text = (
        "Examplamine improves memory (1,3). It lowers anxiety in adults(2-4). It also helps "
        "sleep.\u00b9 Dr. Smith found e.g. better mood [5]. A dose of 5 m\u00b2 is odd.\n\n"
        "References\n"
        "1. One. doi:10.5555/one\n2. Two. PMID: 990000002\n3. Three. doi:10.5555/three\n"
        "4. Four. doi:10.5555/four\n5. Five. https://pubmed.ncbi.nlm.nih.gov/990000005/\n"
    )
    article = extract_article(text)
    assert [(c.quote, c.references) for c in article.claims if c.references] == [
        ("Examplamine improves memory.", [1, 3]),
        ("It lowers anxiety in adults.", [2, 3, 4]),
        ("It also helps sleep.", [1]),
        ("Dr. Smith found e.g. better mood.", [5]),
    ]
    assert [r.pmid for r in article.references] == [None, "990000002", None, None, "990000005"]


# --------------------------------------------------------------------------------------------
# Bad input


def test_markers_without_a_matching_reference_are_reported_and_dropped():
    text = (
        "Examplamine improves memory (1). It lowers anxiety (7).\n\n"
        "References\n1. One. doi:10.5555/one\n"
    )
    article = extract_article(text)
    assert [c.references for c in article.claims] == [[1], []]
    assert any("marker 7 has no matching entry" in w for w in article.warnings)


def test_a_reference_list_without_markers_is_reported():
    text = "Examplamine improves memory.\n\nReferences\n1. One. doi:10.5555/one\n2. Two.\n"
    article = extract_article(text)
    assert [c.quote for c in article.claims] == ["Examplamine improves memory."]
    assert any("no citation markers" in w for w in article.warnings)


def test_no_references_at_all_is_reported():
    article = extract_article("Examplamine improves memory in adults.")
    assert [c.quote for c in article.claims] == ["Examplamine improves memory in adults."]
    assert any("No reference list and no citations" in w for w in article.warnings)


def test_duplicated_markers_and_duplicated_reference_numbers_are_reported():
    text = (
        "Examplamine improves memory (1)(1). It lowers anxiety [2, 2].\n\nReferences\n"
        "1. One. doi:10.5555/one\n2. Two. doi:10.5555/two\n2. Two again. doi:10.5555/two-again\n"
    )
    article = extract_article(text)
    assert [c.references for c in article.claims] == [[1], [2]]
    assert sum("cited twice in one sentence" in w for w in article.warnings) == 2
    assert any("numbers two entries 2" in w for w in article.warnings)
    assert [r.doi for r in article.references] == ["10.5555/one", "10.5555/two"]


def test_uncited_references_are_reported():
    text = (
        "Examplamine improves memory (1).\n\n"
        "References\n1. One. doi:10.5555/one\n2. Two. doi:10.5555/two\n"
    )
    article = extract_article(text)
    assert any("never cited" in w and "2" in w for w in article.warnings)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "empty"),
        (b"   \n\t ", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("Examplamine am\u00e9liore la m\u00e9moire.".encode("latin-1"), "not UTF-8"),
        (b"A" * (MAX_BYTES + 1), "too large"),
        ("A" * (MAX_BYTES + 1), "too large"),
        (b"<html><body><script>alert(1)</script></body></html>", "No readable text"),
    ],
)
def test_unreadable_input_raises_a_clear_error(data, message):
    with pytest.raises(ArticleError, match=message):
        extract_article(data)


HOSTILE = """<html><head><script>alert("Examplamine cures everything.")</script>
<style>p { color: red }</style><meta http-equiv="refresh" content="0;url=https://evil.example/">
</head><body onload="steal()">
<h1 onclick="steal()">Examplamine</h1>
<p onmouseover="steal()">Examplamine improves memory [1].<img src="x" onerror="alert(1)">
Read the <a href="javascript:alert(1)">full study</a> and buy it
<a href="data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">here</a>.</p>
<iframe src="https://evil.example/"></iframe>
<p>&lt;b onmouseover="steal()"&gt;Examplamine&lt;/b&gt; reduces stress.</p>
<h2>References</h2><ol><li><a href="https://doi.org/10.5555/example.0009">A study</a></li></ol>
</body></html>"""


def test_scripts_and_event_handlers_never_reach_any_output():
    article = extract_article(HOSTILE)
    output = [*all_strings(article_to_json(article)), article.text, article.title]
    for text in output:
        lowered = text.lower()
        for bad in ("script", "alert", "javascript:", "onerror", "onclick", "steal", "iframe"):
            assert bad not in lowered, (bad, text)
    for text in [*output, *article.warnings]:
        assert "<" not in text, text
    assert [(c.quote, c.references) for c in article.claims] == [
        ("Examplamine improves memory.", [1]),
        # Tag-shaped text (escaped in the HTML) is dropped too: no output holds markup.
        ("Examplamine reduces stress.", []),
    ]
    warning = next(w for w in article.warnings if w.startswith("Removed from the HTML"))
    assert "1 script element" in warning
    assert "1 iframe element" in warning
    assert "2 link(s) to javascript or data addresses" in warning
    assert "onclick" in warning
    assert "onerror" in warning


def test_sanitise_html_keeps_text_and_safe_links_only():
    cleaned = sanitise_html(
        '<p onclick="x()">Hi <a href="javascript:x()">a</a> <a href="https://doi.org/10.5555/1">'
        "b</a></p><script>x()</script>"
    )
    assert cleaned == '<p>Hi <a>a</a> <a href="https://doi.org/10.5555/1">b</a></p>'


def test_text_input_with_tags_is_treated_as_html_and_cleaned():
    article = extract_article("Examplamine improves memory.<script>alert(1)</script>", fmt="auto")
    assert [c.quote for c in article.claims] == ["Examplamine improves memory."]
    forced = extract_article("Examplamine <b>improves</b> memory <i>a lot</i>.", fmt="text")
    assert [c.quote for c in forced.claims] == ["Examplamine improves memory a lot."]


def test_affiliate_links_are_conflicts_of_interest():
    article = extract_article(
        '<p>Examplamine improves memory. Our readers like <a href="https://shop.example.com/'
        'examplamine?aff=42">this one</a>. Get it <a href="https://shop.example.com/x" '
        'rel="sponsored">from Example Shop</a>.</p>'
    )
    assert [(c.text, c.kind) for c in article.conflicts_of_interest] == [
        ("Our readers like this one.", "affiliate"),
        ("Get it from Example Shop.", "sponsored"),
    ]
    assert [c.quote for c in article.claims] == ["Examplamine improves memory."]


# --------------------------------------------------------------------------------------------
# Fetching and JSON


class FakeResponse:
    def __init__(self, body: bytes, content_type: str = "text/html; charset=utf-8"):
        self.body = body
        self.headers = {"Content-Type": content_type}

    def read(self, n=-1):
        return self.body if n < 0 else self.body[:n]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_extract_from_url_uses_the_opener_and_keeps_the_url():
    seen = {}

    def opener(request, timeout):
        seen["url"], seen["timeout"] = request.full_url, timeout
        return FakeResponse(BRACKETED.encode("utf-8"))

    article = extract_from_url("https://health.example.com/examplamine", opener=opener)
    assert seen == {"url": "https://health.example.com/examplamine", "timeout": 10}
    assert article.url == "https://health.example.com/examplamine"
    assert len(article.claims) == 4


def test_fetch_fails_fast_with_a_clear_message_when_offline():
    def offline(request, timeout):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    with pytest.raises(ArticleError, match=r"Could not fetch .* paste the article"):
        fetch_url("https://health.example.com/x", opener=offline)


@pytest.mark.parametrize(
    ("url", "response", "message"),
    [
        ("file:///etc/passwd", None, "Not a web address"),
        ("javascript:alert(1)", None, "Not a web address"),
        ("https://e.example/x.png", FakeResponse(b"\x89PNG", "image/png"), "not a web page"),
        ("https://e.example/big", FakeResponse(b"a" * (MAX_BYTES + 1)), "too large"),
    ],
)
def test_fetch_refuses_what_is_not_a_page(url, response, message):
    with pytest.raises(ArticleError, match=message):
        fetch_url(url, opener=lambda request, timeout: response)


def test_article_to_json_shape(seed):
    data = article_to_json(seed)
    assert json.loads(json.dumps(data)) == data
    assert set(data) == {"source", "references", "claims"}
    assert set(data["source"]) == {
        "title", "url", "author", "published", "publisher", "conflicts_of_interest"
    }  # fmt: skip
    assert data["source"]["url"] is None
    assert (data["source"]["author"], data["source"]["publisher"]) == (
        "Jacob Kovacs",
        "WholisticResearch",
    )
    assert data["source"]["published"] is None
    assert data["source"]["conflicts_of_interest"] == [
        {"text": text, "kind": "sells"} for text in SEED_CONFLICTS
    ]
    assert data["references"][0] == {
        "number": 1,
        "text": seed.references[0].text,
        "doi": "10.1111/j.1747-4949.2012.00901.x",
        "pmid": None,
        "pmcid": None,
        "study": None,
    }
    assert all(
        set(r) == {"number", "text", "doi", "pmid", "pmcid", "study"} for r in data["references"]
    )
    assert all(set(c) == {"quote", "references", "kind"} for c in data["claims"])
    assert {c["quote"]: c["references"] for c in data["claims"] if c["references"]} == (
        SEED_CITATIONS
    )
    pubmed = article_to_json(extract_article(BRACKETED))
    assert pubmed["references"][1]["pmid"] == "990000001"


# --------------------------------------------------------------------------------------------
# Saving (kb.services.articles) and the import_article command


@pytest.fixture
def cerebrolysin(db):
    return Compound.objects.create(name="Cerebrolysin", slug="cerebrolysin")


def test_save_article_stores_source_references_claims_and_citations(cerebrolysin, seed):
    result = save_article(seed, compound=cerebrolysin)
    source = result.source
    assert (source.title, source.author, source.publisher, source.url) == (
        seed.title,
        "Jacob Kovacs",
        "WholisticResearch",
        None,
    )
    assert [(c.text, c.kind) for c in source.conflicts.all()] == [
        (text, "sells") for text in SEED_CONFLICTS
    ]
    assert "adverse events..(1)" in source.text
    assert result.claims_created == len(seed.claims) == Claim.objects.count()
    assert len(result.appearances) == len(seed.claims) == Appearance.objects.count()
    assert set(Claim.objects.values_list("status", flat=True)) == {"draft"}
    # Nothing to attach to: each sentence is a new claim whose statement is the sentence.
    assert [(a.quote, a.claim.statement) for a in result.appearances] == [
        (c.quote, c.quote) for c in seed.claims
    ]
    assert Reference.objects.filter(source=source).count() == 9
    assert Reference.objects.get(source=source, number=3).doi == "10.2147/ndt.s186865"
    cited = {
        c.appearance.quote: [c.reference.number]
        for c in Citation.objects.select_related("appearance", "reference")
    }
    assert cited == SEED_CITATIONS
    dosing = Claim.objects.get(statement="Stroke: 20-50 ml for 21 days")
    assert dosing.kind == "dosing"
    assert dosing.compound == cerebrolysin


def test_save_article_twice_changes_nothing(cerebrolysin, seed):
    first = save_article(seed, compound=cerebrolysin)
    claim = Claim.objects.get(appearances__quote=next(iter(SEED_CITATIONS)))
    claim.kind = "benefit"  # an editor's correction must survive a re-import
    claim.save()
    models = (Source, Reference, Claim, Appearance, Citation, Evidence)
    counts = [m.objects.count() for m in models]
    again = save_article(seed, compound=cerebrolysin)
    assert again.source == first.source
    assert (again.claims_created, again.claims_existing) == (0, len(seed.claims))
    assert [m.objects.count() for m in models] == counts
    claim.refresh_from_db()
    assert claim.kind == "benefit"


def test_cited_references_link_to_stored_studies_as_unweighed_evidence(cerebrolysin, seed):
    study = Study.objects.create(
        title="Effects of cerebrolysin on functional outcome", doi="10.2147/ndt.s186865"
    )
    result = save_article(seed, compound=cerebrolysin)
    assert 3 not in result.unresolved
    assert Reference.objects.get(number=3).study == study
    evidence = Evidence.objects.get()
    assert evidence.study == study
    assert evidence.claim.statement == next(q for q, r in SEED_CITATIONS.items() if r == [3])
    assert (evidence.cited_by_source, evidence.stance) == (True, None)
    save_article(seed, compound=cerebrolysin)
    assert Evidence.objects.count() == 1


def test_save_article_is_all_or_nothing(cerebrolysin, seed):
    seen = []

    def keep(quote):
        seen.append(quote)
        if len(seen) == 20:
            raise RuntimeError("interrupted")
        return True

    with pytest.raises(RuntimeError):
        save_article(seed, compound=cerebrolysin, keep=keep)
    assert (Source.objects.count(), Reference.objects.count(), Claim.objects.count()) == (0, 0, 0)


def test_save_article_keeps_only_what_keep_accepts(cerebrolysin, seed):
    wanted = set(SEED_CITATIONS)
    result = save_article(seed, compound=cerebrolysin, keep=wanted.__contains__)
    assert {a.quote for a in result.appearances} == wanted
    assert Citation.objects.count() == 9


def test_command_json_prints_one_document_and_saves_nothing_without_a_compound(db, capsys):
    call_command("import_article", str(SEED_TEXT), "--json")
    out, err = capsys.readouterr()
    expected = article_to_json(extract_article(SEED_TEXT.read_bytes()))
    for claim in expected["claims"]:
        claim["matches"] = []  # no compound, nothing to match against
    assert json.loads(out) == expected
    assert "Nothing saved" in err
    assert Source.objects.count() == 0


def test_command_saves_with_a_compound(cerebrolysin, capsys):
    call_command("import_article", str(SEED_HTML), "--compound", "Cerebrolysin")
    out, err = capsys.readouterr()
    assert "References (9):" in out
    assert "new draft claims" in err
    assert Claim.objects.filter(compound=cerebrolysin).count() == len(
        extract_article(SEED_HTML.read_bytes()).claims
    )
    call_command("import_article", str(SEED_HTML), "--compound", "cerebrolysin", "--dry-run")
    assert Source.objects.count() == 1


def test_command_reports_bad_input_clearly(cerebrolysin, tmp_path):
    binary = tmp_path / "page.png"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(CommandError, match="binary"):
        call_command("import_article", str(binary), "--compound", "cerebrolysin")
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_article", str(tmp_path / "missing.html"))
    with pytest.raises(CommandError, match="No compound 'piracetam'"):
        call_command("import_article", str(SEED_TEXT), "--compound", "piracetam")
    assert Source.objects.count() == 0


def test_a_sources_heading_over_an_ordinary_list_is_not_a_reference_list():
    text = (
        "Sources of examplamine\n"
        "  \u2022 Examplamine is extracted from constructed beans and improves memory\n"
        "  \u2022 Synthetic examplamine reduces fatigue\n\n"
        "Examplamine improves focus (1).\n\n"
        "References\n1. One. doi:10.5555/one\n"
    )
    article = extract_article(text)
    assert [r.number for r in article.references] == [1]
    assert [(c.quote, c.references) for c in article.claims] == [
        ("Examplamine is extracted from constructed beans and improves memory", []),
        ("Synthetic examplamine reduces fatigue", []),
        ("Examplamine improves focus.", [1]),
    ]


def test_hard_wrapped_text_and_cited_sales_sentences():
    text = (
        "Examplamine improves memory in healthy\n"
        "adults within two weeks (1). Buy it at our shop for $20, it is\n"
        "the best-tested brand (1).\n\n"
        "References\n1. One. doi:10.5555/one\n"
    )
    article = extract_article(text)
    assert [(c.quote, c.references) for c in article.claims] == [
        ("Examplamine improves memory in healthy adults within two weeks.", [1]),
        ("Buy it at our shop for $20, it is the best-tested brand.", [1]),
    ]
    assert [(c.text, c.kind) for c in article.conflicts_of_interest] == [
        ("Buy it at our shop for $20, it is the best-tested brand.", "sells")
    ]


LONG_RUNS = {
    "abbreviations": lambda n: "<p>" + "Dr. a. " * n + "</p>",
    "markers": lambda n: "Examplamine x(1) " * n,
    "identifiers": lambda n: "".join(f"It helps https://doi.org/10.5555/x{i}. " for i in range(n)),
}


@pytest.mark.parametrize("shape", LONG_RUNS)
def test_long_runs_stay_linear(shape):
    # Each of these took minutes when a loop re-scanned the text from the sentence start. Four
    # times the text may take about four times the work, never sixteen: compared in this
    # process's CPU time (best of two), so a busy machine does not change the verdict.
    def cpu_seconds(text: str) -> float:
        best = float("inf")
        for _ in range(2):
            started = time.process_time()
            extract_article(text)
            best = min(best, time.process_time() - started)
        return best

    small, large = (cpu_seconds(LONG_RUNS[shape](n)) for n in (2_000, 8_000))
    assert large < 8 * small, f"{shape}: {small:.3f}s -> {large:.3f}s for 4x the text"
