"""The desk's URLs (`policydesk/urls.py`): the API is mounted first, so that its requests are
resolved before the pages' patterns are tried (issue 17); that order must shadow nothing."""

from __future__ import annotations

from collections.abc import Iterator

from django.urls import URLPattern, URLResolver, get_resolver, resolve


def _routes(patterns: list[URLPattern | URLResolver], prefix: str = "") -> Iterator[str]:
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, route)
        else:
            yield route


def test_the_api_is_tried_first_and_no_other_route_could_answer_under_its_prefix() -> None:
    top = get_resolver().url_patterns
    assert str(top[0].pattern) == "api/v1/"
    others = list(_routes(top[1:]))
    assert len(others) > 50  # the pages, the admin, the status page...
    # A route under the API's prefix, or one that starts with a parameter (which could take "api"),
    # would now be shadowed where it was reached before.
    assert [route for route in others if route.startswith(("api", "<", "^api", "^(?P"))] == []
    assert resolve("/api/v1/tickets").namespace == "api"
    assert resolve("/healthz").url_name == "healthz"
