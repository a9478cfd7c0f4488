from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import URLPattern, URLResolver, re_path
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from policydesk.api.errors import DeskNinjaAPI, error_response


def _with_json_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a wrong method with a plain-text 405; give it the API's error body."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            replacement = error_response(405, _("This method is not allowed here."))
            replacement["Allow"] = response.get("Allow", "")
            return replacement
        return response

    return wrapped


@csrf_exempt
def unknown_endpoint(request: HttpRequest, path: str) -> HttpResponse:
    return error_response(404, _("There is no such API endpoint."))


def api_patterns(api: DeskNinjaAPI) -> list[URLPattern | URLResolver]:
    """The URL patterns of `api`: a wrong method answers with the API's error body, and
    every other path under it with a JSON 404. Include them in the "api" namespace."""
    patterns: list[URLPattern | URLResolver] = []
    for pattern in api.urls[0]:
        if isinstance(pattern, URLPattern):
            pattern = URLPattern(
                pattern.pattern, _with_json_405(pattern.callback), pattern.default_args, pattern.name
            )
        patterns.append(pattern)
    return [*patterns, re_path(r"^(?P<path>.*)$", unknown_endpoint)]
