"""Sign-in throttling (django-axes, policy in kb/settings.py and the README): five failed
sign-ins for one account from one address lock that pair out for 15 minutes with a clear 429
page; other addresses and other accounts are not affected; the lock lifts after its time."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from editor_support import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
HOME = "192.0.2.10"  # documentation addresses (RFC 5737)
ELSEWHERE = "198.51.100.7"


def sign_in(client, username, password, address=HOME):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_five_failures_lock_the_account_from_that_address_for_15_minutes(client, editor):
    for _ in range(4):
        failed = sign_in(client, editor.username, "not the password")
        assert failed.status_code == 200
        assert "did not match" in failed.text
    locked = sign_in(client, editor.username, "not the password")
    assert locked.status_code == 429
    assert "5 sign-ins in a row failed for “edith” from this address" in locked.text
    assert "locked for 15 minutes" in locked.text
    assert locked["Retry-After"] == str(15 * 60)
    assert 'name="password"' not in locked.text

    # The right password is refused too while the lock holds, and signs nobody in.
    refused = sign_in(client, editor.username, PASSWORD)
    assert refused.status_code == 429
    assert client.get("/editor/").status_code == 302  # sent to sign in

    # The same account from another address, and another account from this one, still work.
    assert sign_in(client.__class__(), editor.username, PASSWORD, ELSEWHERE).status_code == 302
    assert sign_in(client.__class__(), "nobody-here", "x").status_code == 200

    # Fifteen minutes later (the stored attempt moved back, not waited for) the lock is gone.
    attempt = AccessAttempt.objects.get(username=editor.username, ip_address=HOME)
    attempt.attempt_time -= timedelta(minutes=15, seconds=1)
    attempt.save()
    assert sign_in(client, editor.username, PASSWORD).status_code == 302
    assert client.get("/editor/").status_code == 200


def test_a_successful_sign_in_clears_the_count(client, editor):
    for _ in range(4):
        assert sign_in(client, editor.username, "not the password").status_code == 200
    assert sign_in(client, editor.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        assert sign_in(client, editor.username, "not the password").status_code == 200
    assert not AccessAttempt.objects.filter(failures_since_start__gte=5).exists()
