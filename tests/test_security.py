"""Security regressions, over every address the project serves (walked from the URL resolver, so
a new page is covered the day it is added):

1. Nobody but an editor changes anything: anonymous visitors (even holding a valid CSRF token)
   and researchers are refused every write on every URL, for every HTTP method, and no row of
   any table changes (every table is fingerprinted before and after each request).
2. CSRF: no URL takes a POST without the token; the token htmx sends in a header is accepted.
3. Stored XSS: hostile text imported from PubMed, Crossref or an article, and hostile stored
   URLs, are escaped (or, for links, not linked) on every page that shows them.
4. Open redirects: no `next` (or similar) parameter sends anyone off-site.
5. Sizes and fetching: size limits answer with a clear message; the article fetcher refuses
   the server's own network in every spelling.
6. Response headers: CSP with a nonce, framing refused, no sniffing, referrer policy, cookies.

tests/test_editor_permissions.py already checks the workbench URLs with valid data for each
role; this file covers everything generically, including the public, account and admin URLs.
"""

import http.server
import re
import socket
import threading
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.core.files import uploadhandler
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django_tasks_db.models import DBTaskResult
from editor_support import PASSWORD
from responses import text
from test_editor_permissions import (  # the workbench's writes with valid data
    ARTICLE_WRITE_COUNT,
    WRITE_COUNT,
    article_writes,
    writes,
)
from test_editor_permissions import graded_draft as graded_draft  # their claim (a fixture)

from kb.articles import MAX_BYTES, ArticleError, fetch_url, web
from kb.editor import pending as pending_store
from kb.models import Citation, Claim, Compound, Evidence, Reference, Source, SourceConflict, Topic
from kb.services import claims, grades
from studies.crossref_json import parse_crossref_json
from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Job, Study

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
CONSTRUCTED = Path(__file__).resolve().parent / "data" / "constructed"
HTMX = {"HTTP_HX_REQUEST": "true"}
EVIL = "https://evil.example/steal"

# ---------------------------------------------------------------------------------------------
# Every URL the project serves


@dataclass(frozen=True)
class Route:
    name: str | None  # "namespace:name"; None for the admin's unnamed patterns
    route: str  # the pattern as written, prefixes included
    keys: tuple[str, ...]  # named parameters
    positional: int  # unnamed regex groups (django-simple-history's admin URL)


def _walk(patterns, prefix="", namespace=None):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            inner = namespace
            if pattern.namespace:
                inner = f"{namespace}:{pattern.namespace}" if namespace else pattern.namespace
            yield from _walk(pattern.url_patterns, prefix + str(pattern.pattern), inner)
        elif isinstance(pattern, URLPattern):
            regex = pattern.pattern.regex
            name = None
            if pattern.name:
                name = f"{namespace}:{pattern.name}" if namespace else pattern.name
            if isinstance(pattern.pattern, RegexPattern):
                keys = tuple(regex.groupindex)
            else:
                keys = tuple(pattern.pattern.converters)
            positional = regex.groups - len(regex.groupindex)
            yield Route(name, prefix + str(pattern.pattern), keys, positional)


ROUTES = list(_walk(get_resolver().url_patterns))


def _route_id(route: Route) -> str:
    return route.name or route.route


# Forms anyone may post to: signing in and out, and resetting a forgotten password (the emailed
# token is the proof). They may answer 200 or redirect anywhere on the site; they still must
# not change anything for the requests made here (no valid credentials, no valid token).
ACCOUNT_FORMS = {
    "login",
    "logout",
    "password_change",  # a signed-in user's own password; refused without the old one
    "password_reset",
    "password_reset_confirm",
    "admin:login",
    "admin:logout",
}
LOGIN_PATHS = {"/accounts/login/", "/admin/login/"}
UNSAFE = ("post", "put", "patch", "delete")
SAFE = ("get", "head", "options")


@dataclass
class World:
    """One row (at least) in every table a URL can address, and who to act as."""

    compound: Compound
    claim: Claim
    evidence: Evidence
    study: Study
    other_study: Study
    source: Source
    researcher: object
    other_claim: Claim
    job: Job

    def admin_object(self, model):
        obj = model._default_manager.order_by("pk").first()
        assert obj is not None, f"the world has no {model._meta.label} for the admin URLs"
        return obj

    def admin_model(self, name: str):
        """The admin-registered model a URL name such as "admin:kb_claim_change" is about."""
        for model in admin.site._registry:
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}_"
            if name.startswith(prefix):
                return model
        raise LookupError(name)

    def value(self, name: str, key: str):
        if key == "slug":
            return self.compound.slug
        if key == "pk":
            if name in ("editor:job", "editor:job-retry"):
                return self.job.pk
            if name in ("study", "study-cite", "editor:refetch-study"):
                return self.study.pk
            if name == "source":
                return self.source.pk
            return self.claim.pk  # the claim pages, its history and every workbench URL
        if key == "evidence_pk":
            return self.evidence.pk
        if key == "claim_id":  # API v1
            return self.claim.pk
        if key == "study_id":
            return self.study.pk
        if key == "source_id":
            return self.source.pk
        if key == "name" and name == "data-file":
            return "evidence-kb-20260101T000000Z.jsonl.gz"  # no such dump: a 404
        if key == "appearance_pk":
            return self.claim.appearances.get().pk
        if key == "index":
            return 0
        if key == "fmt":
            return "ris"
        if key == "uidb64":
            return urlsafe_base64_encode(force_bytes(self.researcher.pk))
        if key == "token":
            return "bogus-token"  # a valid one is the emailed proof of identity
        if key == "app_label":
            return "kb"
        if key == "content_type_id":
            return ContentType.objects.get_for_model(Claim).pk
        if key == "object_id" and name == "admin:view_on_site":
            return self.claim.pk
        if key in ("object_id", "id"):
            return self.admin_object(self.admin_model(name)).pk
        raise LookupError(f"{name}: no value for <{key}>; teach World.value about it")

    def url(self, route: Route) -> str:
        if route.name and route.positional:
            # django-simple-history's "what did this version look like": object, history row.
            obj = self.admin_object(self.admin_model(route.name))
            return reverse(route.name, args=[obj.pk, obj.history.first().history_id])
        if route.name:
            kwargs = {key: self.value(route.name, key) for key in route.keys}
            return reverse(route.name, kwargs=kwargs)
        if route.keys == ("object_id",):  # the admin's /admin/<app>/<model>/<pk>/ redirect
            app_label, model_name = route.route.split("/")[1:3]
            obj = self.admin_object(apps.get_model(app_label, model_name))
            return "/" + route.route.replace("<path:object_id>", str(obj.pk))
        if route.keys == ("url",):  # the admin's catch-all
            return "/admin/kb/no-such-page/"
        raise LookupError(f"{route.route}: teach World.url about this pattern")

    def damage(self) -> dict:
        """POST data that changes something at every write URL, for whoever may write there:
        a refusal is then the only reason nothing changes."""
        prefix = f"ev{self.evidence.pk}"
        # Integer keys only: one UUID (the task queue's) among them breaks every other
        # changelist's bulk delete before any permission is checked.
        keys = {self.admin_object(model).pk for model in admin.site._registry}
        pks = sorted({str(pk) for pk in keys if isinstance(pk, int)})
        return {
            # The workbench.
            "version": self.claim.version,
            "statement": "Changed by the security matrix.",
            # The sentence forms: judge it overstated, move it to the other claim.
            "overstated": "True",
            "to_claim": self.other_claim.pk,
            "kind": "benefit",
            "study": self.other_study.pk,
            "verdict": "unproven",
            "rationale": "Changed by the security matrix.",
            "imprecision": "serious",
            "large_effect": "0",
            f"{prefix}-version": self.claim.version,
            f"{prefix}-stance": "no_effect",
            # The article import.
            "text": "Testolin improves recall in healthy adults (1).\n\nReferences\n"
            "1. A constructed trial of Testolin. doi:10.5555/testolin.0001\n",
            "fmt": "auto",
            "compound": self.compound.pk,
            "c0-quote": "Changed by the security matrix.",
            "c0-kind": "benefit",
            # Background jobs.
            "identifiers": "23121403",
            # The admin: change forms, delete confirmations and the changelists' bulk delete.
            "name": "Changed",
            "slug": "changed",
            "title": "Changed",
            "quote": "Changed.",
            "post": "yes",
            "action": "delete_selected",
            "_selected_action": pks,
            "index": "0",
            # Accounts.
            "email": self.researcher.email,
            "new_password1": "a new constructed password 77",
            "new_password2": "a new constructed password 77",
        }


@pytest.fixture
def world(graded_draft, researcher) -> World:
    """The workbench's draft claim, published, with a source, a reference and a citation."""
    claim = Claim.objects.get(pk=graded_draft.pk)
    claim.status = "published"
    claim.save()
    appearance = claim.appearances.select_related("source").get()
    source = appearance.source
    source.url = "https://vendor.example/testolin"
    source.save()
    evidence = claim.evidence.get()
    reference = Reference.objects.create(
        source=source, number=1, text="A constructed trial.", study=evidence.study
    )
    Citation.objects.create(appearance=appearance, reference=reference)
    researcher.email = "rhea@example.org"
    researcher.save()
    claim.topic = Topic.objects.create(name="Memory", slug="memory", keywords=["recall"])
    claim.save()
    other_claim = Claim.objects.create(
        compound=claim.compound, statement="Testolin lifts mood.", status="published"
    )
    # A failed job (a retry would run it again), and a task queued in the database backend's
    # table (an administrator's view of the queue).
    job = Job.objects.create(kind=Job.Kind.BULK_FETCH, status=Job.Status.FAILED, params={})
    DBTaskResult.objects.create(
        args_kwargs={"args": [job.pk], "kwargs": {}},
        task_path="studies.tasks.bulk_fetch",
        backend_name="default",
        run_after=timezone.now(),
        exception_class_path="",
        traceback="",
    )
    return World(
        job=job,
        other_claim=other_claim,
        compound=claim.compound,
        claim=Claim.objects.get(pk=claim.pk),
        evidence=evidence,
        study=evidence.study,
        other_study=Study.objects.get(design="systematic_review"),
        source=source,
        researcher=researcher,
    )


def fingerprint() -> dict[str, tuple[int, str]]:
    """Every table's row count and a digest of its contents (PostgreSQL)."""
    tables = sorted({m._meta.db_table for m in apps.get_models(include_auto_created=True)})
    quote = connection.ops.quote_name
    select = "SELECT %s, count(*), md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
    # Table names come from the model registry, quoted; nothing here comes from a request.
    sql = " UNION ALL ".join(f"{select} FROM {quote(table)} t" for table in tables)
    with connection.cursor() as cursor:
        cursor.execute(sql, tables)
        return {table: (count, digest) for table, count, digest in cursor.fetchall()}


def changed_tables(before: dict, after: dict) -> set[str]:
    return {table for table in before if before[table] != after[table]}


def csrf_client(user=None) -> tuple[Client, str]:
    """A client that enforces CSRF checks like a browser, and a valid token for it."""
    client = Client(enforce_csrf_checks=True)
    if user is not None:
        client.force_login(user)
    client.get(reverse("login"))  # the sign-in form sets the CSRF cookie
    return client, client.cookies[settings.CSRF_COOKIE_NAME].value


def send(client, method: str, url: str, data: dict, token: str | None = None):
    headers = {"HTTP_X_CSRFTOKEN": token} if token else {}
    if token:
        data = {**data, "csrfmiddlewaretoken": token}
    if method in SAFE:
        return getattr(client, method)(url, **headers)
    if method == "post":
        return client.post(url, data, **headers)
    # PUT, PATCH and DELETE with a form body, as a script would send them.
    body = urlencode(data, doseq=True)
    return getattr(client, method)(
        url, body, content_type="application/x-www-form-urlencoded", **headers
    )


def refused(response) -> bool:
    if response.status_code in (403, 405):
        return True
    if response.status_code == 302:
        return urlsplit(response["Location"]).path in LOGIN_PATHS
    return False


# Logging out ends the caller's own session: the one change a signed-in request may make there.
OWN_SESSION_ENDS = {"logout"}


@pytest.mark.parametrize("role", ["anonymous", "researcher"])
@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_nobody_but_an_editor_changes_anything_at_any_url(world, role, route):
    user = world.researcher if role == "researcher" else None
    client, token = csrf_client(user)
    url = world.url(route)
    failures = []
    for method in SAFE + UNSAFE:
        before = fingerprint()
        response = send(client, method, url, world.damage(), token)
        changed = changed_tables(before, fingerprint())
        if role == "researcher" and method == "post" and route.name in OWN_SESSION_ENDS:
            changed -= {"django_session"}
            client.force_login(world.researcher)
        if changed:
            failures.append(f"{method.upper()} {url} changed {sorted(changed)}")
        if response.status_code >= 500:
            failures.append(f"{method.upper()} {url} answered {response.status_code}")
        if method in UNSAFE and route.name not in ACCOUNT_FORMS and not refused(response):
            failures.append(f"{method.upper()} {url} was not refused: {response.status_code}")
    assert not failures, "\n".join(failures)


def test_the_matrix_reaches_every_url_and_its_data_does_damage(world, admin_user, editor):
    """The URL walk found the project's pages, and the same requests made by those who may
    write do change rows: the matrix above would notice a missing permission check."""
    names = {route.name for route in ROUTES}
    assert {"home", "search", "claims-csv", "editor:publish", "login", "admin:index"} <= names
    assert any(route.name and route.name.startswith("admin:kb_claim_") for route in ROUTES)
    damage = world.damage()
    cases = [
        (editor, "editor:update-claim", {"kb_claim", "kb_historicalclaim"}),
        (editor, "editor:article-preview", {"django_session"}),
        (admin_user, "admin:kb_compound_change", {"kb_compound", "kb_historicalcompound"}),
        (admin_user, "admin:kb_citation_changelist", {"kb_citation"}),
    ]
    for user, name, tables in cases:
        client, token = csrf_client(user)
        route = next(route for route in ROUTES if route.name == name)
        before = fingerprint()
        response = send(client, "post", world.url(route), damage, token)
        assert response.status_code == 302, (name, response.status_code)
        assert tables <= changed_tables(before, fingerprint()), name


# ---------------------------------------------------------------------------------------------
# 2. CSRF


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_no_url_takes_a_post_without_the_csrf_token(world, admin_user, route):
    """Not even from an administrator, who may do everything: no view is csrf_exempt."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get(reverse("login"))  # a CSRF cookie, but no token in the request
    before = fingerprint()
    response = client.post(world.url(route), world.damage(), **HTMX)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert not changed_tables(before, fingerprint())


def _page_token(client, url) -> str:
    page = client.get(url)
    found = re.search(r'hx-headers=\'\{"X-CSRFToken": "([^"]+)"\}\'', page.text)
    assert found, f"{url} carries the CSRF token for htmx"
    return found.group(1)


@pytest.mark.parametrize("index", range(WRITE_COUNT))
def test_the_htmx_csrf_header_is_accepted_for_every_workbench_write(editor, graded_draft, index):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    token = _page_token(client, reverse("editor:claim", args=[graded_draft.pk]))
    url, data = writes(graded_draft)[index]
    assert client.post(url, data, **HTMX).status_code == 403
    assert Claim.objects.get(pk=graded_draft.pk).version == graded_draft.version
    response = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Claim.objects.get(pk=graded_draft.pk).version == graded_draft.version + 1


@pytest.mark.parametrize("index", range(ARTICLE_WRITE_COUNT))
def test_the_htmx_csrf_header_is_accepted_for_every_article_import_write(
    editor, graded_draft, index
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    token = _page_token(client, reverse("editor:article-import"))
    preview_url, preview_data = article_writes(graded_draft)[0]
    assert client.post(preview_url, preview_data, HTTP_X_CSRFTOKEN=token).status_code == 302
    preview = client.session[pending_store.SESSION_KEY]["token"]
    url, data = article_writes(graded_draft, preview)[index]
    session_before = dict(client.session)
    refused_response = client.post(url, data, **HTMX)
    assert refused_response.status_code == 403
    assert dict(client.session) == session_before
    response = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code in (200, 302)
    assert "no longer open" not in client.get(reverse("editor:article-review")).text


# ---------------------------------------------------------------------------------------------
# 3. Stored XSS

HOSTILE = (
    '"><script>alert("kb-xss")</script><img src=x onerror=alert("kb-xss")>'
    '<a href="javascript:alert(1)">kb-xss</a>'
)
JAVASCRIPT_URL = 'javascript:alert("kb-xss")//'
URL_ATTRIBUTES = {"href", "src", "action", "formaction", "hx-get", "hx-post", "hx-push-url"}


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, {name: value or "" for name, value in attrs}))


def _parsed(html: str) -> list[tuple[str, dict]]:
    parser = _Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def assert_nothing_injected(html: str, where: str, *, admin_page: bool = False) -> None:
    """No tag or attribute on the page came from stored text, and no link runs script."""
    for tag, attrs in _parsed(html):
        if tag == "script" and attrs.get("type") == "application/ld+json":
            # A data block (ClaimReview, ScholarlyArticle) that browsers never run; text that
            # broke out of it would show up here as tags of its own.
            continue
        if tag == "script":
            # The site's own scripts only: files, and for pages the CSP nonce.
            assert attrs.get("src"), f"{where}: inline <script>"
            assert admin_page or attrs.get("nonce"), f"{where}: script without the nonce"
        if not admin_page:
            assert tag not in ("img", "iframe", "object", "embed"), f"{where}: <{tag}>"
            # The site's own drawings (the evidence matrix) name themselves for screen readers.
            assert tag != "svg" or attrs.get("aria-labelledby") == "matrix-title matrix-desc", (
                f"{where}: <svg> not drawn by the site"
            )
        for name, value in attrs.items():
            assert not name.startswith("on"), f"{where}: <{tag} {name}=...>"
            if name in URL_ATTRIBUTES:
                scheme = urlsplit(re.sub(r"[\s\x00-\x1f]", "", value)).scheme.lower()
                allowed = {"", "http", "https"} | ({"data"} if tag == "link" else set())
                assert scheme in allowed, f"{where}: <{tag} {name}={value!r}>"
    assert "kb-xss" in html, f"{where} does not show the hostile text at all"


def _import(path: Path, parser) -> Study:
    with path.open("rb") as handle:
        result = import_records(parser(handle, path.name))
    assert result.created == 1
    return Study.objects.order_by("-pk").first()


@pytest.fixture
def hostile(make_compound, make_claim, editor, admin_user) -> dict:
    """A published claim whose every imported and stored text is hostile, with studies from
    constructed PubMed and Crossref records carrying escaped markup in title and abstract."""
    compound = make_compound(name=f"Hostilin {HOSTILE}", slug="hostilin")
    source = Source.objects.create(
        title=f"Hostilin shop {HOSTILE}",
        publisher=HOSTILE,
        author=HOSTILE,
        url=JAVASCRIPT_URL,
        text=HOSTILE,
    )
    SourceConflict.objects.create(source=source, text=HOSTILE, kind="affiliate")
    pubmed_study = _import(CONSTRUCTED / "pubmed_hostile_markup.xml", parse_file)
    crossref_study = _import(CONSTRUCTED / "crossref_hostile_markup.json", parse_crossref_json)
    claim = make_claim(
        compound,
        source=source,
        quote=f"Hostilin doubles recall {HOSTILE}",
        statement=f"Hostilin improves recall {HOSTILE}",
        population=HOSTILE,
        outcome=HOSTILE,
        imprecision="serious",
        imprecision_reason=HOSTILE,
        status="published",
    )
    for study in (pubmed_study, crossref_study):
        Evidence.objects.create(claim=claim, study=study, stance="supports", note=HOSTILE)
    for number, study in enumerate((pubmed_study, None), start=1):
        reference = Reference.objects.create(
            source=source, number=number, text=HOSTILE, url=JAVASCRIPT_URL, study=study
        )
        Citation.objects.create(appearance=claim.appearances.get(), reference=reference)
    claim = Claim.objects.get(pk=claim.pk)
    grades.regrade(claim, user=None, reason="Constructed hostile claim")
    claim = claims.override_verdict(
        claim_id=claim.pk,
        version=claim.version,
        user=editor,
        verdict="unproven",
        rationale=HOSTILE,
    )
    make_claim(compound, source=source, quote=f"Hostilin cures {HOSTILE}", status="draft")
    return {
        "claim": claim,
        "source": source,
        "studies": (pubmed_study, crossref_study),
        "reference": source.references.first(),
    }


def test_imported_markup_is_stored_as_text_and_escaped_on_every_public_page(client, hostile):
    pubmed_study, crossref_study = hostile["studies"]
    assert "<script>" in pubmed_study.title
    assert "<script>" in crossref_study.abstract
    pages = {
        "compound": reverse("compound", args=["hostilin"]),
        "claim": hostile["claim"].get_absolute_url(),
        "PubMed study": pubmed_study.get_absolute_url(),
        "Crossref study": crossref_study.get_absolute_url(),
        "source": hostile["source"].get_absolute_url(),
        "search": reverse("search") + "?q=Hostilin",
        "home": reverse("home"),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_nothing_injected(response.text, where)
    assert "&lt;script&gt;" in client.get(pages["claim"]).text


def test_imported_markup_is_escaped_on_every_editor_page(client, hostile, editor):
    client.force_login(editor)
    claim = hostile["claim"]
    pages = {
        "queue": reverse("editor:queue"),
        "workbench": reverse("editor:claim", args=[claim.pk]),
        "history": reverse("claim-history", args=[claim.pk]),
        "study search": reverse("editor:find-study", args=[claim.pk]) + "?q=Hostilin",
        "public claim page as editor": claim.get_absolute_url(),
    }
    for where, url in pages.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_nothing_injected(response.text, where)


def test_a_fetched_hostile_pubmed_record_is_escaped_before_it_is_stored(
    client, editor, draft_claim, pubmed_network
):
    client.force_login(editor)
    pubmed_network("../constructed/pubmed_hostile_markup.xml")
    url = reverse("editor:find-study", args=[draft_claim.pk]) + "?q=990000700"
    response = client.get(url)
    assert "Fetched, not yet stored" in response.text
    assert_nothing_injected(response.text, "fetched record")


def test_admin_pages_escape_stored_text_and_do_not_link_script_urls(client, hostile, admin_user):
    client.force_login(admin_user)
    source, reference = hostile["source"], hostile["reference"]
    for where, url in {
        "source change": reverse("admin:kb_source_change", args=[source.pk]),
        "reference change": reverse("admin:kb_reference_change", args=[reference.pk]),
        "claim changelist": reverse("admin:kb_claim_changelist"),
        "source history": reverse("admin:kb_source_history", args=[source.pk]),
    }.items():
        response = client.get(url)
        assert response.status_code == 200, where
        assert_nothing_injected(response.text, where, admin_page=True)


def test_a_stored_javascript_url_is_shown_but_never_linked(client, hostile):
    page = client.get(hostile["source"].get_absolute_url()).text
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', page))
    assert "javascript:alert(&quot;kb-xss&quot;)//" in page  # shown as text, for the editor


HOSTILE_ARTICLE = """<html><head><title>Hostilin &lt;img src=x onerror=alert("kb-xss")&gt;</title>
<meta property="og:url" content="javascript:alert('kb-xss')"></head><body>
<p>Hostilin improves recall in healthy adults &lt;script&gt;alert("kb-xss")&lt;/script&gt; (1).</p>
<p>Hostilin doubles focus in students "&gt;&lt;svg onload=alert("kb-xss")&gt; (2).</p>
<h2>References</h2><ol>
<li><a href="javascript:alert('kb-xss')">A constructed trial &lt;b onmouseover=x()&gt;</a>.</li>
<li>A constructed review. doi:10.5555/testolin.0001 &lt;img src=x onerror=alert(2)&gt;</li>
</ol></body></html>"""


def test_a_hostile_article_is_escaped_in_the_import_preview_and_after_saving(
    client, editor, make_compound
):
    compound = make_compound(name="Hostilin", slug="hostilin")
    client.force_login(editor)
    response = client.post(
        reverse("editor:article-preview"),
        {"text": HOSTILE_ARTICLE, "fmt": "auto", "compound": compound.pk},
    )
    assert response.status_code == 302
    preview = client.get(reverse("editor:article-review")).text
    assert "Hostilin improves recall in healthy adults" in preview
    # The extractor drops tag-shaped text; a preview that showed any would still escape it.
    assert not [tag for tag, _ in _parsed(preview) if tag in ("img", "svg", "b")]
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', preview))
    token = client.session[pending_store.SESSION_KEY]["token"]
    saved = client.post(reverse("editor:article-save"), {"token": token, "compound": compound.pk})
    assert saved.status_code == 302
    source = Source.objects.get()
    assert source.url is None  # og:url was a javascript: address
    assert all(not ref.url.startswith("javascript") for ref in source.references.all())
    for url in (saved["Location"], source.get_absolute_url()):
        page = client.get(url).text
        assert "Hostilin" in page
        assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', page))
        assert not [tag for tag, _ in _parsed(page) if tag in ("img", "svg", "b")]


def test_downloads_are_never_served_as_html(client, hostile):
    study = hostile["studies"][0]
    for url in (
        reverse("claims-csv", args=["hostilin"]),
        reverse("claims-json", args=["hostilin"]),
        reverse("api-compound", args=["hostilin"]),
        *(reverse("studies-cite", args=["hostilin", fmt]) for fmt in ("ris", "bib", "json")),
        *(reverse("study-cite", args=[study.pk, fmt]) for fmt in ("ris", "bib", "json")),
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "html" not in response["Content-Type"], url
        assert response["X-Content-Type-Options"] == "nosniff", url
        assert "kb-xss" in text(response), url


# Raw output of stored data: each would switch Django's escaping off.
UNESCAPING = re.compile(
    r"\|\s*safe\b|\|\s*safeseq\b|autoescape\s+off|mark_safe|SafeString|format_html|"
    r"html_safe|\{%\s*filter\s+safe|\|\s*json_script|\|\s*urlize"
)
# Not stored data: repository content (docs/grading.md), rendered and cleaned by nh3; and the
# search snippets' <mark>, which escapes every piece of the text through format_html (checked in
# tests/test_search_index.py::test_imported_markup_in_a_snippet_is_escaped); and JSON-LD and
# Highwire tags, whose imported text is escaped for <script> and attributes (checked on every
# page above by assert_nothing_injected with the payloads stored in every field).
TRUSTED_HTML = {"kb/methodology.py", "kb/templatetags/highlight.py", "kb/structured_data.py"}


def test_no_template_or_module_switches_escaping_off():
    files = [*(ROOT / "templates").rglob("*.html")]
    for package in ("kb", "studies"):
        files += [path for path in (ROOT / package).rglob("*") if path.suffix in (".py", ".html")]
    offenders = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in files
        if "migrations" not in path.parts and path.relative_to(ROOT).as_posix() not in TRUSTED_HTML
        for match in UNESCAPING.finditer(path.read_text(encoding="utf-8"))
    ]
    assert len(files) > 30
    assert offenders == []


# ---------------------------------------------------------------------------------------------
# 4. Open redirects

OFF_SITE = [
    EVIL,
    "//evil.example/steal",
    "/\\evil.example/steal",
    "\\\\evil.example\\steal",
    "https:evil.example",
    " https://evil.example/",
    "http://testserver@evil.example/",
    "javascript:alert(1)",
]


def on_site(location: str) -> bool:
    return url_has_allowed_host_and_scheme(location, {"testserver"}) and not re.match(
        r"\s*javascript:", location, re.I
    )


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_in_never_redirects_off_site(client, editor, target):
    page = client.get(reverse("login"), {"next": target}).text
    assert "evil.example" not in page
    assert "javascript:" not in page
    response = client.post(
        reverse("login"), {"username": editor.username, "password": PASSWORD, "next": target}
    )
    assert response.status_code == 302
    assert on_site(response["Location"]), response["Location"]
    assert response["Location"] == reverse("editor:queue")


@pytest.mark.parametrize("target", OFF_SITE)
def test_signing_out_and_the_admin_sign_in_never_redirect_off_site(client, admin_user, target):
    response = client.post(
        reverse("admin:login") + f"?next={target}",
        {"username": admin_user.username, "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert on_site(response["Location"]), response["Location"]
    response = client.post(reverse("logout"), {"next": target})
    assert response.status_code == 302
    assert on_site(response["Location"]), response["Location"]


REDIRECT_HEADERS = ("Location", "HX-Redirect", "HX-Location", "Refresh")


@pytest.mark.parametrize("route", ROUTES, ids=_route_id)
def test_no_url_redirects_off_site_whatever_next_says(world, admin_user, route, monkeypatch):
    """As an administrator (who reaches every view), with every redirect parameter name."""
    monkeypatch.setattr("kb.articles.web.open_public_page", _no_fetching)
    client = Client()
    client.force_login(admin_user)
    url = world.url(route)
    params = {"next": EVIL, "redirect_to": EVIL, "return_to": EVIL, "success_url": EVIL}
    data = {**world.damage(), **params}
    for response in (
        client.get(url, params),
        client.get(url, params, **HTMX),
        client.post(url + "?next=" + EVIL, data, **HTMX),
        client.post(url + "?next=" + EVIL, data),
    ):
        for header in REDIRECT_HEADERS:
            if header in response:
                assert on_site(response[header].split("url=")[-1]), (header, response[header])


def _no_fetching(request, timeout):
    raise AssertionError(f"fetched {request.full_url}")


# ---------------------------------------------------------------------------------------------
# 5. Sizes and fetching


def test_request_size_limits_are_set_and_fit_an_article():
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE is not None
    # A pasted article at the extractor's limit (kb.articles.MAX_BYTES) must reach the form,
    # which then explains the limit; much more is refused before any view runs.
    assert MAX_BYTES < settings.DATA_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.FILE_UPLOAD_MAX_MEMORY_SIZE <= 10 * 1024 * 1024
    assert settings.DATA_UPLOAD_MAX_NUMBER_FIELDS is not None
    assert settings.DATA_UPLOAD_MAX_NUMBER_FILES is not None


@pytest.fixture
def signed_in(client, editor):
    client.force_login(editor)
    return client


def _preview(client, compound, **fields):
    return client.post(
        reverse("editor:article-preview"), {"fmt": "auto", "compound": compound.pk, **fields}
    )


def test_a_pasted_article_over_the_limit_gets_a_clear_message(signed_in, make_compound):
    compound = make_compound()
    response = _preview(signed_in, compound, text="Testolin helps. " * (MAX_BYTES // 16 + 1))
    assert response.status_code == 400
    assert "The article is too large" in response.text
    assert f"the limit is {MAX_BYTES // 1024 // 1024} MB" in response.text
    assert pending_store.SESSION_KEY not in signed_in.session


def test_a_paste_larger_than_any_request_may_be_gets_a_clear_message(signed_in, make_compound):
    compound = make_compound()
    size = settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1024
    response = _preview(signed_in, compound, text="Testolin helps. " * (size // 16))
    assert response.status_code == 400
    assert "too large" in response.text
    assert f"{MAX_BYTES // 1024 // 1024} MB" in response.text
    assert pending_store.SESSION_KEY not in signed_in.session


def test_an_uploaded_file_over_the_limit_gets_a_clear_message(signed_in, make_compound):
    compound = make_compound()
    upload = SimpleUploadedFile("page.html", b"<p>Testolin helps.</p>" * (MAX_BYTES // 20))
    assert upload.size > MAX_BYTES
    response = _preview(signed_in, compound, text="", file=upload)
    assert response.status_code == 400
    assert "The file is too large" in response.text
    assert f"the limit is {MAX_BYTES // 1024 // 1024} MB" in response.text
    assert pending_store.SESSION_KEY not in signed_in.session


@pytest.fixture
def capped_uploads(settings, monkeypatch) -> list[str]:
    """Uploads through kb.uploads.RequestSizeLimit, as production is to have them
    (FILE_UPLOAD_HANDLERS); returns the names of the files Django began writing to disk."""
    settings.FILE_UPLOAD_HANDLERS = [
        "kb.uploads.RequestSizeLimit",
        "django.core.files.uploadhandler.MemoryFileUploadHandler",
        "django.core.files.uploadhandler.TemporaryFileUploadHandler",
    ]
    written = []
    temporary = uploadhandler.TemporaryFileUploadHandler
    new_file = temporary.new_file

    def recording(self, field_name, file_name, *args, **kwargs):
        written.append(file_name)
        return new_file(self, field_name, file_name, *args, **kwargs)

    monkeypatch.setattr(temporary, "new_file", recording)
    return written


def test_an_anonymous_upload_of_any_size_is_refused_before_it_is_read(capped_uploads, db):
    """CsrfViewMiddleware reads the body before refusing; without the cap a made-up CSRF
    cookie was enough to have the server store a file of any size."""
    client = Client(enforce_csrf_checks=True)
    client.cookies[settings.CSRF_COOKIE_NAME] = "a" * 32  # made up, well-formed
    big = SimpleUploadedFile("big.bin", b"x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = client.post(reverse("editor:article-preview"), {"file": big})
    assert response.status_code == 400
    assert "too large" in response.text
    assert capped_uploads == []


def test_an_editors_upload_over_the_request_cap_gets_a_clear_message(
    capped_uploads, signed_in, make_compound
):
    upload = SimpleUploadedFile("page.html", b"a" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1))
    response = _preview(signed_in, make_compound(), text="", file=upload)
    assert response.status_code == 400
    assert "too large" in response.text
    assert f"at most {MAX_BYTES // 1024 // 1024} MB" in response.text
    assert capped_uploads == []
    assert pending_store.SESSION_KEY not in signed_in.session


def test_uploads_under_the_cap_still_reach_the_form(capped_uploads, signed_in, make_compound):
    compound = make_compound()
    article = SimpleUploadedFile(
        "page.txt",
        b"Testolin improves recall in healthy adults (1).\n\nReferences\n"
        b"1. A constructed trial of Testolin. doi:10.5555/testolin.0001\n",
    )
    assert _preview(signed_in, compound, text="", file=article).status_code == 302
    over_article_limit = SimpleUploadedFile("page.html", b"a" * (MAX_BYTES + 1))
    response = _preview(signed_in, compound, text="", file=over_article_limit)
    assert response.status_code == 400
    assert "The file is too large" in response.text


# Loopback, private, link-local (cloud metadata) and unspecified addresses, in the spellings
# that resolve to them; tests/test_editor_articles.py has the plain 127.0.0.1, localhost,
# [::1] and 10.0.0.1. The form already refuses the odd spellings of 127.0.0.1 as invalid URLs;
# a redirect to them is checked below.
PRIVATE_SPELLINGS = [
    "http://LOCALHOST./",
    "http://127.1/",
    "http://2130706433/",
    "http://0x7f000001/",
    "http://0.0.0.0:8000/",
    "http://[::ffff:127.0.0.1]/",
    "http://[0:0:0:0:0:0:0:1]:8000/admin/",
    "http://169.254.169.254/latest/meta-data/",
    "https://192.168.1.1/",
    "http://user:pass@127.0.0.1:8000/",
]


@pytest.mark.parametrize("url", PRIVATE_SPELLINGS)
def test_the_article_fetch_refuses_the_servers_own_network(
    signed_in, make_compound, url, monkeypatch
):
    opened = []
    monkeypatch.setattr(web._OPENER, "open", lambda *a, **k: opened.append(a))
    response = _preview(signed_in, make_compound(), text="", url=url)
    assert response.status_code == 400
    assert "not a public web address" in response.text or "Enter a valid URL" in response.text
    assert opened == []
    assert pending_store.SESSION_KEY not in signed_in.session


@pytest.mark.parametrize(
    "target",
    [
        "http://localhost:8000/admin/",
        "http://127.1/",
        "http://2130706433/",
        "http://0x7f000001/",
        "http://[::1]/",
        "http://[::ffff:169.254.169.254]/",
        "file:///etc/passwd",
    ],
)
def test_a_redirect_to_the_servers_own_network_is_refused(target):
    handlers = [type(handler) for handler in web._OPENER.handlers]
    assert web._PublicRedirects in handlers
    request = urllib.request.Request("https://public.example/page")
    with pytest.raises(ArticleError):
        web._PublicRedirects().redirect_request(request, None, 302, "Found", {}, target)


# ---------------------------------------------------------------------------------------------
# 6. Response headers


def _assert_hardened(response, where: str) -> None:
    policy = response["Content-Security-Policy"]
    assert re.search(r"script-src 'self' 'nonce-[^']+'", policy), where
    assert "unsafe-inline" not in policy, where
    assert "unsafe-eval" not in policy, where
    assert "frame-ancestors 'none'" in policy, where
    assert "object-src 'none'" in policy, where
    assert "base-uri 'none'" in policy, where
    assert response["X-Frame-Options"] == "DENY", where
    assert response["X-Content-Type-Options"] == "nosniff", where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["Cross-Origin-Opener-Policy"] == "same-origin", where


def test_public_and_editor_pages_carry_the_security_headers(client, world, editor):
    _assert_hardened(client.get(world.claim.get_absolute_url()), "public claim page")
    _assert_hardened(client.get(reverse("compound", args=[world.compound.slug])), "compound")
    client.force_login(editor)
    workbench = client.get(reverse("editor:claim", args=[world.claim.pk]))
    _assert_hardened(workbench, "workbench")
    # Editors see drafts on the public pages: a cache must keep their copy apart.
    compound = client.get(reverse("compound", args=[world.compound.slug]))
    assert "Cookie" in compound["Vary"]


def test_session_and_csrf_cookies_are_http_only_or_same_site(client, editor):
    response = client.post(reverse("login"), {"username": editor.username, "password": PASSWORD})
    session = response.cookies[settings.SESSION_COOKIE_NAME]
    assert session["httponly"] is True
    assert session["samesite"] == "Lax"
    csrf = response.cookies[settings.CSRF_COOKIE_NAME]
    assert csrf["samesite"] == "Lax"


# ---------------------------------------------------------------------------------------------
# 5 (continued). DNS rebinding: the article fetch connects only to the addresses it checked
#
# The machine is offline, so a tiny HTTP server on 127.0.0.1 stands in for the server's own
# network, and a faked resolver plays the hostile DNS server.


class _CountingServer(http.server.ThreadingHTTPServer):
    """Counts TCP connections (not just requests: a TLS handshake never becomes one)."""

    def __init__(self):
        self.connections = 0
        self.hosts = []
        super().__init__(("127.0.0.1", 0), _ArticlePage)

    def verify_request(self, request, client_address):
        self.connections += 1
        return True


class _ArticlePage(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.server.hosts.append(self.headers["Host"])
        body = b"<html><body><p>Testolin helps memory.</p></body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.fixture
def local_server():
    server = _CountingServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


def _resolver(monkeypatch, host: str, answers: list[str]) -> list[str]:
    """Make `host` resolve to answers[0], then answers[1], ... (the last one thereafter); other
    names resolve as usual. Returns the addresses given, one per lookup."""
    real, given = socket.getaddrinfo, []

    def getaddrinfo(name, port, *args, **kwargs):
        if name != host:
            return real(name, port, *args, **kwargs)
        given.append(answers[min(len(given), len(answers) - 1)])
        return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (given[-1], port))]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return given


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_turns_private_after_the_check_is_never_connected_to(
    signed_in, make_compound, local_server, monkeypatch, scheme
):
    # Public to the first lookup (the check), the server's own loopback to every later one.
    given = _resolver(monkeypatch, "rebind.example", ["93.184.215.14", "127.0.0.1"])
    url = f"{scheme}://rebind.example:{local_server.server_port}/article"
    response = _preview(signed_in, make_compound(), text="", url=url)
    assert response.status_code == 400
    assert "rebind.example is not a public web address" in response.text
    assert given == ["93.184.215.14", "127.0.0.1"]  # the connection resolved, and refused
    assert local_server.connections == 0
    assert pending_store.SESSION_KEY not in signed_in.session


def test_the_fetch_connects_to_the_checked_address_and_names_the_host(local_server, monkeypatch):
    # Offline there is no public server to reach: let loopback count as public, so the local
    # server stands in for one, and the fetch goes through the real opener end to end.
    monkeypatch.setattr(web, "_is_public", lambda address: address == "127.0.0.1")
    given = _resolver(monkeypatch, "articles.example", ["127.0.0.1"])
    url = f"http://articles.example:{local_server.server_port}/article"
    body, media = fetch_url(url, opener=web.open_public_page)
    assert b"Testolin helps memory." in body
    assert media == "text/html"
    assert local_server.hosts == [f"articles.example:{local_server.server_port}"]
    assert given == ["127.0.0.1", "127.0.0.1"]  # the early check, then the connection's own
