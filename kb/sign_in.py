"""The page a locked-out sign-in gets (django-axes calls it, AXES_LOCKOUT_CALLABLE)."""

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.conf import settings
from django.shortcuts import render


def locked_out(request, original_response=None, credentials=None):
    """429 with what happened, for how long, and what to do; the sign-in form is not offered."""
    cool_off = get_cool_off(request)
    context = {
        "username": get_client_username(request, credentials) or "",
        "failure_limit": get_failure_limit(request, credentials),
        "minutes": int(cool_off.total_seconds() // 60) if cool_off else None,
    }
    # Rendered now: the middleware answering with it comes after the template-response phase.
    response = render(
        request, "registration/locked_out.html", context, status=settings.AXES_HTTP_RESPONSE_CODE
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response
