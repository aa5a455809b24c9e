"""Hostile text in what machines read (issue 15): the Atom feeds, the sitemap, API v1 and the
claim page's JSON-LD carry a claim's statement and an editor's public reason as text, never as
markup: each document parses, holds no element of the payload's, and gives the text back exactly
as it was written. The claim is constructed for this test."""

import json
import re
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from kb.services import claims as claim_services

pytestmark = pytest.mark.django_db

PAYLOAD = (
    '"><script>alert("kb-xss")</script><img src=x onerror=alert(1)>'
    " ]]> &amp; <![CDATA[x]]> \u202eevil\u200b kb-xss"
)
MARKUP = {"script", "img", "svg", "iframe", "a", "b"}


@pytest.fixture
def published(make_compound, make_claim, editor):
    compound = make_compound(name="Hostilin", slug="hostilin")
    claim = make_claim(
        compound,
        statement=f"Hostilin improves recall {PAYLOAD}",
        status="draft",
        graded_at=timezone.now(),
    )
    claim = claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason="First published."
    )
    # The changelog lists verdict changes: the editor overrides the verdict and publishes again.
    claim = claim_services.override_verdict(
        claim_id=claim.pk,
        version=claim.version,
        user=editor,
        verdict="contradicted",
        rationale=PAYLOAD,
    )
    return claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason=f"Checked {PAYLOAD}"
    )


def _xml(client, url) -> ElementTree.Element:
    response = client.get(url)
    assert response.status_code == 200, url
    root = ElementTree.fromstring(response.content)  # well formed: nothing broke out
    local_names = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert not local_names & MARKUP, (url, local_names & MARKUP)
    return root


@pytest.mark.parametrize("url", ["/changes/feed/", "/compounds/hostilin/changes/feed/"])
def test_the_feeds_carry_statement_and_reason_as_text(client, published, url):
    text = "".join(_xml(client, url).itertext())
    assert PAYLOAD[:100] in text  # the title carries the statement's first 120 characters
    assert f"Checked {PAYLOAD}" in text


def test_the_sitemap_parses_and_lists_the_claim(client, published):
    locations = [e.text for e in _xml(client, "/sitemap.xml").iter() if e.tag.endswith("loc")]
    assert any(loc.endswith(published.get_absolute_url()) for loc in locations)


def test_api_v1_and_json_ld_give_the_statement_back_exactly(client, published):
    detail = client.get(f"/api/v1/claims/{published.pk}").json()
    assert detail["statement"] == published.statement
    page = client.get(published.get_absolute_url()).text
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page, re.S)
    assert len(blocks) == 1
    assert "<" not in blocks[0]  # escaped for <script>: the block cannot end early
    assert json.loads(blocks[0])["claimReviewed"] == published.statement
