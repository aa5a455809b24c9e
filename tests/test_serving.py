"""Serving as deployed: gunicorn with production settings and hashed static files, a health
check, anonymous pages that set no cookie, and a cache that app servers share through Redis."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings
from django.db import OperationalError, connection

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION_KEY = "x7Qm2vR9pL4sT8wZ1cF6hJ3nB5kD0gY-aE_uI7oP2qW9rS4tV6"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def session_database_url() -> str:
    """The URL of the test database this session created, for servers started beside it."""
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def production_env(**extra) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        DEBUG="0",
        SECRET_KEY=PRODUCTION_KEY,
        ALLOWED_HOSTS="127.0.0.1",
        SECURE_HTTPS="0",
        STATIC_MANIFEST="1",
        CONN_MAX_AGE="60",
        **extra,
    )
    return env


def get(url: str) -> tuple[int, dict, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def wait_for(url: str, process: subprocess.Popen, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited: {process.stdout.read()}")
        try:
            get(url)
            return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"{url} did not answer in {seconds}s")


@pytest.mark.django_db
def test_the_health_check_says_ok_and_503_with_the_reason_without_a_database(client, monkeypatch):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response.headers["Cache-Control"]
    assert client.post("/healthz").status_code == 405

    def refuse():
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.content == b"database unavailable: OperationalError\n"


def test_anonymous_pages_set_no_cookie_and_editors_still_get_their_token(demo, db, client, editor):
    claim = demo.compound.claims.published().first()
    study = claim.evidence.first().study
    pages = [
        "/",
        demo.compound.get_absolute_url(),
        claim.get_absolute_url(),
        study.get_absolute_url(),
        demo.source.get_absolute_url(),
        "/search/?q=stroke",
        "/methodology/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code == 200, page
        assert not response.cookies, f"{page} sets {list(response.cookies)}"
        assert "X-CSRFToken" not in response.text, page
    client.force_login(editor)
    response = client.get(demo.compound.get_absolute_url())
    assert '"X-CSRFToken": "' in response.text


def test_gunicorn_serves_production_settings_hashed_static_files_and_an_access_log(
    django_db_setup, tmp_path
):
    env = production_env(DATABASE_URL=session_database_url(), STATIC_ROOT=str(tmp_path / "static"))
    collected = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "--verbosity", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert collected.returncode == 0, collected.stderr
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "kb.wsgi", "--workers", "1"],
        cwd=ROOT,
        env={**env, "PORT": str(port)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_for(f"{base}/healthz", server)
        assert get(f"{base}/healthz")[:1] == (200,)
        status, headers, body = get(f"{base}/methodology/")
        assert status == 200
        assert "Set-Cookie" not in headers
        stylesheet = next(
            part.split('"')[0]
            for part in body.decode().split('href="')[1:]
            if part.startswith("/static/kb.") and ".css" in part.split('"')[0]
        )
        assert stylesheet != "/static/kb.css", "the page links the hashed name"
        status, headers, _ = get(base + stylesheet)
        assert status == 200
        assert "immutable" in headers["Cache-Control"]
        assert "max-age=315360000" in headers["Cache-Control"]
    finally:
        server.terminate()
        log = server.communicate(timeout=30)[0]
    assert '"GET /healthz HTTP/1.1" 200' in log
    assert '"GET /methodology/ HTTP/1.1" 200' in log


@pytest.fixture
def redis_url(tmp_path):
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make services` installs Debian's redis-server.")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                break
        if time.monotonic() > deadline:
            server.kill()
            pytest.fail("redis-server did not start")
        time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0"
    server.terminate()
    server.wait(timeout=10)


def test_with_redis_url_every_app_server_shares_one_cache(redis_url):
    assert settings.CACHES["default"]["BACKEND"].endswith("LocMemCache"), "default: per process"

    def in_another_process(code: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
            cwd=ROOT,
            env=production_env(REDIS_URL=redis_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout.strip()

    setting = "from django.core.cache import cache; cache.set('page', 'rendered once', 60)"
    in_another_process(setting)
    reading = "from django.core.cache import cache; print(cache.get('page'))"
    assert in_another_process(reading) == "rendered once"
