"""Two editors save the GRADE judgements of one claim at the same moment, 25 times each, as real
HTTP requests to a live server (threaded, one database connection per request). Every answer is
a save (200) or a conflict (409, with the conflict shown); never a 500; and nothing is lost or
duplicated: each 200 is exactly one new version and one history row, each 409 writes nothing.

The claim and its trial are constructed (tests/conftest.py's draft_claim)."""

import re
import threading

import pytest
from editor_support import LiveSession

from kb.models import Appearance, Claim, Source

pytestmark = pytest.mark.django_db(transaction=True)

SAVES = 25
CONFLICT = "Not saved: someone else changed this claim while you were editing it."


def judgements_version(html: str) -> int:
    """The version the judgements form sends next: its input, or the out-of-band one."""
    tag = re.search(r'<input[^>]*id="grade_version"[^>]*>', html).group(0)
    return int(re.search(r'value="(\d+)"', tag).group(1))


def test_two_editors_posting_25_saves_each_at_once_get_200_or_409_never_500(
    live_server, draft_claim, editor, second_editor
):
    workbench = f"/editor/claims/{draft_claim.pk}/"
    save = f"{workbench}grading/"
    editors = {name: LiveSession(live_server.url, name) for name in ("edith", "edmund")}
    pages = {name: e.get(workbench) for name, e in editors.items()}
    start = threading.Barrier(len(editors))
    answers: dict[str, list[int]] = {name: [] for name in editors}
    failures: list[str] = []

    def run(name: str) -> None:
        editor_session, page = editors[name], pages[name]
        version = judgements_version(page)
        start.wait()
        for number in range(SAVES):
            status, body = editor_session.post(
                save,
                {
                    "version": version,
                    "imprecision": "serious",
                    "imprecision_reason": f"Constructed: save {number} by {name}.",
                    "large_effect": "0",
                },
                page,
                htmx=True,
            )
            answers[name].append(status)
            if status == 200:
                version = judgements_version(body)
            elif status == 409 and CONFLICT in body:
                page = editor_session.get(workbench)  # reload, as the message asks
                version = judgements_version(page)
            else:
                failures.append(f"{name} save {number}: {status} {body[:200]}")

    threads = [threading.Thread(target=run, args=(name,)) for name in editors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    statuses = [status for name in answers for status in answers[name]]
    assert len(statuses) == 2 * SAVES
    assert set(statuses) <= {200, 409}
    saved = statuses.count(200)
    claim = Claim.objects.get(pk=draft_claim.pk)
    # Nothing lost, nothing twice: one version and one history row per accepted save.
    assert claim.version == draft_claim.version + saved
    rows = Claim.history.filter(id=claim.pk, history_change_reason__startswith="Judgements")
    assert rows.count() == saved
    assert claim.imprecision_reason.startswith("Constructed: save ")
    print(f"\n{saved} saved, {statuses.count(409)} answered 409, of {len(statuses)}")


PREVIEW_TEXT = """Examplamine for memory

Examplamine improves short-term memory in adults (1).

References
1. Trial of examplamine in adults. Constructed J. 2020;1:1-9. doi:10.5555/example.0001
"""  # constructed, as in tests/test_editor_articles.py


def test_the_article_save_sent_twice_at_once_stores_the_article_once(
    live_server, editor, make_compound
):
    compound = make_compound(name="Examplamine")
    session = LiveSession(live_server.url, "edith")
    form = session.get("/editor/articles/import/")
    status, _ = session.post(
        "/editor/articles/import/preview/",
        {"text": PREVIEW_TEXT, "fmt": "auto", "compound": compound.pk},
        form,
    )
    assert status == 200
    review = session.get("/editor/articles/import/review/")
    token = re.search(r'name="token" value="([^"]+)"', review).group(1)
    start = threading.Barrier(2)
    answers = []

    def click_save():
        start.wait()
        answers.append(
            session.post(
                "/editor/articles/import/save/", {"token": token, "compound": compound.pk}, review
            )[0]
        )

    threads = [threading.Thread(target=click_save) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers) == [200, 200]  # both end on a page (after their redirects)
    assert Source.objects.count() == 1
    assert Appearance.objects.filter(quote__startswith="Examplamine improves").count() == 1
    assert Claim.objects.filter(compound=compound).count() == 1
