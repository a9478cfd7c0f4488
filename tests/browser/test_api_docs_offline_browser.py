"""The API docs page works with no internet (issue 16): Swagger UI's script and styles are the
desk's own static files, so a browser that may reach nothing but the desk still renders every
operation."""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_api_docs_render_with_every_other_host_unreachable(page_for: Any, live_server: Any) -> None:
    page = page_for("en-US", 1280)
    elsewhere: list[str] = []

    def only_the_desk(route: Any) -> None:
        if route.request.url.startswith(live_server.url):
            route.continue_()
        else:  # the internet is not there
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", only_the_desk)
    page.goto(f"{live_server.url}/api/v1/docs")
    operation = page.locator(".opblock-summary-path", has_text="/api/v1/tickets").first
    operation.wait_for(timeout=15000)
    assert page.locator(".swagger-ui .info .title").inner_text().startswith("policydesk")
    assert page.locator(".opblock").count() > 20
    assert elsewhere == []
