"""Report figures from the audit events, on seeded tickets with known answers (C3, C6, C10)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from policydesk.desk_policy import get_policy
from policydesk.reports import queries
from policydesk.reports.queries import Outcome, classify
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import Personas, open_ticket
from tests.reports.conftest import HOUR, PERIOD, REPORT_NOW, at


def by_key(rows: list[queries.Attainment]) -> dict[str, queries.Attainment]:
    return {row.key: row for row in rows}


def test_classify_counts_an_answer_at_the_due_instant_as_met() -> None:
    due = at(3, 17)
    assert classify(due, due, REPORT_NOW) is Outcome.MET
    assert classify(due, due + timedelta(seconds=1), REPORT_NOW) is Outcome.BREACHED
    assert classify(due, None, due) is Outcome.PENDING
    assert classify(due, None, due + timedelta(seconds=1)) is Outcome.BREACHED
    assert classify(None, None, REPORT_NOW) is Outcome.NO_TARGET


def test_seeded_dues_are_what_the_fixture_says(seeded: dict[str, Ticket]) -> None:
    assert seeded["G2"].first_response_due == at(3, 17)
    assert seeded["G3"].first_response_due == at(12, 12)
    assert seeded["G5"].first_response_due == at(17, 14)
    assert seeded["E2"].first_response_due == at(12, 23)  # Veterans Day skipped
    assert seeded["M1"].first_response_due == at(8, 5) and seeded["M1"].mission_critical
    assert seeded["P1"].first_response_due is None


def test_only_tickets_opened_in_the_period_count(seeded: dict[str, Ticket]) -> None:
    facts = queries.ticket_facts(PERIOD, REPORT_NOW)
    assert sorted(f.number for f in facts) == sorted(t.number for t in seeded.values())


def test_first_answer_is_the_first_reply_or_the_deflection(seeded: dict[str, Ticket]) -> None:
    facts = {f.ticket_id: f for f in queries.ticket_facts(PERIOD, REPORT_NOW)}
    assert facts[seeded["M2"].pk].answered_at == at(14, 13)
    assert facts[seeded["G6"].pk].answered_at == at(4, 11)
    assert facts[seeded["G3"].pk].answered_at is None


def test_business_time_to_first_answer_counts_only_open_hours(seeded: dict[str, Ticket]) -> None:
    facts = queries.ticket_facts(PERIOD, REPORT_NOW)
    seconds = queries.business_seconds_to_answer(get_policy(), facts)
    assert seconds[seeded["G1"].pk] == 2 * HOUR  # Friday 16-17 and Monday 09-10: the weekend is closed
    assert seconds[seeded["G2"].pk] == 17 * HOUR
    assert seconds[seeded["E2"].pk] == 7 * HOUR  # the US holiday is closed
    assert seconds[seeded["M1"].pk] == int(1.5 * HOUR)  # 24x7
    assert seeded["G3"].pk not in seconds and seeded["P1"].pk not in seconds


def test_attainment_by_plan(seeded: dict[str, Ticket]) -> None:
    report = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW)
    plans = by_key(report.by_plan)
    assert list(plans) == ["plus", "growth", "enterprise", "premium"]  # the policy's order
    growth = plans["growth"]
    assert (growth.tickets, growth.met, growth.breached, growth.pending, growth.no_target) == (6, 3, 2, 1, 0)
    assert growth.attainment == 60.0
    assert growth.median_seconds == 3 * HOUR  # of 2, 2, 4, 17 hours
    assert growth.p90_seconds == 17 * HOUR  # nearest rank: the 4th of 4
    enterprise = plans["enterprise"]
    assert (enterprise.met, enterprise.breached, enterprise.median_seconds) == (2, 0, 7 * HOUR)
    assert enterprise.attainment == 100.0
    assert (plans["plus"].tickets, plans["plus"].no_target, plans["plus"].attainment) == (1, 1, None)
    premium = plans["premium"]
    assert (premium.met, premium.breached, premium.median_seconds) == (1, 1, 2.25 * HOUR)


def test_attainment_by_office_and_total(seeded: dict[str, Ticket]) -> None:
    report = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW)
    offices = by_key(report.by_office)
    assert list(offices) == ["us-west", "central-europe", "global"]  # the policy's order
    assert (offices["us-west"].tickets, offices["us-west"].met, offices["us-west"].no_target) == (3, 2, 1)
    assert (offices["global"].met, offices["global"].breached) == (1, 1)
    total = report.total
    assert (total.tickets, total.met, total.breached, total.pending, total.no_target) == (11, 6, 3, 1, 1)
    assert round(total.attainment or 0, 1) == 66.7


def test_attainment_by_week_keeps_empty_weeks_and_splits_on_mondays(seeded: dict[str, Ticket]) -> None:
    report = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW)
    weeks = by_key(report.by_week)
    assert list(weeks) == ["2026-11-02", "2026-11-09"]
    first, second = weeks["2026-11-02"], weeks["2026-11-09"]
    assert (first.tickets, first.met, first.breached, first.pending) == (4, 3, 1, 0)
    assert first.median_seconds == 2 * HOUR and first.p90_seconds == 17 * HOUR  # of 1.5, 2, 2, 17
    assert (second.tickets, second.met, second.breached, second.pending, second.no_target) == (7, 3, 2, 1, 1)
    assert second.median_seconds == 5.5 * HOUR  # of 3, 4, 7, 7


def test_mission_critical_response_times_by_week(seeded: dict[str, Ticket]) -> None:
    report = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW)
    weeks = by_key(report.mission_critical)
    assert (weeks["2026-11-02"].met, weeks["2026-11-02"].median_seconds) == (1, 1.5 * HOUR)
    assert (weeks["2026-11-09"].breached, weeks["2026-11-09"].median_seconds) == (1, 3 * HOUR)


def test_a_pending_ticket_becomes_breached_once_its_due_passes(seeded: dict[str, Ticket]) -> None:
    later = at(17, 14) + timedelta(seconds=1)
    growth = by_key(queries.attainment_report(get_policy(), PERIOD, later).by_plan)["growth"]
    assert (growth.pending, growth.breached) == (0, 3)


def test_figures_as_of_an_earlier_now_ignore_later_answers(seeded: dict[str, Ticket]) -> None:
    # On Wed 11-04 09:30 G2 is past due and unanswered; G1, G3-G5 do not exist yet.
    then = at(4, 9, 30)
    report = queries.attainment_report(get_policy(), PERIOD, then)
    assert (report.total.tickets, report.total.breached, report.total.pending) == (2, 1, 1)


def test_deflections_by_topic_and_route(seeded: dict[str, Ticket]) -> None:
    report = queries.deflection_report(get_policy(), PERIOD, REPORT_NOW)
    topics = {d.key: (d.at_intake, d.by_agent) for d in report.by_topic}
    assert topics == {"third-party-integration": (0, 1), "plan-question": (2, 0), "feature-request": (1, 0)}
    routes = {d.key: d.total for d in report.by_route}
    assert routes["account-executive"] == 2 and sum(routes.values()) == 4


def test_backlog_by_queue_now(seeded: dict[str, Ticket]) -> None:
    rows = {b.queue: b for b in queries.backlog_report(get_policy(), REPORT_NOW)}
    europe = rows["central-europe"]
    # G1-G5 and the two tickets outside the period (11-01 23:59: overdue; 11-16 09:00: not yet
    # due); G6 is solved.
    assert (europe.open, europe.unanswered, europe.overdue) == (7, 4, 2)
    assert (rows["us-west"].open, rows["us-west"].unanswered, rows["us-west"].overdue) == (3, 1, 0)
    assert (rows["global"].open, rows["global"].mission_critical) == (2, 2)


def test_default_period_is_eight_weeks_from_a_monday() -> None:
    period = queries.Period.default(REPORT_NOW)
    assert (period.start.isoformat(), period.end.isoformat()) == ("2026-09-28", "2026-11-16")
    assert len(period.weeks()) == 8


def test_a_retyped_ticket_is_measured_against_its_new_promise(
    personas: Personas, premium_customer: Person
) -> None:
    """An agent corrects the request type: triage runs again, and the reports read the promise from
    that audit row, as the ticket page shows it (here C6: mission-critical, 2 h on 24x7)."""
    created = at(10, 12)
    ticket = open_ticket(premium_customer, "bug-report", created)
    retyped = created + timedelta(minutes=5)
    agent = personas.premium_agent
    actions.do_change_request_type(ticket=ticket, topic="bug-report-critical", agent=agent, now=retyped)
    fact = {f.ticket_id: f for f in queries.ticket_facts(PERIOD, REPORT_NOW)}[ticket.pk]
    assert fact.due == created + timedelta(hours=2) and fact.mission_critical and fact.office == "global"
    # As of a moment before the change, the opening promise still stands (24 business hours later).
    before = {f.ticket_id: f for f in queries.ticket_facts(PERIOD, retyped - timedelta(minutes=1))}[ticket.pk]
    assert not before.mission_critical and before.due is not None
    assert before.due > created + timedelta(hours=2)


def _tag(seeded: dict[str, Ticket], lead: Person, tags: dict[str, list[str]]) -> None:
    for key, names in tags.items():
        actions.do_set_tags(ticket=seeded[key], tags=names, actor=lead, now=REPORT_NOW)


def test_attainment_by_tag_counts_a_ticket_under_each_of_its_tags(
    seeded: dict[str, Ticket], personas: Personas
) -> None:
    _tag(
        seeded,
        personas.lead,
        {"G1": ["billing"], "G2": ["billing", "export"], "E1": ["export"], "M2": ["export"]},
    )
    rows = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW).by_tag
    assert [row.key for row in rows] == ["export", "billing", queries.UNTAGGED]  # most tickets first
    export, billing, untagged = rows
    assert (export.tickets, export.met, export.breached) == (3, 1, 2)  # G2 and M2 breached, E1 met
    assert (billing.tickets, billing.met, billing.breached) == (2, 1, 1)
    assert untagged.tickets == 11 - 4


def test_the_by_tag_report_keeps_the_tags_of_the_most_tickets(
    seeded: dict[str, Ticket], personas: Personas, monkeypatch: Any
) -> None:
    monkeypatch.setattr(queries, "MAX_TAG_ROWS", 2)
    _tag(seeded, personas.lead, {"G1": ["a", "b", "c"], "G2": ["b", "c"], "G3": ["c"]})
    rows = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW).by_tag
    assert [(row.key, row.tickets) for row in rows] == [("c", 3), ("b", 2), (queries.UNTAGGED, 8)]


def test_a_tag_filters_the_attainment_and_the_backlog(seeded: dict[str, Ticket], personas: Personas) -> None:
    _tag(seeded, personas.lead, {"G3": ["billing"], "G5": ["billing"], "E1": ["billing"]})
    report = queries.attainment_report(get_policy(), PERIOD, REPORT_NOW, tag="billing")
    assert (report.total.tickets, report.total.met, report.total.breached, report.total.pending) == (
        3,
        1,
        1,
        1,
    )
    assert [row.key for row in report.by_tag] == ["billing"]
    backlog = {b.queue: b.open for b in queries.backlog_report(get_policy(), REPORT_NOW, tag="billing")}
    assert backlog == {"central-europe": 2, "us-west": 1}  # still open: G3, G5, E1 (waiting on Other)
    assert queries.attainment_report(get_policy(), PERIOD, REPORT_NOW, tag="nothing").total.tickets == 0
