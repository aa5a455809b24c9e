"""Headless Chromium against pytest-django's live server.

Playwright's own browser download does not work here, so the tests drive Debian's Chromium
(`make browser` installs it). One browser serves the whole session; each test gets fresh
contexts. The live server runs in a thread, so every test needs a transactional database to
see the rows it creates, and it serves /static/ itself (StaticFilesHandler).
"""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.color import no_style
from django.db import connection
from django.utils import timezone

from kb.demo import load_demo
from kb.services import grades
from studies.models import Study

CHROMIUM = Path("/usr/bin/chromium")
AXE_SCRIPT = Path(settings.BASE_DIR) / "node_modules" / "axe-core" / "axe.min.js"

# Chromium flags for a container: no sandbox (no user namespaces), no GPU, and none of the
# background traffic (updates, sync, QUIC probes) that would make runs slower or flaky offline.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` to install Debian's Chromium.")
    return {**browser_type_launch_args, "executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def base_url(live_server) -> str:
    # Relative URLs in page.goto() resolve against the live server.
    return live_server.url


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1280, "height": 900}}


@pytest.fixture(scope="session", autouse=True)
def _keep_migrated_rows(django_db_setup, django_db_blocker):
    """Leave the database as the migrations made it (with the roles' groups) after the tests.

    Transactional tests empty every table when they finish, and a database kept with
    --reuse-db would start the next run without its groups. Django's serialized_rollback cannot
    help here: once Playwright runs its event loop, the connection that holds the serialized
    rows is no longer the one the test case sees. So: snapshot before, flush and restore after.
    """
    with django_db_blocker.unblock():
        snapshot = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(snapshot)
        # The rows come back with their ids but the sequences stay where the tests left them
        # behind: without a reset, the next run on a kept database collides with them.
        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), apps.get_models()):
                cursor.execute(sql)


@pytest.fixture
def axe_script() -> Path:
    if not AXE_SCRIPT.exists():
        pytest.fail(f"{AXE_SCRIPT} is missing: run `npm ci` (or `make browser`) first.")
    return AXE_SCRIPT


@pytest.fixture
def public_pages(transactional_db, make_claim, make_evidence) -> dict[str, str]:
    """The real Cerebrolysin demo plus one published, graded claim, as {page name: path}.

    The claim is constructed for these tests (it is not in the demo article): it makes sure a
    claim page with a verdict, GRADE judgements, evidence and a citation exists whether or not
    the demo loads claims of its own.
    """
    demo = load_demo()
    trial = Study.objects.get(pmid="23009193")  # Lang 2013, an RCT in the demo
    review = Study.objects.get(pmid="30643411")  # Ghaffarpasand 2019, a systematic review
    claim = make_claim(
        demo.compound,
        quote="Constructed for browser tests: Cerebrolysin speeds recovery after stroke.",
        statement="In adults after acute ischaemic stroke, Cerebrolysin improves recovery.",
        source=demo.source,
        graded_at=timezone.now(),
        risk_of_bias="serious",
        risk_of_bias_reason="Constructed reason: allocation concealment unclear.",
        imprecision="none",
    )
    # cited=True: the claim's sentence cites the trial through a new entry of the page's list.
    make_evidence(claim, trial, stance="supports", cited=True)
    make_evidence(claim, review, stance="no_effect", indirectness=["outcome"])
    grades.regrade(claim, user=None, reason="Constructed claim for browser tests")
    return {
        "home": "/",
        "compound": demo.compound.get_absolute_url(),
        "claim": claim.get_absolute_url(),
        "study": trial.get_absolute_url(),
        "source": demo.source.get_absolute_url(),
        "methodology": "/methodology/",
        "changes": "/changes/",
        "data": "/data/",
        "search": "/search/?q=stroke",
    }
