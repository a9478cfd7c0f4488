"""`policydesk policy simulate` replays every SLA metric (issue 15): the tickets' histories, as the
real actions recorded them under the bundled policy (first response only), replayed under a policy
whose Growth plan promises every metric. Growth, central-europe (Mon-Fri 09:00-17:00 UTC):
  T1 Tue 12-01 10:00 opened; 11:00 asked (pending); 13:00 the customer answers; 14:00 solved with
     a reply: every metric met.
  T2 Tue 12-01 10:00 opened; Thu 12-03 11:00 first reply (due Thu 10:00: breached), pending.
Replayed on Fri 12-04 12:00 UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from django.core.management import call_command

from policydesk.policy.loading import default_policy_path, load_policy
from policydesk.reports.simulate import simulate
from tests.conftest import GROWTH_METRICS, Personas
from tests.reports.conftest import two_growth_timelines

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


@pytest.fixture
def every_metric_file(tmp_path: Path) -> Path:
    text = default_policy_path().read_text(encoding="utf-8")
    path = tmp_path / "every-metric.toml"
    path.write_text(text.replace("[plans.growth]\n", "[plans.growth]\n" + GROWTH_METRICS), encoding="utf-8")
    return path


@pytest.fixture
def timelines(personas: Personas) -> None:
    two_growth_timelines(personas)


def figures(report_rows: list) -> dict[tuple[str, str], tuple[int, int, int, int, int, int]]:  # type: ignore[type-arg]
    return {
        (row.metric, row.plan): (
            row.current.instances, row.current.met, row.current.breached,
            row.new.instances, row.new.met, row.new.breached,
        )
        for row in report_rows
    }  # fmt: skip


def test_every_metric_is_replayed_under_both_policies(timelines: None, every_metric_file: Path) -> None:
    report = simulate(load_policy(every_metric_file), date(2026, 11, 30), date(2026, 12, 5), now=NOW)
    assert figures(report.metric_rows) == {
        ("first_response", "growth"): (2, 1, 1, 2, 1, 1),
        ("next_reply", "growth"): (0, 0, 0, 1, 1, 0),
        ("periodic_update", "growth"): (0, 0, 0, 3, 2, 0),  # T2's is paused: pending
        ("resolution", "growth"): (0, 0, 0, 2, 1, 0),  # T2's is paused
    }


def test_a_tighter_next_reply_shows_its_breaches(
    timelines: None, tmp_path: Path, every_metric_file: Path
) -> None:
    # Half an hour instead of 2 business hours: T1's next reply (13:00 to 14:00) is late.
    text = every_metric_file.read_text(encoding="utf-8").replace(
        "next_reply = { business_hours = 2,", "next_reply = { business_minutes = 30,"
    )
    tighter = tmp_path / "tighter.toml"
    tighter.write_text(text, encoding="utf-8")
    report = simulate(load_policy(tighter), date(2026, 11, 30), date(2026, 12, 5), now=NOW)
    assert figures(report.metric_rows)["next_reply", "growth"] == (0, 0, 0, 1, 0, 1)


def test_the_command_prints_the_metric_section(timelines: None, every_metric_file: Path) -> None:
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("policy", "simulate", "--policy", str(every_metric_file), "--from", "2026-11-30",
                     "--to", "2026-12-05", stdout=out)  # fmt: skip
    lines = out.getvalue().splitlines()
    assert any(line.startswith("Every metric, each ticket's history replayed") for line in lines)
    resolution = next(line for line in lines if line.startswith("resolution"))
    assert resolution.split() == ["resolution", "growth", "0", "0", "0", "-", "2", "1", "0", "100.0%", "-"]
