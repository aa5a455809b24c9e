"""Plain helpers and constants for the editors' workbench tests (tests/test_editor_*.py and
tests/browser/): the test password, the roles migration and the requests the workbench forms
send. The fixtures built on them live in tests/conftest.py; the fake network is in
tests/fake_network.py.

The groups come from kb.roles, through the data migration kb/0002_roles; tests that flush the
database (transactional and browser tests) remove them, so the `roles` fixture grants them
again from the same definition before each test that needs them.
"""

import re
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

from django.contrib.auth.models import Group, User
from django.urls import reverse

from kb.editor.forms import JudgementsForm
from kb.models import Claim

DATA = Path(__file__).resolve().parent / "data"
PUBMED_DATA = DATA / "pubmed"
PASSWORD = "correct horse battery staple 42"  # constructed, for test accounts only

# The header htmx sends with every request it makes; the views answer it with a fragment.
HTMX = {"HTTP_HX_REQUEST": "true"}


def make_user(name: str, group: Group | None = None, **fields) -> User:
    user = User.objects.create_user(name, password=PASSWORD, **fields)
    if group is not None:
        user.groups.add(group)
    return user


def url(name, claim, *args):
    """The workbench URL `editor:<name>` for a claim (and any further arguments)."""
    return reverse(f"editor:{name}", args=[claim.pk, *args])


def post(client, name, claim, data=None, *args, htmx=True):
    """Post a workbench form for a claim at its current version, as htmx does unless
    htmx=False (the same form without JavaScript)."""
    data = {"version": Claim.objects.get(pk=claim.pk).version, **(data or {})}
    return client.post(url(name, claim, *args), data, **(HTMX if htmx else {}))


def judgements_as_stored(claim) -> dict:
    """The judgements part of the grading form as the page shows it for `claim`, unchanged."""
    initial = JudgementsForm.for_claim(Claim.objects.get(pk=claim.pk)).initial
    data = {name: "" if value is None else value for name, value in initial.items()}
    if not data["dose_response"]:
        del data["dose_response"]  # an unticked box is not posted
    return data


def weigh(client, claim, evidence, **fields):
    """Post the grading form with one evidence row (stance, design, note, ...) changed and the
    judgements as they are, as htmx does."""
    prefix = f"ev{evidence.pk}"
    data = {**judgements_as_stored(claim), "evidence": evidence.pk}
    data.update({f"{prefix}-{name}": value for name, value in fields.items()})
    return client.post(url("grading", claim), data, **HTMX)


class LiveSession:
    """A signed-in session against a live server, without a browser: cookies, the CSRF token
    from the page last read, the htmx header when asked. Safe to use from several threads."""

    def __init__(self, base: str, username: str):
        self.base = base
        self.cookies = CookieJar()
        self.opener = build_opener(HTTPCookieProcessor(self.cookies))
        page = self.get("/accounts/login/")
        self.post("/accounts/login/", {"username": username, "password": PASSWORD}, page)

    def token(self, html: str) -> str:
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)

    def get(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=30) as response:
            return response.read().decode()

    def post(self, path: str, data: dict, page: str, htmx: bool = False) -> tuple[int, str]:
        body = urlencode({**data, "csrfmiddlewaretoken": self.token(page)}, doseq=True).encode()
        headers = {"Referer": self.base + path}
        if htmx:
            headers["HX-Request"] = "true"
        try:
            with self.opener.open(Request(self.base + path, body, headers), timeout=30) as reply:
                return reply.status, reply.read().decode()
        except HTTPError as error:
            return error.code, error.read().decode()
