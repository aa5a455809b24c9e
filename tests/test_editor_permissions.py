"""Who may use the workbench: every editor URL and method, for each role.

Anonymous readers are sent to sign in for pages and refused (403) for writes; researchers are
refused everything; editors and administrators may do everything. A refused write changes
nothing, htmx requests included. The article import's writes are listed apart: they act on a
preview kept in the session, not on a claim.
"""

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from editor_support import HTMX, judgements_as_stored

from kb import roles as kb_roles
from kb.editor import pending
from kb.models import Appearance, Claim, Reference, Source
from kb.services import grades
from studies.models import Study

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def graded_draft(draft_claim, make_claim):
    """The draft claim with its trial weighed and the claim marked graded, and another claim of
    its compound for its sentence to move to: every write applies."""
    make_claim(draft_claim.compound, statement="Testolin is safe.", status="draft")
    evidence = draft_claim.evidence.get()
    evidence.stance = "supports"
    evidence.save()
    claim = Claim.objects.get(pk=draft_claim.pk)
    claim.graded_at = timezone.now()
    grades.regrade(claim, user=None, reason="Constructed: graded")
    return claim


def pages(claim):
    """(URL, query) of every page (GET) of the workbench."""
    return [
        (reverse("editor:queue"), {}),
        (reverse("editor:claim", args=[claim.pk]), {}),
        (reverse("editor:find-study", args=[claim.pk]), {"q": "constructed"}),
        (reverse("claim-history", args=[claim.pk]), {}),
        (reverse("editor:article-import"), {}),
        (reverse("editor:article-review"), {}),
    ]


def writes(claim):
    """(URL, valid POST data) of every write of the workbench."""
    evidence = claim.evidence.get()
    appearance = claim.appearances.get()
    sibling = Claim.objects.exclude(pk=claim.pk).get(compound=claim.compound)
    review = Study.objects.get(design="systematic_review")
    version = {"version": claim.version}
    prefix = f"ev{evidence.pk}"
    return [
        (
            reverse("editor:set-overstated", args=[claim.pk, appearance.pk]),
            {**version, "overstated": "True"},
        ),
        (
            reverse("editor:move-appearance", args=[claim.pk, appearance.pk]),
            {**version, "to_claim": sibling.pk},
        ),
        (
            reverse("editor:update-claim", args=[claim.pk]),
            {**version, "statement": "Edited.", "kind": "benefit"},
        ),
        (reverse("editor:add-evidence", args=[claim.pk]), {**version, "study": review.pk}),
        (reverse("editor:remove-evidence", args=[claim.pk, evidence.pk]), version),
        (
            reverse("editor:grading", args=[claim.pk]),
            # One row weighed, the judgements left as they are: one change, one new version.
            {
                **judgements_as_stored(claim),
                **version,
                "evidence": evidence.pk,
                f"{prefix}-stance": "no_effect",
            },
        ),
        (
            reverse("editor:override", args=[claim.pk]),
            {**version, "verdict": "unproven", "rationale": "Constructed rationale."},
        ),
        (reverse("editor:mark-graded", args=[claim.pk]), version),
        (reverse("editor:publish", args=[claim.pk]), {**version, "reason": "Constructed."}),
        (reverse("editor:unpublish", args=[claim.pk]), version),
    ]


# An article to import: one constructed reference, so saving it needs no network.
ARTICLE = """Testolin improves recall in healthy adults (1).

References
1. A constructed trial of Testolin. doi:10.5555/testolin.0001
"""


def article_writes(claim, preview: str = "no-preview"):
    """(URL, valid POST data) of every write of the article import; `preview` is the token of
    the preview (kb.editor.pending) the writes after the first one apply to."""
    token = preview
    return [
        (
            reverse("editor:article-preview"),
            {"text": ARTICLE, "fmt": "auto", "compound": claim.compound_id},
        ),
        (
            reverse("editor:article-claim", args=[0]),
            {"token": token, "c0-quote": "Testolin improves recall.", "c0-kind": "benefit"},
        ),
        (reverse("editor:article-claim-remove", args=[0]), {"token": token}),
        (reverse("editor:article-claim-restore", args=[0]), {"token": token}),
        (reverse("editor:article-save"), {"token": token, "compound": claim.compound_id}),
        (reverse("editor:article-discard"), {"token": token}),
    ]


PAGE_COUNT = 6
WRITE_COUNT = 10
ARTICLE_WRITE_COUNT = 6


# Editor URLs outside the claim workbench and the article import: refused to anonymous readers
# and researchers by tests/test_security.py's every-URL test, used by editors in these modules.
ELSEWHERE = {
    "confirm-reference": "tests/test_reference_matching.py",
    "jobs": "tests/test_editor_jobs.py",
    "job": "tests/test_editor_jobs.py",
    "job-retry": "tests/test_editor_jobs.py",
    "bulk-fetch": "tests/test_editor_jobs.py",
    "check-retractions": "tests/test_editor_jobs.py",
    "refetch-study": "tests/test_editor_jobs.py",
    "inbox": "tests/test_watch.py",
    "inbox-weigh": "tests/test_watch.py",
    "inbox-dismiss": "tests/test_watch.py",
    "watch": "tests/test_watch.py",
    "follow": "tests/test_watch.py",
}


def test_the_matrix_covers_every_editor_url(graded_draft):
    from kb.editor.urls import urlpatterns

    covered = {url for url, _ in pages(graded_draft)} | {url for url, _ in writes(graded_draft)}
    covered |= {url for url, _ in article_writes(graded_draft)}
    assert len(covered) == PAGE_COUNT + WRITE_COUNT + ARTICLE_WRITE_COUNT
    here = len(covered) - 1  # the history page is not under /editor/
    assert {p.name for p in urlpatterns} >= set(ELSEWHERE)
    assert here + len(ELSEWHERE) == len(urlpatterns)
    for pattern in urlpatterns:
        if pattern.name in ELSEWHERE:
            text = (ROOT / ELSEWHERE[pattern.name]).read_text(encoding="utf-8")
            literal = "/editor/" + str(pattern.pattern).split("<")[0]
            assert f"editor:{pattern.name}" in text or literal in text, pattern.name


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_anonymous_get_of_an_editor_page_redirects_to_sign_in(client, graded_draft, index):
    url, query = pages(graded_draft)[index]
    response = client.get(url, query)
    assert response.status_code == 302
    assert response["Location"].startswith(f"{reverse('login')}?next=")


def test_anonymous_htmx_get_redirects_the_whole_page_to_sign_in(client, graded_draft):
    url, query = pages(graded_draft)[2]
    response = client.get(url, query, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"].startswith(reverse("login"))


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_researcher_is_refused_editor_pages(client, researcher, graded_draft, index):
    client.force_login(researcher)
    url, query = pages(graded_draft)[index]
    assert client.get(url, query).status_code == 403


@pytest.mark.parametrize("role", ["editor", "admin_user"])
@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_editors_and_administrators_open_every_page(client, request, graded_draft, role, index):
    client.force_login(request.getfixturevalue(role))
    url, query = pages(graded_draft)[index]
    assert client.get(url, query).status_code == 200


@pytest.mark.parametrize("index", range(PAGE_COUNT))
def test_pages_refuse_post(client, editor, graded_draft, index):
    client.force_login(editor)
    url, _ = pages(graded_draft)[index]
    assert client.post(url).status_code == 405


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
@pytest.mark.parametrize("role", ["anonymous", "researcher"])
@pytest.mark.parametrize("index", range(WRITE_COUNT))
def test_writes_by_anyone_but_an_editor_are_refused_and_change_nothing(
    client, request, graded_draft, role, index, headers
):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url, data = writes(graded_draft)[index]
    before = Claim.objects.get(pk=graded_draft.pk)
    response = client.post(url, data, **headers)
    assert response.status_code == 403
    after = Claim.objects.get(pk=graded_draft.pk)
    assert (after.version, after.statement, after.status) == (
        before.version,
        before.statement,
        before.status,
    )
    assert after.evidence.count() == 1
    assert after.history.count() == before.history.count()
    sentence = Appearance.objects.get(quote="Testolin doubles recall in healthy adults.")
    assert (sentence.claim_id, sentence.overstated, sentence.flags) == (after.pk, False, [])


@pytest.mark.parametrize("role", ["editor", "admin_user"])
@pytest.mark.parametrize("index", range(WRITE_COUNT))
def test_editors_and_administrators_may_make_every_write(
    client, request, graded_draft, role, index
):
    client.force_login(request.getfixturevalue(role))
    url, data = writes(graded_draft)[index]
    response = client.post(url, data)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("editor:claim", args=[graded_draft.pk]))
    assert Claim.objects.get(pk=graded_draft.pk).version == graded_draft.version + 1


@pytest.mark.parametrize("index", range(WRITE_COUNT))
def test_writes_refuse_get(client, editor, graded_draft, index):
    client.force_login(editor)
    url, _ = writes(graded_draft)[index]
    assert client.get(url).status_code == 405


def _stored_articles():
    return (Source.objects.count(), Reference.objects.count(), Claim.objects.count())


@pytest.mark.parametrize("headers", [{}, HTMX], ids=["form", "htmx"])
@pytest.mark.parametrize("role", ["anonymous", "researcher"])
@pytest.mark.parametrize("index", range(ARTICLE_WRITE_COUNT))
def test_article_writes_by_anyone_but_an_editor_are_refused_and_change_nothing(
    client, request, graded_draft, role, index, headers
):
    if role != "anonymous":
        client.force_login(request.getfixturevalue(role))
    url, data = article_writes(graded_draft)[index]
    before = _stored_articles()
    assert client.post(url, data, **headers).status_code == 403
    assert _stored_articles() == before
    assert pending.SESSION_KEY not in client.session


@pytest.mark.parametrize("role", ["editor", "admin_user"])
@pytest.mark.parametrize("index", range(ARTICLE_WRITE_COUNT))
def test_editors_and_administrators_may_make_every_article_write(
    client, request, graded_draft, role, index
):
    client.force_login(request.getfixturevalue(role))
    preview_url, preview_data = article_writes(graded_draft)[0]
    assert client.post(preview_url, preview_data).status_code == 302
    token = client.session[pending.SESSION_KEY]["token"]
    sentences_before = Appearance.objects.count()
    url, data = article_writes(graded_draft, token)[index]
    response = client.post(url, data)
    assert response.status_code == 302
    expected = {
        0: reverse("editor:article-review"),
        4: reverse("editor:queue"),
        5: reverse("editor:article-import"),
    }.get(index, reverse("editor:article-review"))
    assert response["Location"].startswith(expected)
    assert "no longer open" not in client.get(response["Location"]).text
    # Saving stores the sentence (on the claim it restates, preselected); nothing else writes.
    assert Appearance.objects.count() == sentences_before + (1 if index == 4 else 0)


@pytest.mark.parametrize("index", range(ARTICLE_WRITE_COUNT))
def test_article_writes_refuse_get(client, editor, graded_draft, index):
    client.force_login(editor)
    url, _ = article_writes(graded_draft)[index]
    assert client.get(url).status_code == 405


def test_roles_migration_creates_the_groups_with_their_permissions(db):
    """The data migration itself, run on the migration state of kb 0002."""
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    state = MigrationExecutor(connection).loader.project_state(("kb", "0002_roles"))
    Group.objects.filter(name__in=["editors", "researchers"]).delete()
    kb_roles.create_roles(state.apps, None)
    editors = set(Group.objects.get(name="editors").permissions.values_list("codename", flat=True))
    researchers = set(
        Group.objects.get(name="researchers").permissions.values_list("codename", flat=True)
    )
    assert {"change_claim", "add_evidence", "delete_evidence", "change_study"} <= editors
    assert {"change_source", "view_compound"} <= editors
    assert "delete_claim" not in editors
    assert researchers == {
        "view_claim",
        "view_evidence",
        "view_study",
        "view_source",
        "view_compound",
    }


def test_htmx_writes_need_the_csrf_token_the_page_sends_in_a_header(editor, graded_draft):
    client = Client(enforce_csrf_checks=True)
    client.force_login(editor)
    page = client.get(reverse("editor:claim", args=[graded_draft.pk]))
    token = re.search(r'hx-headers=\'{"X-CSRFToken": "([^"]+)"}\'', page.text).group(1)
    url, data = writes(graded_draft)[2]
    assert client.post(url, data, **HTMX).status_code == 403  # no token: refused
    assert Claim.objects.get(pk=graded_draft.pk).version == graded_draft.version
    response = client.post(url, data, HTTP_X_CSRFTOKEN=token, **HTMX)
    assert response.status_code == 200
    assert Claim.objects.get(pk=graded_draft.pk).statement == "Edited."
