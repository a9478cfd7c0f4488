"""The SLA metric figures docs/reports.md quotes, on the Nordlicht policy (examples/nordlicht.toml,
every metric promised): the metric reports by plan and the what-if replaying every metric under a
tighter Business next reply. The desk's three weeks are tests/reports/nordlicht_desk.py's.
`pytest -s` prints the tables the docs show."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import load_policy
from policydesk.reports import metric_report, tables
from policydesk.reports.queries import Period
from policydesk.reports.simulate import format_report, simulate
from policydesk.web.labels import Labels
from tests.conftest import Personas
from tests.reports.nordlicht_desk import FIGURES_AT, NORDLICHT, seed_nordlicht

PERIOD = Period(date(2026, 11, 9), date(2026, 11, 29))


@pytest.fixture
def nordlicht_desk(personas: Personas, settings: Any) -> None:
    settings.POLICYDESK_POLICY = str(NORDLICHT)
    assert get_policy().id == "nordlicht"
    seed_nordlicht(personas)


def text_of(table: tables.Table) -> list[str]:
    widths = [
        max(len(column.title), *(len(row[i]) for row in table.rows)) for i, column in enumerate(table.columns)
    ]
    lines = ["  ".join(c.title.ljust(w) for c, w in zip(table.columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in table.rows]
    return lines


def test_the_metric_figures_on_the_nordlicht_policy(nordlicht_desk: None, tmp_path: Path) -> None:
    policy = get_policy()
    report = metric_report.metric_report(policy, PERIOD, FIGURES_AT)
    by_plan, by_office, by_week = tables.metric_tables(report, Labels(policy, "en"))
    print("\n".join(text_of(by_plan)))
    print("\n".join(text_of(by_office)))
    print("\n".join(text_of(by_week)))
    # Every grouping counts the same instances.
    assert report is not None
    assert (
        sum(r.tickets for r in report.by_plan)
        == sum(r.tickets for r in report.by_office)
        == sum(r.tickets for r in report.by_week)
    )
    assert by_plan.rows == EXPECTED_BY_PLAN, by_plan.rows

    tighter = tmp_path / "tighter.toml"
    tighter.write_text(
        NORDLICHT.read_text(encoding="utf-8").replace(
            'next_reply = { business_hours = 4, text = { en = "Within 4 business hours of each',
            'next_reply = { business_hours = 2, text = { en = "Within 2 business hours of each',
        ),
        encoding="utf-8",
    )
    what_if = simulate(load_policy(tighter), date(2026, 11, 9), date(2026, 11, 30), now=FIGURES_AT)
    print(format_report(what_if))
    rows = {(row.metric, row.plan): row for row in what_if.metric_rows}
    # The what-if's replay of the histories under the policy in force gives the reports' figures,
    # which are rebuilt from the stored metric events.
    assert [
        (row.current.instances, row.current.met, row.current.breached) for row in what_if.metric_rows
    ] == [(r.tickets, r.met, r.breached) for r in report.by_plan]
    assert all(
        (row.current.met, row.current.breached) == (row.new.met, row.new.breached)
        for (metric, plan), row in rows.items()
        if (metric, plan) != ("next_reply", "business")
    )
    business = rows["next_reply", "business"]
    assert (business.current.met, business.current.breached, business.new.met, business.new.breached) == (
        EXPECTED_BUSINESS_NEXT_REPLY
    )


EXPECTED_BY_PLAN: list[list[str]] = [
    ["First response · Team", "36", "22", "14", "0", "61.1", "2.5", "10.0"],
    ["First response · Business", "36", "21", "15", "0", "58.3", "1.0", "13.0"],
    ["First response · Platinum", "18", "1", "17", "0", "5.6", "5.0", "20.0"],
    ["Next reply · Team", "22", "18", "4", "0", "81.8", "0.0", "4.8"],
    ["Next reply · Business", "30", "24", "6", "0", "80.0", "0.0", "8.7"],
    ["Next reply · Platinum", "13", "2", "11", "0", "15.4", "6.0", "10.0"],
    ["Periodic update · Business", "65", "48", "3", "14", "94.1", "0.0", "3.1"],
    ["Periodic update · Platinum", "30", "17", "7", "6", "70.8", "0.1", "10.0"],
    ["Resolution · Team", "40", "18", "2", "20", "90.0", "3.5", "11.0"],
    ["Resolution · Business", "37", "22", "1", "14", "95.7", "3.3", "14.8"],
    ["Resolution · Platinum", "19", "12", "1", "6", "92.3", "11.1", "26.0"],
]
EXPECTED_BUSINESS_NEXT_REPLY = (24, 6, 22, 8)  # 2 more breached at 2 business hours than at 4
