"""The language of a page: an explicit choice, then the person's preference, then Accept-Language.

Order: `?lang=` on this request (remembered in Django's language cookie), the cookie, the
signed-in person's `language`, the browser's `Accept-Language`, the site default. The portal's
views apply it themselves (`with_language`); `PersonLanguageMiddleware` does the same for
every page when it is listed after AuthenticationMiddleware.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers

from policydesk.languages import supported_language

View = Callable[..., HttpResponse]


def explicit_language(request: HttpRequest) -> str | None:
    return supported_language(request.GET.get("lang"))


def choose_language(request: HttpRequest) -> str:
    """The language to answer `request` in (see the module docstring for the order)."""
    chosen = explicit_language(request) or supported_language(
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
    )
    if chosen:
        return chosen
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        preferred = supported_language(getattr(user, "language", ""))
        if preferred:
            return preferred
    header = translation.get_language_from_request(request)
    return supported_language(header) or settings.LANGUAGE_CODE


def _answer_in(request: HttpRequest, lang: str, respond: Callable[[], HttpResponse]) -> HttpResponse:
    with translation.override(lang):
        request.LANGUAGE_CODE = lang
        response = respond()
    if explicit_language(request):
        response.set_cookie(
            settings.LANGUAGE_COOKIE_NAME,
            lang,
            max_age=settings.LANGUAGE_COOKIE_AGE,
            samesite="Lax",
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
        )
    # A page whose URL names its language (the help centre's /help/ja/...) has said it already.
    response.setdefault("Content-Language", lang)
    patch_vary_headers(response, ("Accept-Language", "Cookie"))
    return response


def with_language(view: View) -> View:
    """Run a view (and render its templates) in the chosen language."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        return _answer_in(request, choose_language(request), lambda: view(request, *args, **kwargs))

    return wrapper


class PersonLanguageMiddleware:
    """Site-wide `with_language`; goes after AuthenticationMiddleware and LocaleMiddleware."""

    def __init__(self, get_response: View) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/"):
            # The API authenticates by token after middleware runs; it chooses its own language.
            return self.get_response(request)
        return _answer_in(request, choose_language(request), lambda: self.get_response(request))
