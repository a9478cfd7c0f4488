"""A bulk change re-plans its tickets' SLA timers together, at the end of each chunk
(`timers.planning_together`, `timers.plan_tickets`): the same timers as one change at a time,
in a number of queries that does not grow with the tickets (issue 13's 5,000-ticket goal).

The policy and timeline are test_metric_timers.py's: Kumo is Growth in central-europe, Mon-Fri
09:00-17:00 UTC, with next reply, periodic update and resolution metrics besides the first response.
"""

from __future__ import annotations

from datetime import datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from policydesk.tickets import actions, bulk
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.tickets.sla_metrics import recording_together
from policydesk.watch import timers
from policydesk.watch.models import Timer
from tests.conftest import Personas
from tests.watch.harness import open_ticket
from tests.watch.test_metric_timers import metric_policy, z

__all__ = ["metric_policy"]  # the fixture, used by name

OPENED = z("2026-12-01T10:00:00")  # a Tuesday, in office hours


def timers_of(ticket: Ticket) -> set[tuple[str, int, str, datetime, str]]:
    rows = Timer.objects.filter(ticket=ticket, kind__in=timers.SLA_KINDS)
    return {(t.metric, t.cycle, t.kind, t.fire_at, t.state) for t in rows}


def pending_of(ticket: Ticket) -> set[tuple[str, int, str, datetime, str]]:
    return {row for row in timers_of(ticket) if row[4] == Timer.State.PENDING}


def change_in_bulk(personas: Personas, tickets: list[Ticket], action: str, value: str, now: datetime) -> None:
    job = bulk.do_start_bulk(
        actor=personas.agent, action=action, value=value, numbers=[t.number for t in tickets], now=now
    )
    assert job.done == len(tickets) and not job.failed


@pytest.mark.usefixtures("metric_policy")
def test_bulk_plans_the_same_timers_as_one_change_at_a_time(personas: Personas) -> None:
    alone, *many = [open_ticket(personas.customer, "troubleshooting", OPENED) for _ in range(4)]
    assert pending_of(alone)  # planned at opening: first response and resolution at least
    steps = [
        ("status", "on-hold", z("2026-12-01T12:00:00")),  # pauses the resolution and the update
        ("status", "open", z("2026-12-02T15:00:00")),  # resumes them, 27 hours later
        ("priority", "high", z("2026-12-02T16:00:00")),
    ]
    for action, value, now in steps:
        if action == "status":
            actions.do_set_status(ticket=alone, status=value, actor=personas.agent, now=now)
        else:
            actions.do_set_priority(ticket=alone, priority=value, actor=personas.agent, now=now)
        change_in_bulk(personas, many, action, value, now)
        expected = timers_of(alone)
        for ticket in many:
            assert timers_of(ticket) == expected, (action, value)
    # Solved in bulk: every pending SLA timer of every ticket is cancelled.
    change_in_bulk(personas, many, "status", "solved", z("2026-12-03T09:00:00"))
    assert all(pending_of(ticket) == set() for ticket in many)
    assert pending_of(alone)  # untouched


@pytest.mark.usefixtures("metric_policy")
def test_a_chunks_plan_reads_timers_once_however_many_tickets(personas: Personas) -> None:
    def timer_reads(count: int) -> int:
        tickets = [open_ticket(personas.customer, "troubleshooting", OPENED) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            change_in_bulk(personas, tickets, "status", "on-hold", z("2026-12-01T12:00:00"))
        return sum(
            1
            for q in queries.captured_queries
            if q["sql"].startswith("SELECT") and '"watch_timer"' in q["sql"]
        )

    assert timer_reads(2) == timer_reads(12) == 1


@pytest.mark.usefixtures("metric_policy")
def test_nothing_is_planned_when_the_block_fails_and_planning_is_immediate_again_after(
    personas: Personas,
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", OPENED)
    before = timers_of(ticket)

    def solve_then_fail() -> None:
        with transaction.atomic(), timers.planning_together():
            actions.do_set_status(
                ticket=ticket, status="solved", actor=personas.agent, now=z("2026-12-01T12:00:00")
            )
            assert timers_of(ticket) == before  # waiting for the end of the block
            raise RuntimeError("the chunk fails")

    with pytest.raises(RuntimeError, match="the chunk fails"):
        solve_then_fail()
    ticket.refresh_from_db()
    assert ticket.status != "solved" and timers_of(ticket) == before  # all rolled back together
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=z("2026-12-01T12:00:00"))
    assert pending_of(ticket) == set()  # planned at once: no block is open


@pytest.mark.usefixtures("metric_policy")
def test_nested_blocks_plan_once_at_the_outer_end(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", OPENED)
    with transaction.atomic(), timers.planning_together():
        with timers.planning_together():
            actions.do_set_status(
                ticket=ticket, status="solved", actor=personas.agent, now=z("2026-12-01T12:00:00")
            )
        assert pending_of(ticket) != set()  # the inner end does not plan
    assert pending_of(ticket) == set()


def events_of(ticket: Ticket) -> list[tuple[str, int, str, datetime]]:
    rows = MetricEvent.objects.filter(ticket=ticket).order_by("metric", "cycle", "at", "kind")
    return list(rows.values_list("metric", "cycle", "kind", "at"))


@pytest.mark.usefixtures("metric_policy")
def test_bulk_records_the_same_metric_events_as_one_change_at_a_time(personas: Personas) -> None:
    alone, *many = [open_ticket(personas.customer, "troubleshooting", OPENED) for _ in range(3)]
    for status, now in [("on-hold", z("2026-12-01T12:00:00")), ("open", z("2026-12-02T15:00:00")),
                        ("solved", z("2026-12-03T09:00:00"))]:  # fmt: skip
        actions.do_set_status(ticket=alone, status=status, actor=personas.agent, now=now)
        change_in_bulk(personas, many, "status", status, now)
        expected = events_of(alone)
        assert len(expected) > 2  # paused, resumed, fulfilled: not only the starts
        for ticket in many:
            assert events_of(ticket) == expected, status


@pytest.mark.usefixtures("metric_policy")
def test_a_chunk_reads_its_tickets_audit_rows_once_however_many(personas: Personas) -> None:
    def audit_reads(count: int) -> int:
        tickets = [open_ticket(personas.customer, "troubleshooting", OPENED) for _ in range(count)]
        with CaptureQueriesContext(connection) as queries:
            change_in_bulk(personas, tickets, "status", "on-hold", z("2026-12-01T12:00:00"))
        return sum(
            1 for q in queries.captured_queries if q["sql"].startswith("SELECT") and "audit" in q["sql"]
        )

    assert audit_reads(2) == audit_reads(12)


@pytest.mark.usefixtures("metric_policy")
def test_metric_events_wait_for_the_end_of_the_block_and_a_failed_block_records_none(
    personas: Personas,
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", OPENED)
    before = events_of(ticket)

    def hold_then_fail() -> None:
        with transaction.atomic(), recording_together():
            actions.do_set_status(
                ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T12:00:00")
            )
            assert events_of(ticket) == before  # waiting for the end of the block
            raise RuntimeError("the chunk fails")

    with pytest.raises(RuntimeError, match="the chunk fails"):
        hold_then_fail()
    assert events_of(ticket) == before
    with transaction.atomic(), recording_together():
        actions.do_set_status(
            ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T12:00:00")
        )
    assert len(events_of(ticket)) > len(before)  # stored at the block's end
