"""The public status page (C16): an incident engineering posts from the console is visible to
anyone, in English and in Japanese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from policydesk.status import actions as status_actions
from policydesk.status.models import Incident
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.conftest import Personas

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TITLE = "Dashboards load slowly"
TITLE_JA = "ダッシュボードの読み込みが遅延しています"
BODY = "We are investigating slow dashboard loads for customers in Asia Pacific."
BODY_JA = "アジア太平洋地域のお客様で、ダッシュボードの読み込みが遅い問題を調査しています。"


def test_incident_posted_by_staff_is_public_in_english_and_japanese(
    live_server: Any, page_for: Any, desk: None, personas: Personas
) -> None:
    staff = personas.agent
    dashboards = status_actions.do_create_component(
        slug="dashboards", name="Dashboards", name_ja="ダッシュボード", position=1, actor=staff, now=CLOCK
    )
    status_actions.do_create_component(
        slug="api", name="REST API", name_ja="REST API", position=2, actor=staff, now=CLOCK
    )
    earlier = status_actions.do_open_incident(
        title="Delayed e-mail reports", title_ja="メールレポートの遅延", severity="minor",
        body="Scheduled reports are sent late.", body_ja="定期レポートの送信が遅れています。",
        actor=staff, now=CLOCK - timedelta(days=3),
    )  # fmt: skip
    status_actions.do_post_incident_update(
        incident=earlier, state="resolved", body="All reports were sent.",
        body_ja="すべてのレポートを送信しました。", actor=staff, now=CLOCK - timedelta(days=3, hours=-2),
    )  # fmt: skip

    # Engineering publishes the incident from the console.
    console = page_for("en-US", width=1440)
    sign_in(console, live_server.url, staff.email, "pw-" + staff.email)
    console.get_by_test_id("nav-status").click()
    form = console.get_by_test_id("incident-form")
    form.locator("#id_title").fill(TITLE)
    form.locator("#id_title_ja").fill(TITLE_JA)
    form.locator("#id_severity").select_option("major")
    form.locator("#id_state").select_option("investigating")
    form.locator(f"input[name=components][value='{dashboards.pk}']").check()
    form.locator("#id_body").fill(BODY)
    form.locator("#id_body_ja").fill(BODY_JA)
    with console.expect_navigation():
        form.get_by_test_id("incident-submit").click()
    incident = Incident.objects.get(title=TITLE)
    assert console.get_by_test_id(f"incident-{incident.pk}").is_visible()

    # Anyone, without signing in, in English ...
    english = page_for("en-US")
    assert english.goto(f"{live_server.url}/status/").status == 200
    assert english.get_by_test_id("status-summary").get_attribute("class") == "status-summary not-ok"
    current = english.get_by_test_id("current-incidents").get_by_test_id(f"incident-{incident.pk}")
    assert current.get_by_test_id("incident-title").inner_text() == TITLE
    assert current.get_by_test_id("incident-update").inner_text().endswith(BODY)
    assert current.get_by_test_id("incident-components").inner_text().endswith("Dashboards")
    assert english.get_by_test_id("component-dashboards").get_attribute("data-state") == "partial-outage"
    assert english.get_by_test_id("component-api").get_attribute("data-state") == "operational"
    history = english.get_by_test_id("incident-history")
    assert history.get_by_test_id(f"incident-{earlier.pk}").get_attribute("data-state") == "resolved"
    assert TITLE_JA not in english.content()
    screenshot(english, "status-en")

    # ... and in Japanese, by the browser's language.
    japanese = page_for("ja-JP")
    japanese.goto(f"{live_server.url}/status/")
    assert japanese.locator("html").get_attribute("lang") == "ja"
    current = japanese.get_by_test_id("current-incidents").get_by_test_id(f"incident-{incident.pk}")
    assert current.get_by_test_id("incident-title").inner_text() == TITLE_JA
    assert current.get_by_test_id("incident-update").inner_text().endswith(BODY_JA)
    assert current.get_by_test_id("incident-components").inner_text().endswith("ダッシュボード")
    assert "メールレポートの遅延" in japanese.get_by_test_id("incident-history").inner_text()
    screenshot(japanese, "status-ja")
