"""Hostile input in a real browser (issue 15): every imported and editor field carries script
tags, event handlers, `javascript:` and `data:` links, SVG, broken markup, direction and
zero-width characters and CSV formula prefixes; Chromium then visits every page type as an
anonymous reader, an editor and an administrator, and fails on any dialog, console error, CSP
violation, server error, element or script the payload managed to inject, or request to
another site.

The data are constructed for this test: the records in tests/data/constructed
(pubmed_hostile_markup.xml, crossref_hostile_markup.json) and a claim, a source and their
notes written here; nothing names a real study but the demo's."""

import json
from html import escape

import pytest
from django.urls import reverse
from editor_support import DATA, PASSWORD
from playwright.sync_api import Page, expect

from kb.articles import extract_article
from kb.models import Claim, Evidence, Reference, Source
from kb.services import grades
from kb.services.articles import save_article
from studies.crossref_json import parse_crossref_json
from studies.formats import parse_file
from studies.importer import import_records
from studies.models import Study

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSTRUCTED = DATA / "constructed"
# Each payload marks what it would inject: an element with data-kb-injected, or
# window.__kbInjected set by script.
PAYLOADS = [
    '"><script>window.__kbInjected=1</script>',
    '<img src=x onerror="window.__kbInjected=1" data-kb-injected>',
    '<svg onload="window.__kbInjected=1" data-kb-injected><circle r=1></svg>',
    '<a href="javascript:window.__kbInjected=1" data-kb-injected>j</a>',
    '<a href="data:text/html,<script>alert(1)</script>" data-kb-injected>d</a>',
    '<iframe src="https://evil.example/" data-kb-injected></iframe>',
    "<b data-kb-injected>broken <i>markup <!-- ",
    "\u202egnp.exe \u200b\u2066isolated\u2069",
    '=HYPERLINK("https://evil.example") +1 -1 @SUM(1)',
    "kb-xss",
]
HOSTILE = " ".join(PAYLOADS)

INJECTED = """() => ({
  elements: document.querySelectorAll("[data-kb-injected]").length,
  script: window.__kbInjected === undefined ? 0 : 1,
  inlineScripts: [...document.scripts].filter(s => !s.src && !s.nonce && !/json/.test(s.type))
    .length,
  brokenJsonLd: [...document.querySelectorAll('script[type="application/ld+json"]')]
    .filter(s => { try { JSON.parse(s.textContent); return false; } catch (e) { return true; } })
    .length,
})"""
CSP_LISTENER = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} blocked ${event.blockedURI || "inline"}`);
});
"""
# The article carries the payloads both as markup (which sanitising drops) and as text.
HOSTILE_ARTICLE = f"""<html><head><title>Hostilin {escape(HOSTILE)}</title></head><body>
<p>Hostilin improves recall in healthy adults {escape(HOSTILE)} {HOSTILE} (1).</p>
<p>Hostilin doubles focus in healthy students {escape(HOSTILE)} (2).</p>
<h2>References</h2><ol>
<li><a href="javascript:alert('kb-xss')">A constructed trial {escape(HOSTILE)}</a>.</li>
<li>A constructed review {escape(HOSTILE)}. doi:10.5555/testolin.0001</li></ol></body></html>"""


def _import(path, parser) -> Study:
    with open(path, "rb") as handle:
        assert import_records(parser(handle, path.name)).created == 1
    return Study.objects.order_by("-pk").first()


@pytest.fixture
def hostile(make_compound, make_claim, editor, admin_user) -> dict[str, str]:
    compound = make_compound(name=f"Hostilin {HOSTILE}"[:200], slug="hostilin")
    pubmed_study = _import(CONSTRUCTED / "pubmed_hostile_markup.xml", parse_file)
    crossref_study = _import(CONSTRUCTED / "crossref_hostile_markup.json", parse_crossref_json)
    Study.objects.filter(pk=pubmed_study.pk).update(
        journal=HOSTILE[:500],
        volume="=1+1",
        pages='1"><svg onload=alert(1)>'[:50],
        authors=[
            {"family": HOSTILE, "given": HOSTILE, "collective": "", "suffix": "", "orcid": ""}
        ],
        editor_notes=HOSTILE,
    )
    result = save_article(extract_article(HOSTILE_ARTICLE), compound=compound)
    assert result.claims_created >= 1
    source = result.source
    Source.objects.filter(pk=source.pk).update(
        url="javascript:alert('kb-xss')", publisher=HOSTILE[:200], author=HOSTILE[:200]
    )
    claim = make_claim(
        compound,
        source=source,
        quote=f"Hostilin doubles recall {HOSTILE}",
        statement=f"Hostilin improves recall {HOSTILE}",
        population=HOSTILE[:300],
        outcome=HOSTILE[:300],
        imprecision="serious",
        imprecision_reason=HOSTILE,
        rationale=HOSTILE,
        status="published",
    )
    for study in (pubmed_study, crossref_study):
        Evidence.objects.create(claim=claim, study=study, stance="supports", note=HOSTILE)
    Reference.objects.filter(source=source).update(url="javascript:alert('kb-xss')")
    grades.regrade(Claim.objects.get(pk=claim.pk), user=None, reason=HOSTILE)
    return {
        "home": "/",
        "compound": compound.get_absolute_url(),
        "compound filtered": compound.get_absolute_url() + "?verdict=ungraded&q=%3Cscript%3E",
        "claim": claim.get_absolute_url(),
        "claim history": reverse("claim-history", args=[claim.pk]),
        "PubMed study": pubmed_study.get_absolute_url(),
        "Crossref study": crossref_study.get_absolute_url(),
        "source": source.get_absolute_url(),
        "search": "/search/?q=Hostilin",
        "search for a payload": "/search/?q=" + "%22%3E%3Cscript%3Ealert(1)%3C/script%3E",
        "methodology": "/methodology/",
        "API": reverse("api-compound", args=["hostilin"]),
        "_claim_id": str(claim.pk),
        "_source_id": str(source.pk),
        "_study_id": str(pubmed_study.pk),
    }


def _sign_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_label("Username")).to_have_count(0)


def _walk(context, live_server, pages: dict[str, str], sign_in_as: str | None = None) -> dict:
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    problems: list[str] = []
    page.on(
        "dialog", lambda dialog: (problems.append(f"dialog: {dialog.message}"), dialog.dismiss())
    )
    page.on(
        "console",
        # A browser asks for /favicon.ico on a JSON page by itself: not our code's error.
        lambda m: (
            m.type == "error"
            and "favicon.ico" not in (m.location or {}).get("url", "")
            and problems.append(f"console: {m.text}")
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.on("response", lambda r: r.status >= 500 and problems.append(f"{r.status}: {r.url}"))
    page.on(
        "request",
        lambda r: (
            not r.url.startswith((live_server.url, "data:", "about:"))
            and problems.append(f"off-site request: {r.url}")
        ),
    )
    if sign_in_as:
        _sign_in(page, sign_in_as)
    failures = {}
    for name, path in pages.items():
        problems.clear()
        response = page.goto(path)
        found = {"status": response.status, **page.evaluate(INJECTED)}
        if response.headers.get("content-type", "").startswith("text/html"):
            found["csp"] = page.evaluate("() => window.__cspViolations || []")
        expected = {
            "status": 200,
            "elements": 0,
            "script": 0,
            "inlineScripts": 0,
            "brokenJsonLd": 0,
        }
        if "csp" in found:
            expected["csp"] = []
        if found != expected or problems:
            failures[name] = {**found, "problems": list(problems)}
    return failures


def test_every_page_shows_hostile_input_inert_to_every_role(new_context, live_server, hostile):
    public = {name: path for name, path in hostile.items() if not name.startswith("_")}
    claim, source, study = hostile["_claim_id"], hostile["_source_id"], hostile["_study_id"]
    editor_pages = {
        **public,
        "queue": "/editor/",
        "workbench": f"/editor/claims/{claim}/",
        "study search": f"/editor/claims/{claim}/studies/?q=Hostilin",
        "article import": "/editor/articles/import/",
    }
    admin_pages = {
        "admin": "/admin/",
        **{
            f"admin {model} list": f"/admin/{model}/"
            for model in (
                "kb/compound",
                "kb/source",
                "kb/topic",
                "kb/claim",
                "kb/evidence",
                "kb/reference",
                "kb/appearance",
                "kb/citation",
                "studies/study",
            )
        },
        "admin claim": f"/admin/kb/claim/{claim}/change/",
        "admin claim history": f"/admin/kb/claim/{claim}/history/",
        "admin source": f"/admin/kb/source/{source}/change/",
        "admin study": f"/admin/studies/study/{study}/change/",
        "admin add claim": "/admin/kb/claim/add/",
        "admin users": "/admin/auth/user/",
    }
    failures = {
        "anonymous": _walk(new_context(), live_server, public),
        "editor": _walk(new_context(), live_server, editor_pages, sign_in_as="edith"),
        "administrator": _walk(new_context(), live_server, admin_pages, sign_in_as="ada"),
    }
    assert failures == {"anonymous": {}, "editor": {}, "administrator": {}}, json.dumps(failures)
    visited = len(public) + len(editor_pages) + len(admin_pages)
    assert visited == 44
