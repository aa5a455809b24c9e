"""The site around the claims: the public changelog of verdict changes (/changes/) and its Atom
feeds, the home page's recent changes and warnings, sitemap.xml and robots.txt. On the
Cerebrolysin demo (fixtures/); the verdict change is made through the editors' service."""

import xml.etree.ElementTree as ET

import pytest

from kb.models import Claim, Compound
from kb.services import claims as claim_services
from kb.vocabulary import ClaimStatus, Flag

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
REASON = "Constructed for a test: the rules read the trials too kindly"


@pytest.fixture
def changed(demo, editor):
    """A published demo claim whose verdict an editor overrode and published again, with a
    public reason (it is on record from the demo's first publication)."""
    claim = Claim.objects.filter(status=ClaimStatus.PUBLISHED, verdict="probably_supported")[0]
    claim = claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason="Constructed: first."
    )
    claim = claim_services.override_verdict(
        claim_id=claim.pk,
        version=claim.version,
        user=editor,
        verdict="possibly_supported",
        rationale="Constructed: the override's own rationale.",
    )
    return claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason=REASON
    )


def test_the_changelog_lists_the_change_with_its_reason(client, changed):
    response = client.get("/changes/")
    assert response.status_code == 200
    text = response.text
    assert f'href="{changed.get_absolute_url()}"' in text
    assert "Probably supported → <strong>Possibly supported</strong>" in text
    assert REASON in text
    # Per compound too, and not under another compound.
    own = client.get(f"/compounds/{changed.compound.slug}/changes/")
    assert REASON in own.text
    other = Compound.objects.create(name="Constructed other", slug="constructed-other")
    assert REASON not in client.get(f"/compounds/{other.slug}/changes/").text


def test_the_atom_feeds_carry_the_change(client, changed):
    for url in ("/changes/feed/", f"/compounds/{changed.compound.slug}/changes/feed/"):
        response = client.get(url)
        assert response["Content-Type"].startswith("application/atom+xml")
        feed = ET.fromstring(response.content)
        entries = feed.findall(f"{ATOM}entry")
        assert len(entries) == 1
        (entry,) = entries
        assert entry.find(f"{ATOM}title").text.startswith("Probably supported → Possibly")
        link = entry.find(f"{ATOM}link").get("href")
        assert link == f"http://testserver{changed.get_absolute_url()}"
        assert REASON in entry.find(f"{ATOM}summary").text
    assert client.get("/compounds/no-such-compound/changes/feed/").status_code == 404


def test_pages_announce_the_feed_and_the_compound_its_json(client, changed):
    compound_page = client.get(changed.compound.get_absolute_url()).text
    assert '<link rel="alternate" type="application/atom+xml"' in compound_page
    assert f'type="application/json" title="{changed.compound.name} as JSON" href="/api/' in (
        compound_page
    )
    assert 'href="/changes/feed/"' in client.get("/").text


def test_home_shows_recent_changes_and_the_claims_the_evidence_goes_against(client, changed):
    text = client.get("/").text
    recent = text[text.index("Recent verdict changes") :]
    assert f'href="{changed.get_absolute_url()}"' in recent
    warnings = text[text.index("goes against or shows harm") : text.index("Recent verdict")]
    against = Claim.objects.published().filter(verdict="probably_not_supported").first()
    harmful = Claim.objects.published().filter(flags__contains=[Flag.HARM_SIGNAL]).first()
    assert f'href="{against.get_absolute_url()}"' in warnings
    assert f'href="{harmful.get_absolute_url()}"' in warnings
    draft = Claim.objects.filter(status=ClaimStatus.DRAFT).first()
    if draft:
        assert f'href="{draft.get_absolute_url()}"' not in text


def test_sitemap_lists_published_claims_only_and_robots_points_to_it(client, demo):
    draft = Claim.objects.filter(status=ClaimStatus.PUBLISHED).last()
    draft.status = ClaimStatus.DRAFT
    draft.published = None  # a draft has no public state (as the unpublish service leaves it)
    draft.save()
    sitemap = ET.fromstring(client.get("/sitemap.xml").content)
    urls = {loc.text for loc in sitemap.iter(f"{SITEMAP}loc")}
    published = Claim.objects.published()
    assert {f"http://testserver{c.get_absolute_url()}" for c in published} <= urls
    assert f"http://testserver{draft.get_absolute_url()}" not in urls
    assert "http://testserver/changes/" in urls
    robots = client.get("/robots.txt")
    assert robots["Content-Type"].startswith("text/plain")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text
    assert "Disallow: /editor/" in robots.text
