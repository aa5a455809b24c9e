"""Cacheable public pages: the content version drives ETag/Last-Modified (conditional GETs answer
304), the key of the server-side page cache (invalidated exactly by publishing or a study
change), and anonymous pages vary on nothing they do not use. A stored page is answered before
the session, auth and CSRF middleware, with the headers and a fresh CSP nonce of its own.

Real data: the Cerebrolysin demo and PubMed's recorded record of PMID 20412080
(tests/data/pubmed). The cache is on here (tests/conftest.py turns it off elsewhere).
"""

import re

import pytest
from django.core.cache import cache
from django.core.cache.backends.redis import RedisCache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from editor_support import PUBMED_DATA
from test_serving import redis_url  # noqa: F401  (the fixture: a real redis-server)

from kb import page_cache
from kb.services import claims as claim_services
from studies import content_version
from studies.formats import parse_file
from studies.importer import import_records

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def page_cache_on(settings):
    settings.PUBLIC_PAGE_CACHE = True
    cache.clear()


def vary(response) -> set[str]:
    return {part.strip().lower() for part in response.headers.get("Vary", "").split(",") if part}


def get_counting(client, url, **headers):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, headers=headers)
    return response, len(queries)


def published_claim(demo):
    return demo.compound.claims.published().order_by("pk").first()


def nonces(response) -> tuple[str, set[str]]:
    """The CSP header's nonce and the nonces the page's tags carry."""
    header = re.search(
        r"script-src [^;]*'nonce-([^']+)'", response.headers["Content-Security-Policy"]
    )
    return header.group(1) if header else "", set(re.findall(r'nonce="([^"]*)"', response.text))


def without_nonces(response) -> str:
    return re.sub(r'nonce="[^"]*"', "", response.text)


def test_a_conditional_get_that_still_matches_is_answered_304(client, demo):
    url = published_claim(demo).get_absolute_url()
    first = client.get(url)
    assert first.status_code == 200
    etag, modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert "public" in first.headers["Cache-Control"]
    assert "no-cache" in first.headers["Cache-Control"]
    again, queries = get_counting(client, url, if_none_match=etag)
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    assert queries == 1  # the content version, nothing else
    assert client.get(url, headers={"if_modified_since": modified}).status_code == 304
    # Another page, or the same page's htmx fragment, has another ETag.
    other = client.get(demo.compound.get_absolute_url())
    assert other.headers["ETag"] != etag


def test_the_second_anonymous_request_is_served_from_the_cache(client, demo):
    url = demo.compound.get_absolute_url()
    first, rendering = get_counting(client, url)
    second, cached = get_counting(client, url)
    assert second.status_code == 200
    assert without_nonces(second) == without_nonces(first)
    assert rendering > 5
    assert cached == 1
    # The htmx fragment is a different entry: the page and the fragment never mix.
    headers = {"HX-Request": "true", "HX-Target": "claim-list"}
    fragment = client.get(url, headers=headers)
    assert "<html" not in fragment.text
    assert "<html" in client.get(url).text
    assert "hx-request" in vary(fragment)
    # A 304 says what the page varies on, as its 200 did.
    not_modified = client.get(url, headers={"if_none_match": first.headers["ETag"]})
    assert not_modified.status_code == 304
    assert vary(not_modified) == vary(first)


def test_publishing_invalidates_exactly_the_pages_cached_before(client, demo, editor):
    claim = published_claim(demo)
    url = demo.compound.get_absolute_url()
    before = client.get(url)
    assert claim.statement in before.text
    version = content_version.current().number
    claim_services.unpublish(claim_id=claim.pk, version=claim.version, user=editor)
    assert content_version.current().number == version + 1
    after, queries = get_counting(client, url)
    assert queries > 1, "rendered again, not served from the cache"
    assert after.headers["ETag"] != before.headers["ETag"]
    assert claim.statement not in after.text
    # The old ETag no longer matches: the browser gets the new page.
    assert client.get(url, headers={"if_none_match": before.headers["ETag"]}).status_code == 200
    claim.refresh_from_db()
    claim_services.publish(
        claim_id=claim.pk, version=claim.version, user=editor, reason="Checked again"
    )
    assert claim.statement in client.get(url).text


def test_a_study_change_bumps_the_version_and_an_unchanged_import_does_not():
    path = PUBMED_DATA / "eutils_efetch_20412080.xml"
    version = content_version.current().number
    with path.open("rb") as handle:
        assert import_records(parse_file(handle, name=path.name)).created == 1
    assert content_version.current().number == version + 1
    with path.open("rb") as handle:
        assert import_records(parse_file(handle, name=path.name)).unchanged == 1
    assert content_version.current().number == version + 1


def test_anonymous_pages_vary_on_no_cookie_and_signed_in_pages_are_never_shared(
    client, demo, editor
):
    url = demo.compound.get_absolute_url()
    for response in (client.get(url), client.get(url)):  # rendered, then from the cache
        assert "cookie" not in vary(response)
        assert not response.cookies
    client.force_login(editor)
    signed_in = client.get(url)
    assert "cookie" in vary(signed_in)
    assert "ETag" not in signed_in.headers
    assert "public" not in signed_in.headers.get("Cache-Control", "")
    assert '"X-CSRFToken": "' in signed_in.text  # the editor's page, not the cached one


def test_with_redis_every_app_server_shares_the_cached_pages(client, demo, settings, redis_url):  # noqa: F811
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": redis_url}
    }
    url = demo.compound.get_absolute_url()
    page = client.get(url)
    version = content_version.current().number
    key = page_cache._request_key(page.wsgi_request)
    another_server = RedisCache(redis_url, {})
    stored = another_server.get(f"page:{version}:{key}")
    assert stored is not None
    assert stored["content"] == page.content
    _, queries = get_counting(client, url)
    assert queries == 1


def test_a_stored_page_is_served_with_the_rendered_pages_headers_and_no_session(client, demo):
    url = published_claim(demo).get_absolute_url()
    rendered = client.get(url)
    stored, queries = get_counting(client, url)
    assert queries == 1  # the content version
    assert without_nonces(stored) == without_nonces(rendered)
    per_response = {"Content-Security-Policy"}  # its nonce (next test)
    assert {k: v for k, v in stored.headers.items() if k not in per_response} == {
        k: v for k, v in rendered.headers.items() if k not in per_response
    }
    for response in (rendered, stored):
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert int(response.headers["Content-Length"]) == len(response.content)
        assert not response.cookies
    # An address that is not a public page reads no content version.
    _, health_queries = get_counting(client, "/healthz")
    assert health_queries == 1


def test_every_copy_of_a_stored_page_gets_a_fresh_nonce_in_its_scripts_and_header(client, demo):
    url = demo.compound.get_absolute_url()
    seen = set()
    for _ in range(3):  # rendered, then twice from the cache
        response = client.get(url)
        header, in_page = nonces(response)
        assert header, "the CSP header allows the page's scripts by nonce"
        assert in_page == {header}, "the page's scripts carry the header's nonce, no other"
        seen.add(header)
    assert len(seen) == 3, "no nonce is served twice"
    # A 304 sends no CSP header: the browser keeps the one that matches its copy's scripts.
    etag = response.headers["ETag"]
    not_modified = client.get(url, headers={"if_none_match": etag})
    assert not_modified.status_code == 304
    assert "Content-Security-Policy" not in not_modified.headers
    assert not_modified.headers["X-Frame-Options"] == "DENY"


def test_visitors_with_a_session_or_a_message_waiting_get_the_view_not_the_stored_page(
    client, demo, editor
):
    url = demo.compound.get_absolute_url()
    anonymous = client.get(url)
    client.cookies["messages"] = "a message waiting"
    with_message, queries = get_counting(client, url)
    assert queries > 1, "rendered, not served from the cache"
    assert "ETag" not in with_message.headers
    del client.cookies["messages"]
    client.force_login(editor)
    signed_in = client.get(url, headers={"if_none_match": anonymous.headers["ETag"]})
    assert signed_in.status_code == 200
    assert '"X-CSRFToken": "' in signed_in.text
