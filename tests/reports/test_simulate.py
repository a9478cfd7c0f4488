"""Policy what-if: the seeded tickets replayed under a stricter policy (C3, C10)."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import default_policy_path, load_policy
from policydesk.policy.model import Policy
from policydesk.policy.triage import Request, triage
from policydesk.reports import queries
from policydesk.reports.simulate import format_report, replay, simulate
from policydesk.tickets.models import Ticket
from tests.conftest import Personas, open_ticket
from tests.reports.conftest import PERIOD, REPORT_NOW, at

GROWTH_TWO_DAYS = (
    'first_response = { business_days = 2, text = { en = "Initial response within 2 business days"'
)
START, END = date(2026, 11, 2), date(2026, 11, 16)


def edited_policy(tmp_path: Path, old: str, new: str) -> Policy:
    """A copy of the bundled policy with one edit, loaded from tmp_path."""
    text = default_policy_path().read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path = tmp_path / "new.toml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return load_policy(path)


@pytest.fixture
def stricter(tmp_path: Path) -> Policy:
    """Growth's 2 business days become 3 business hours."""
    return edited_policy(
        tmp_path,
        GROWTH_TWO_DAYS,
        'first_response = { business_hours = 3, text = { en = "Initial response within 3 business hours"',
    )


def test_stricter_policy_shows_lower_attainment_for_the_plan_it_changes(
    seeded: dict[str, Ticket], stricter: Policy
) -> None:
    report = simulate(stricter, START, END, now=REPORT_NOW)
    rows = {(r.plan, r.office): r for r in report.rows}
    growth = rows[("growth", "central-europe")]
    assert growth.tickets == 6
    assert (growth.current.met, growth.current.breached, growth.current.pending) == (3, 2, 1)
    # 3 business hours: G1 (2 h) and G6 (2 h) still met; G4 (4 h) now breached; G5 was due Fri 17:00.
    assert (growth.new.met, growth.new.breached, growth.new.pending) == (2, 4, 0)
    assert growth.current.attainment == 60.0
    assert round(growth.new.attainment or 0, 1) == 33.3
    assert round(growth.difference or 0, 1) == -26.7
    # Plans the edit does not touch keep their figures.
    enterprise = rows[("enterprise", "us-west")]
    assert (enterprise.current.met, enterprise.new.met, enterprise.difference) == (2, 2, 0.0)
    premium = rows[("premium", "global")]
    assert (premium.new.met, premium.new.breached) == (1, 1)
    assert report.total.tickets == 11
    assert report.total.new.attainment is not None and report.total.current.attainment is not None
    assert report.total.new.attainment < report.total.current.attainment


def test_the_same_policy_replays_to_the_recorded_figures(seeded: dict[str, Ticket]) -> None:
    report = simulate(get_policy(), START, END, now=REPORT_NOW)
    for row in [*report.rows, report.total]:
        assert row.current == row.new, row.plan
        assert row.difference in (0.0, None)


def test_vectorised_replay_agrees_with_triage_ticket_by_ticket(
    seeded: dict[str, Ticket], stricter: Policy
) -> None:
    facts = queries.ticket_facts(PERIOD, REPORT_NOW)
    for item in replay(stricter, facts):
        fact = item.facts
        decision = triage(
            stricter,
            Request(id="x", plan=fact.plan, region=fact.region, topic=fact.topic, created_at=fact.created_at),
        )
        assert item.new_due == decision.first_response_due, fact.number


def test_a_plan_missing_from_the_new_policy_is_counted_apart(
    seeded: dict[str, Ticket], tmp_path: Path
) -> None:
    renamed = edited_policy(tmp_path, "[plans.plus]", "[plans.plus-2027]")
    report = simulate(renamed, START, END, now=REPORT_NOW)
    assert report.total.not_replayable == 1
    assert "1 tickets could not be replayed" in format_report(report)


def test_a_plan_deflected_under_the_new_policy_is_counted(seeded: dict[str, Ticket], tmp_path: Path) -> None:
    # Enterprise loses troubleshooting: its tickets would have gone to the community (C2).
    text = default_policy_path().read_text(encoding="utf-8")
    start = text.index("[plans.enterprise]")
    edited = text[:start] + text[start:].replace(
        'handled_by = "region"',
        'handled_by = "region"\nrequest_types = ["bug-report", "service-task"]',
        1,
    )
    path = tmp_path / "narrow.toml"
    path.write_text(edited, encoding="utf-8")
    report = simulate(load_policy(path), START, END, now=REPORT_NOW)
    enterprise = next(r for r in report.rows if r.plan == "enterprise")
    assert enterprise.deflected == 2 and enterprise.new.no_target == 2


def test_report_text_lists_plans_offices_and_the_change(seeded: dict[str, Ticket], stricter: Policy) -> None:
    text = format_report(simulate(stricter, START, END, now=REPORT_NOW))
    lines = text.splitlines()
    assert lines[0] == "Policy what-if: tickets created from 2026-11-02 to 2026-11-16 (end excluded)"
    growth = next(line for line in lines if line.startswith("growth"))
    assert growth.split() == [
        "growth",
        "central-europe",
        "6",
        "3",
        "2",
        "60.0%",
        "2",
        "4",
        "33.3%",
        "-26.7",
        "pp",
    ]
    assert next(line for line in lines if line.startswith("all")).split()[:2] == ["all", "11"]


def test_an_empty_period_says_so(db: None, stricter: Policy) -> None:
    text = format_report(simulate(stricter, date(2020, 1, 1), date(2020, 2, 1), now=REPORT_NOW))
    assert "No tickets were created in this period." in text


def test_to_must_be_after_from(db: None, stricter: Policy) -> None:
    with pytest.raises(ValueError, match="must be after"):
        simulate(stricter, END, START, now=REPORT_NOW)


def test_a_ticket_an_agent_took_down_by_phone_replays_as_the_policy_channel_it_was_triaged_on(
    personas: Personas, tmp_path: Path
) -> None:
    """Triage saw the help-center form for it (tickets.models.triage_channel); so does the replay,
    even under a policy whose plan takes only web and email (C13)."""
    open_ticket(personas.customer, "troubleshooting", at(10, 12), channel="phone", entered_by=personas.agent)
    narrow = edited_policy(tmp_path, "[plans.growth]\n", '[plans.growth]\nchannels = ["web", "email"]\n')
    (replayed,) = replay(narrow, queries.ticket_facts(PERIOD, REPORT_NOW))
    assert not replayed.deflected and replayed.new_due is not None
