"""Signing in and out in the site's own look, the navigation per role, and the demo editor
account `make run` creates from the environment."""

import io

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse
from editor_support import PASSWORD
from pytest_django.asserts import assertTemplateUsed

pytestmark = pytest.mark.django_db


def test_the_sign_in_page_is_the_sites_own(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assertTemplateUsed(response, "registration/login.html")
    assertTemplateUsed(response, "base.html")
    assert "Evidence KB" in response.text
    assert 'name="password"' in response.text


def test_an_editor_signs_in_lands_on_the_queue_and_signs_out(client, editor):
    response = client.post(reverse("login"), {"username": "edith", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("editor:queue")
    queue = client.get(reverse("editor:queue"))
    assert "Review queue</a>" in queue.text
    assert "Sign out edith" in queue.text
    out = client.post(reverse("logout"))
    assert out["Location"] == reverse("home")
    assert client.get(reverse("editor:queue")).status_code == 302


def test_a_wrong_password_is_refused_with_a_message(client, editor):
    response = client.post(reverse("login"), {"username": "edith", "password": "wrong"})
    assert response.status_code == 200
    assert "did not match" in response.text


def test_sign_in_returns_to_the_page_asked_for(client, editor, draft_claim):
    page = reverse("editor:claim", args=[draft_claim.pk])
    redirect = client.get(page)["Location"]
    assert redirect == f"{reverse('login')}?next={page}"
    response = client.post(
        redirect,
        {"username": "edith", "password": PASSWORD, "next": page},
    )
    assert response["Location"] == page


def test_navigation_offers_sign_in_to_readers_and_the_queue_to_editors_only(
    client, researcher, editor
):
    assert "Sign in</a>" in client.get("/").text
    client.force_login(researcher)
    home = client.get("/").text
    assert "Sign out rhea" in home
    assert "Review queue" not in home
    client.force_login(editor)
    assert "Review queue</a>" in client.get("/").text


def test_demo_editor_is_refused_unless_debug(settings, roles):
    settings.DEBUG = False
    settings.DEMO_EDITOR_USERNAME, settings.DEMO_EDITOR_PASSWORD = "demo", "demo-password-1"
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("create_demo_editor")
    assert not User.objects.filter(username="demo").exists()


def test_demo_editor_needs_both_variables(settings, roles):
    settings.DEBUG = True
    settings.DEMO_EDITOR_USERNAME, settings.DEMO_EDITOR_PASSWORD = "demo", ""
    with pytest.raises(CommandError, match="DEMO_EDITOR_PASSWORD"):
        call_command("create_demo_editor")


def test_demo_editor_is_created_as_an_editor_and_can_sign_in(settings, roles, client):
    settings.DEBUG = True
    settings.DEMO_EDITOR_USERNAME, settings.DEMO_EDITOR_PASSWORD = "demo", "demo-password-1"
    out = io.StringIO()
    call_command("create_demo_editor", stdout=out)
    call_command("create_demo_editor", stdout=out)  # running it again only resets the password
    assert "Created the demo editor 'demo'" in out.getvalue()
    user = User.objects.get(username="demo")
    assert user.has_perm("kb.change_claim")
    # Through the sign-in form, as a person would (django-axes needs the request to count).
    signed = client.post("/accounts/login/", {"username": "demo", "password": "demo-password-1"})
    assert signed.status_code == 302
    assert client.get("/editor/").status_code == 200
