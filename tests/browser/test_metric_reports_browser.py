"""The SLA metric reports (issue 15) in a real browser, on the Nordlicht policy (every metric
promised) with tests/reports/nordlicht_desk.py's tickets up to the browser clock (Tue 1 Dec 2026,
03:00 UTC): each metric chart is drawn, from the numbers of the table beside it."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.desk_policy import get_policy
from policydesk.reports.tables import METRIC_SLUGS
from tests.browser.conftest import CLOCK, screenshot, sign_in
from tests.browser.test_reports_browser import chart_draws_its_table, table_of
from tests.conftest import Personas
from tests.reports.nordlicht_desk import NORDLICHT, seed_nordlicht

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def nordlicht_desk(desk: None, personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_POLICY = str(NORDLICHT)
    assert get_policy().id == "nordlicht"
    seed_nordlicht(personas, until=CLOCK)


def test_metric_charts_draw_the_numbers_of_their_tables(
    live_server: Any, page_for: Any, nordlicht_desk: None, personas: Personas
) -> None:
    page = page_for("en-US", width=1440)
    sign_in(page, live_server.url, personas.lead.email, "pw-" + personas.lead.email)
    page.goto(f"{live_server.url}/console/reports/?start=2026-11-09&end=2026-11-30")
    keys, rows = table_of(page.get_by_test_id("report-metrics-by-plan"))
    assert keys == [
        "group",
        "instances",
        "met",
        "breached",
        "pending",
        "attainment",
        "median_hours",
        "p90_hours",
    ]
    assert [row[0] for row in rows][:3] == [
        "First response · Team", "First response · Business", "First response · Platinum",
    ]  # fmt: skip
    assert sum(int(row[1]) for row in rows if row[0].startswith("First response")) == 90
    for slug in METRIC_SLUGS:
        canvas = page.get_by_test_id(f"chart-{slug}")
        canvas.scroll_into_view_if_needed()
        assert canvas.get_attribute("data-drawn") == "true", slug
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 150, slug
        spec = chart_draws_its_table(page, slug)
        assert [s["key"] for s in spec["series"]] == ["met", "breached", "pending"], slug
    screenshot(page, "reports-metrics")
