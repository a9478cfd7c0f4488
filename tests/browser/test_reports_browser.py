"""The attainment reports (C10) in a real browser: every chart is drawn, from the numbers of the
table beside it.

Seeded on the central-europe calendar (Mon-Fri 09:00-17:00 UTC; Growth: 16 business hours) and
the us-west one (Mon-Fri 17:00-01:00 UTC; Enterprise: 8 business hours); the clock is Tue 1 Dec
2026, 03:00 UTC:
  Growth     A Mon 11-23 09:00, answered 11:00                        met
             B Mon 11-23 10:00 (due Wed 10:00), answered Thu 09:00    breached
             C Wed 11-25 12:00 (due Fri 11-27 12:00), no answer        breached
             D Mon 11-30 15:00 (due Wed 12-02 15:00), no answer        pending
             G Tue 11-24 09:00, deflected by an agent at 10:00         met
  Enterprise E Tue 11-24 18:00, answered 20:00                        met
             F Tue 11-24 19:00 (due Wed 11-25 19:00), answered Mon 11-30  breached
  Premium    M Sun 11-29 03:00 critical bug (C6: 2 h, 24x7), answered 04:30  met
and one plan question deflected at intake (C17).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from policydesk.helpcentre import counting
from policydesk.reports.tables import cell
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.browser.conftest import screenshot, sign_in
from tests.conftest import Personas, new_customer, open_request, open_ticket

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def at(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def opened(requester: Person, created: datetime, topic: str = "troubleshooting") -> Ticket:
    return open_ticket(requester, topic, created, subject=f"{topic} {created:%a %H:%M}", text="Help, please.")


@pytest.fixture
def seeded(desk: None, personas: Personas) -> None:
    growth, enterprise = personas.customer, personas.other_org_customer
    europe, americas = personas.agent, personas.other_office_agent
    premium = new_customer(
        "mei@primo.example", "premium", "apac", organisation_name="Primo", actor=personas.admin, now=at(1, 0)
    )

    def answer(ticket: Ticket, agent: Person, when: datetime) -> None:
        actions.do_agent_reply(ticket=ticket, agent=agent, text="Here is what we found.", now=when)

    answer(opened(growth, at(23, 9)), europe, at(23, 11))
    answer(opened(growth, at(23, 10)), europe, at(26, 9))
    opened(growth, at(25, 12))
    opened(growth, at(30, 15))
    actions.do_deflect(
        ticket=opened(growth, at(24, 9)), agent=europe, topic="third-party-integration", now=at(24, 10)
    )
    answer(opened(enterprise, at(24, 18)), americas, at(24, 20))
    answer(opened(enterprise, at(24, 19)), americas, at(30, 18))
    answer(opened(premium, at(29, 3), "bug-report-critical"), personas.premium_agent, at(29, 4, 30))
    assert open_request(growth, "plan-question", at(25, 8), subject="Upgrade?", text="").deflection
    for day, query in ((24, "SAML login"), (25, "saml  login"), (26, "Invoice address")):
        counting.count_search_miss(query, at(day, 9))  # help-centre searches that found nothing


def table_of(section: Any) -> tuple[list[str], list[list[str]]]:
    """The column keys and the rows' text (first column included) of a report's table."""
    table = section.locator("table.report-table")
    keys = table.locator("thead th").evaluate_all("cells => cells.map(c => c.dataset.column)")
    rows = table.locator("tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.children, c => c.textContent.trim()))"
    )
    return keys, rows


def chart_draws_its_table(page: Any, slug: str) -> dict[str, Any]:
    """Assert that what Chart.js drew for report `slug` is what its json_script holds, and both
    are what its table says; the chart's data."""
    canvas = page.get_by_test_id(f"chart-{slug}")
    drawn = canvas.evaluate(
        "c => ({labels: c.chart.data.labels, "
        "datasets: c.chart.data.datasets.map(d => ({label: d.label, data: d.data}))})"
    )
    spec: dict[str, Any] = json.loads(page.locator(f"#chart-data-{slug}").text_content())
    section = page.get_by_test_id(f"report-{slug}")
    keys, rows = table_of(section)
    titles = section.locator("table.report-table thead th").all_inner_texts()
    assert drawn["labels"] == spec["labels"] == [row[0] for row in rows], slug
    assert [d["data"] for d in drawn["datasets"]] == [s["data"] for s in spec["series"]], slug
    for dataset, series in zip(drawn["datasets"], spec["series"], strict=True):
        column = keys.index(series["key"])
        assert dataset["label"] == titles[column], slug
        assert [cell(value) for value in dataset["data"]] == [row[column] for row in rows], slug
    return spec


def test_reports_draw_each_chart_from_the_numbers_in_its_table(
    live_server: Any, page_for: Any, seeded: None, personas: Personas
) -> None:
    page = page_for("en-US", width=1440)
    sign_in(page, live_server.url, personas.lead.email, "pw-" + personas.lead.email)
    page.get_by_test_id("nav-reports").click()
    form = page.get_by_test_id("period-form")
    form.locator("input[name=start]").fill("2026-11-16")
    form.locator("input[name=end]").fill("2026-12-01")
    with page.expect_navigation():
        form.get_by_test_id("period-submit").click()
    assert page.url.endswith("/console/reports/?start=2026-11-16&end=2026-12-01&tag=")  # no tag: every ticket

    # The figures: 8 tickets, 4 met, 3 breached, 1 pending; attainment 4 / 7.
    assert page.get_by_test_id("report-summary").inner_text() == (
        "8 tickets: 4 met, 3 breached, 1 pending; attainment 57.1%."
    )
    keys, rows = table_of(page.get_by_test_id("report-by-plan"))
    assert keys[:6] == ["group", "tickets", "met", "breached", "pending", "no_target"]
    assert [row[:6] for row in rows] == [
        ["Growth", "5", "2", "2", "1", "0"],
        ["Enterprise", "2", "1", "1", "0", "0"],
        ["Premium Success", "1", "1", "0", "0", "0"],
    ]
    _, critical = table_of(page.get_by_test_id("report-mission-critical"))
    assert [row[:4] for row in critical] == [
        ["Week of 2026-11-16", "0", "0", "0"],
        ["Week of 2026-11-23", "1", "1", "0"],
        ["Week of 2026-11-30", "0", "0", "0"],
    ]
    assert critical[1][7] == "1.5"  # median hours to first response, around the clock (C6)

    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 9  # every report but the articles' has rows (by tag: "No tag")
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        slug = canvas.get_attribute("data-testid").removeprefix("chart-")
        assert canvas.get_attribute("data-drawn") == "true", slug
        assert canvas.is_visible(), slug
        box = canvas.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 150, slug
        painted = canvas.evaluate(
            """c => { const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
                      let n = 0; for (let i = 3; i < d.length; i += 4) { if (d[i]) n++; } return n; }"""
        )
        assert painted > 1000, slug  # bars, axes and legend, not an empty canvas

        assert chart_draws_its_table(page, slug)["series"], slug

    screenshot(page, "reports")
