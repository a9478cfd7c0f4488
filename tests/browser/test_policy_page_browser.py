"""The public policy page in a real browser, in both languages."""

from __future__ import annotations

import pytest

from tests.browser.conftest import screenshot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_policy_page_follows_the_browser_language(live_server: object, page_for: object) -> None:
    page = page_for("ja-JP")  # type: ignore[operator]
    page.goto(f"{live_server.url}/policy/")  # type: ignore[attr-defined]
    assert page.locator("h1").inner_text() == "Example Analytics サポート：チケット／メールポリシー"
    assert page.locator("table.policy-table").first.is_visible()
    screenshot(page, "policy-ja")
    english = page_for("en-US")  # type: ignore[operator]
    english.goto(f"{live_server.url}/policy/")  # type: ignore[attr-defined]
    assert "Premium Success" in english.locator("table.policy-table").first.inner_text()
    screenshot(english, "policy-en")
