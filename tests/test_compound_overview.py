"""The compound page's first screen answers what the evidence says: per topic, verdicts and
certainty in words with the best study; harms apart; an evidence matrix drawn as SVG with the
same numbers as a table; downloads near the top. On the Cerebrolysin demo (fixtures/)."""

import re
from html.parser import HTMLParser

import pytest

from kb.models import Claim, Compound
from kb.vocabulary import ClaimStatus, Flag
from studies.models import Study

pytestmark = pytest.mark.django_db

COCHRANE_STROKE = "10.1002/14651858.cd007026.pub7"


@pytest.fixture
def page(client, demo):
    compound = Compound.objects.get(slug="cerebrolysin")
    response = client.get(compound.get_absolute_url())
    assert response.status_code == 200
    return response


def test_the_first_screen_comes_before_the_full_list_and_downloads_before_both(page):
    text = page.text
    order = [
        text.index('id="downloads"'),
        text.index("What the evidence says"),
        text.index("Harms and safety"),
        text.index("Evidence matrix"),
        text.index("All claims ("),
    ]
    assert order == sorted(order)


def _topic_card(html, name):
    start = html.index(f">{name}</a></h3>")
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html[start : html.index("</li>", start)]))


def test_each_topic_says_its_verdicts_in_words_and_its_best_study(page):
    stroke = Claim.objects.filter(
        topic__slug="acute-ischaemic-stroke", status=ClaimStatus.PUBLISHED
    )
    card = _topic_card(page.text, "Acute ischaemic stroke")
    assert card.startswith(f">Acute ischaemic stroke {stroke.count()} claims: ")
    contradicted_claims = stroke.filter(verdict="probably_not_supported").count()
    assert f"{contradicted_claims} probably not supported (moderate certainty)" in card
    assert "Unproven" not in card  # the two kinds of unproven are told apart
    cochrane = Study.objects.get(doi=COCHRANE_STROKE)
    assert f"Best study: {cochrane.first_author_label} {cochrane.year}, systematic review" in card
    assert f'href="{cochrane.get_absolute_url()}"' in page.text


def test_harms_have_their_own_section_and_a_borne_out_warning_is_not_good_news(page):
    section = page.text[page.text.index("Harms and safety") : page.text.index("Evidence matrix")]
    harmful = Claim.objects.filter(status=ClaimStatus.PUBLISHED, flags__contains=[Flag.HARM_SIGNAL])
    safety = Claim.objects.filter(status=ClaimStatus.PUBLISHED, kind="safety")
    for claim in harmful.union(safety):
        assert f'href="{claim.get_absolute_url()}"' in section, claim.statement
    warning = Claim.objects.get(
        statement__startswith="Cerebrolysin does not reduce the risk of death"
    )
    assert warning.verdict == "probably_supported"
    badge = re.search(
        rf'href="{warning.get_absolute_url()}">[^<]*</a> <span class="badge ([^"]*)">([^<]*)<',
        section,
    )
    assert "tone-harm" in badge.group(1)
    assert "tone-good" not in badge.group(1)
    assert badge.group(2) == "Probably supported: warning borne out"


class _Svg(HTMLParser):
    def __init__(self):
        super().__init__()
        self.circles, self.title, self.desc, self.cells, self._tag = [], "", "", [], None

    def handle_starttag(self, tag, attrs):
        self._tag = tag
        if tag == "circle":
            self.circles.append(dict(attrs))

    def handle_data(self, data):
        if self._tag == "title":
            self.title += data
        elif self._tag == "desc":
            self.desc += data
        elif self._tag == "td" and "claim" in data:
            self.cells.append(data)

    def handle_endtag(self, tag):
        self._tag = None


def test_the_evidence_matrix_is_an_accessible_svg_with_the_same_data_as_a_table(page):
    matrix = page.text[page.text.index('<figure class="matrix">') : page.text.index("</table>")]
    svg = _Svg()
    svg.feed(matrix)
    assert svg.title == "Evidence matrix for Cerebrolysin"
    assert "One row per topic" in svg.desc
    assert 'role="img" aria-labelledby="matrix-title matrix-desc"' in matrix
    # One mark per non-empty cell, and the claim counts add up to every published claim.
    assert len(svg.circles) == len(svg.cells) > 5
    claims_in_table = sum(int(cell.split(" claim")[0]) for cell in svg.cells)
    assert claims_in_table == Claim.objects.filter(status=ClaimStatus.PUBLISHED).count()
    # More studies, bigger mark.
    sized = sorted(
        (int(cell.split(", ")[1].split(" ")[0]), float(circle["r"]))
        for cell, circle in zip(svg.cells, svg.circles, strict=True)
    )
    assert [r for _, r in sized] == sorted(r for _, r in sized)


def test_the_first_screen_costs_the_same_queries_whatever_the_number_of_claims(
    client, demo, django_assert_max_num_queries
):
    compound = Compound.objects.get(slug="cerebrolysin")
    with django_assert_max_num_queries(14) as before:
        client.get(compound.get_absolute_url())
    claim = Claim.objects.filter(compound=compound, status=ClaimStatus.PUBLISHED).first()
    for n in range(5):
        claim.pk = None
        claim.statement = f"Constructed copy {n} of a demo claim for counting queries"
        claim.published = None  # a copy has no evidence: the original's published rows are not its
        claim.save()
    with django_assert_max_num_queries(len(before.captured_queries)):
        client.get(compound.get_absolute_url())
