"""The Content-Security-Policy in a real browser (issue 9, finding 11): the pages that run the
most script, the admin and the API docs (Swagger UI, from our own static files), work under it
and the browser refuses nothing (page_for fails a test on any refusal it logs)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_admin_works_under_the_policy(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    page = page_for("en-US", width=1440)
    page.goto(f"{live_server.url}/admin/login/")
    page.locator("input[name=username]").fill(personas.admin.email)
    page.locator("input[name=password]").fill("pw-admin-1")
    with page.expect_navigation():
        page.locator("input[type=submit]").click()
    assert page.url == f"{live_server.url}/admin/"
    page.goto(f"{live_server.url}/admin/tickets/person/add/")
    assert page.locator("form#person_form").is_visible()
    # The admin's own scripts ran: the navigation sidebar toggle is wired up.
    assert page.locator("#toggle-nav-sidebar").count() == 1


def test_api_docs_render_swagger_from_our_static_files(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    page = page_for("en-US", width=1440)
    outside: list[str] = []
    page.on(
        "request",
        lambda request: outside.append(request.url) if not request.url.startswith(live_server.url) else None,
    )
    page.goto(f"{live_server.url}/api/v1/docs")
    page.locator(".swagger-ui .info .title").wait_for()
    assert "policydesk" in page.locator(".swagger-ui .info .title").inner_text()
    page.locator(".opblock").first.wait_for()  # the operations came from openapi.json
    assert outside == []
