"""Pages for staff only: the console, the reports and the status page's back office."""

from __future__ import annotations

import functools
from typing import Any

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.cache import patch_cache_control

from policydesk.tickets import access
from policydesk.web.errors import signed_out
from policydesk.web.language import View, with_language


def staff_only(view: View) -> View:
    """Anonymous people go to sign in; anyone who is not staff gets a 404 (the console does not
    admit it exists). Pages answer in the person's language and are never cached by proxies."""
    in_language = with_language(view)
    in_language_signed_out = with_language(signed_out)

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated and request.method == "POST":
            return in_language_signed_out(request)  # the session ended: keep what they typed
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), login_url=settings.LOGIN_URL)
        if not access.is_staff(request.user):
            raise Http404
        access.remember_queues(request.user)
        response = in_language(request, *args, **kwargs)
        patch_cache_control(response, private=True, no_store=True)
        return response

    return wrapper
