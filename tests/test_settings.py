"""Production settings refuse to start unsafe; pages carry a strict CSP and the bundled htmx."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parent.parent


def manage(*args, **env):
    environment = {
        k: v
        for k, v in os.environ.items()
        if k not in {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_without_debug_a_missing_secret_key_is_a_clear_error():
    result = manage("check", DEBUG="0")
    assert result.returncode != 0
    assert "SECRET_KEY is not set" in result.stderr


def test_production_settings_pass_the_deployment_checks():
    result = manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DEBUG="0",
        SECRET_KEY="x7Qm2vR9pL4sT8wZ1cF6hJ3nB5kD0gY-aE_uI7oP2qW9rS4tV6",
        ALLOWED_HOSTS="kb.example.org",
        SECURE_HTTPS="",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.django_db
def test_pages_carry_a_nonce_csp_and_the_bundled_htmx(client):
    response = client.get("/")
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'nonce-" in policy
    assert "unsafe-eval" not in policy
    assert "unsafe-inline" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)
    script = re.search(r'<script[^>]*src="([^"]*htmx[^"]*)"[^>]*>', response.text)
    assert script, "htmx is loaded from django-htmx's bundled file"
    assert f'nonce="{nonce}"' in script.group(0)
    assert "//" not in script.group(1), "no CDN"
    assert finders.find(script.group(1).removeprefix(settings.STATIC_URL).lstrip("/"))
