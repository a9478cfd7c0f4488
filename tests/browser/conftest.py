"""Browser tests: Playwright drives Debian's chromium (/usr/bin/chromium; no browser downloads)
against pytest-django's live server. Screenshots go to var/screenshots/ (docs/screenshots/
holds the ones shown in the README)."""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("POLICYDESK_CHROMIUM", "/usr/bin/chromium")
# axe-core from npm (package.json at the repository's root; `npm ci` installs it, .ci/run does).
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE_RULES = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
DOCS_SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
# The desk's clock in the journeys: Tue 1 Dec 2026, 03:00 UTC = 11:00 in Singapore, 12:00 in Tokyo.
CLOCK = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)

# Playwright's sync API runs an event loop in this thread; the ORM calls made by fixtures here
# are ordinary synchronous test set-up, not code running inside that loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not shutil.which(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield browser
        browser.close()


def watch_csp(page: Any, refused: list[str]) -> None:
    """Add to `refused` whatever the browser refuses on `page` under the Content-Security-Policy."""

    def listen(message: Any) -> None:
        if "Content Security Policy" in message.text:
            refused.append(f"{page.url}: {message.text}")

    page.on("console", listen)


def wait_for_requests_in_flight(timeout: float = 10.0) -> None:
    """The live server answers each request in a thread of its own (socketserver's
    ThreadingMixIn). A page's poll (presence, drafts, the notification counter) that was in
    flight when its context closed may still be using the database: wait for those threads,
    so that the test's database is not flushed under them."""
    deadline = time.monotonic() + timeout
    for thread in threading.enumerate():
        if "process_request_thread" in thread.name and thread is not threading.current_thread():
            thread.join(max(0.0, deadline - time.monotonic()))


@pytest.fixture
def page_for(browser: object, transactional_db: None) -> Iterator[object]:
    """page_for(locale, width=1280) -> a new page in a fresh context with that Accept-Language.
    Every page is watched: the test fails if the browser refused anything under the CSP.

    It depends on the test's database so that its pages close (and their requests end) before
    the database is flushed at the end of the test."""
    contexts = []
    refused: list[str] = []

    def make(locale: str = "en-US", width: int = 1280) -> object:
        context = browser.new_context(locale=locale, viewport={"width": width, "height": 900})  # type: ignore[attr-defined]
        contexts.append(context)
        context.on("page", lambda page: watch_csp(page, refused))
        return context.new_page()

    yield make
    for context in contexts:
        context.close()
    wait_for_requests_in_flight()
    assert refused == [], "the Content-Security-Policy refused something"


def screenshot(page: object, name: str) -> Path:
    """Save the whole page as var/screenshots/NAME.png; with POLICYDESK_DOCS_SCREENSHOTS=1, also
    as docs/screenshots/NAME.png (the pictures in the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)  # type: ignore[attr-defined]
    if os.environ.get("POLICYDESK_DOCS_SCREENSHOTS") == "1":
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / path.name)
    return path


@pytest.fixture
def desk(settings: Any, time_machine: Any) -> None:
    """The live server's clock set to CLOCK (ticking, so the pages' forms and redirects behave
    as usual; the whole process moves, the server's thread included), tasks recorded and not run,
    and cookies that live as long as the browser context whatever the real date is."""
    time_machine.move_to(CLOCK, tick=True)
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.SESSION_EXPIRE_AT_BROWSER_CLOSE = True
    settings.CSRF_COOKIE_AGE = None
    from django.core.cache import cache

    cache.clear()  # sign-in rate limits and used widget nonces of earlier tests


def sign_in(page: Any, base_url: str, email: str, password: str) -> None:
    """Sign in through the help center's password form, as a person would."""
    page.goto(f"{base_url}/signin/")
    form = page.get_by_test_id("signin-password-form")
    form.get_by_test_id("signin-email").locator("input").fill(email)
    form.get_by_test_id("signin-password").locator("input").fill(password)
    with page.expect_navigation():
        form.get_by_test_id("signin-submit").click()


def singapore_agent(personas: Any, password: str) -> Any:
    """Wei, an agent of a new Singapore office team (open at CLOCK: 11:00 there)."""
    from policydesk.tickets import actions

    singapore = actions.do_create_team(
        name="Singapore office", kind="office", office="singapore", actor=personas.admin, now=CLOCK
    )
    return actions.do_create_person(
        email="wei@example.com", password=password, role="agent", name="Wei", teams=(singapore,),
        actor=personas.admin, now=CLOCK,
    )  # fmt: skip


def assert_accessible(page: Any) -> None:
    """Run axe-core's WCAG 2 A and AA rules on `page` as it is now; fail listing each violation
    (rule, impact, what to fix and the elements).

    axe is run through Playwright's `evaluate` (the DevTools protocol), which the page's
    Content-Security-Policy does not govern: no script tag is added and the CSP stays on."""
    if not AXE.exists():
        pytest.fail(f"{AXE} is missing: run `npm ci --no-audit --no-fund` (.ci/run does)")
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.evaluate(AXE.read_text(encoding="utf-8") + "\n;0")
    result = page.evaluate(
        "rules => axe.run(document, {runOnly: {type: 'tag', values: rules}, resultTypes: ['violations']})",
        AXE_RULES,
    )
    found = [
        f"{violation['id']} ({violation['impact']}): {violation['help']}\n"
        + "\n".join(f"    {node['target']}: {node['failureSummary']}" for node in violation["nodes"])
        for violation in result["violations"]
    ]
    assert not found, f"axe found on {page.url}:\n" + "\n".join(found)
