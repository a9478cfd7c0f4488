"""A ticket's SLA metric states read from the audit rows its actions wrote (tickets/sla_metrics.py):
the same literal timeline as tests/sla/test_metrics.py, through the real actions."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import default_policy_path
from policydesk.policy.model import Policy, TargetRule, Text
from policydesk.sla import Target
from policydesk.sla.metrics import MetricInstance, next_due
from policydesk.tickets import actions
from policydesk.tickets.models import MetricEvent
from policydesk.tickets.sla_metrics import metric_states, stored_metric_states, timeline_from_audit
from tests.conftest import Personas, open_ticket

HOUR = timedelta(hours=1)
TEXT = Text("x", "x")


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


@pytest.fixture
def policy() -> Policy:
    """The desk's policy with Growth promising every metric (the seed promises the first response only)."""
    desk = get_policy()
    growth = replace(
        desk.plans["growth"],
        next_reply=TargetRule(Target.business_hours(2), None, TEXT),
        periodic_update=TargetRule(Target.business_days(1), None, TEXT),
        resolution=TargetRule(Target.business_days(3), None, TEXT),
    )
    return replace(desk, plans={**desk.plans, "growth": growth})


def states(instances: list[MetricInstance]) -> dict[tuple[str, int], MetricInstance]:
    return {(instance.metric, instance.cycle): instance for instance in instances}


def test_metric_states_follow_the_actions(personas: Personas, policy: Policy) -> None:
    # Kumo is Growth in EMEA: central-europe, Mon-Fri 10:00-18:00 UTC+01:00 = 09:00-17:00 UTC.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))  # Tuesday
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Which chart?", now=z("2026-12-01T11:00:00")
    )
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-03T10:00:00")
    )
    ticket.refresh_from_db()
    got = states(metric_states(ticket, policy, z("2026-12-03T11:00:00")))
    first = got["first_response", 1]
    assert first.state == "met" and first.elapsed == HOUR
    assert first.due == ticket.first_response_due  # the same clock as triage's (2 business days)
    resolution = got["resolution", 1]
    # Pending from the reply until the customer answered on Thursday: 1 h Tue and 1 h Thu.
    assert resolution.pauses == ((z("2026-12-01T11:00:00"), z("2026-12-03T10:00:00")),)
    assert resolution.elapsed == 2 * HOUR and resolution.state == "running"
    assert resolution.due == z("2026-12-07T17:00:00")  # Tue 1, Thu 7, Fri 8, Mon 8
    assert got["next_reply", 1].due == z("2026-12-03T12:00:00")
    assert got["periodic_update", 1].due == z("2026-12-04T10:00:00")


def test_solve_and_reopen_start_a_new_resolution_cycle(personas: Personas, policy: Policy) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Fixed", now=z("2026-12-01T11:00:00"),
                           status="solved")  # fmt: skip
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Again", now=z("2026-12-03T10:00:00")
    )
    actions.do_set_priority(
        ticket=ticket, priority="high", actor=personas.agent, now=z("2026-12-03T10:30:00")
    )
    ticket.refresh_from_db()
    got = states(metric_states(ticket, policy, z("2026-12-03T11:00:00")))
    assert got["resolution", 1].state == "met" and got["resolution", 1].elapsed == HOUR
    assert got["resolution", 2].activated_at == z("2026-12-03T10:00:00")
    assert got["resolution", 2].state == "running" and got["resolution", 2].elapsed == HOUR
    assert got["next_reply", 1].activated_at == z("2026-12-03T10:00:00")


def test_the_seed_policy_keeps_only_the_first_response(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    got = metric_states(ticket, get_policy(), z("2026-12-01T12:00:00"))
    assert [(m.metric, m.state, m.due) for m in got] == [
        ("first_response", "running", ticket.first_response_due)
    ]


def test_timeline_from_audit_puts_a_reopen_before_the_customer_message() -> None:
    at = z("2026-12-01T10:00:00")
    rows = [
        ("ticket.replied", at, {"status": "solved"}),
        ("ticket.customer_replied", at + HOUR, {}),
        ("ticket.status", at + 2 * HOUR, {"before": "open", "after": "on-hold"}),
        ("ticket.merged", at + 3 * HOUR, {}),
    ]
    assert [(event.kind, event.value) for event in timeline_from_audit(rows)] == [
        ("agent_reply", ""),
        ("status", "solved"),
        ("status", "open"),
        ("customer_message", ""),
        ("status", "on-hold"),
        ("status", "closed"),
    ]


def test_the_actions_store_each_metric_event_once(personas: Personas, settings: Any, tmp_path: Path) -> None:
    # The default policy with Growth promising a 3-business-day resolution too.
    text = default_policy_path().read_text(encoding="utf-8")
    growth = "[plans.growth]\n"
    assert text.count(growth) == 1
    path = tmp_path / "policy.toml"
    path.write_text(
        text.replace(growth, growth + 'resolution = { business_days = 3, text = { en = "x", ja = "x" } }\n'),
        encoding="utf-8",
    )
    settings.POLICYDESK_POLICY = str(path)
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Which chart?", now=z("2026-12-01T11:00:00")
    )
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-03T10:00:00")
    )
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=z("2026-12-03T12:00:00"))
    stored = list(
        MetricEvent.objects.filter(ticket=ticket)
        .order_by("at", "metric", "id")
        .values_list("metric", "cycle", "kind", "at")
    )
    assert stored == [
        ("first_response", 1, "activated", z("2026-12-01T10:00:00")),
        ("resolution", 1, "activated", z("2026-12-01T10:00:00")),
        ("first_response", 1, "fulfilled", z("2026-12-01T11:00:00")),
        ("resolution", 1, "paused", z("2026-12-01T11:00:00")),  # pending: waiting on the customer
        ("resolution", 1, "resumed", z("2026-12-03T10:00:00")),
        ("resolution", 1, "fulfilled", z("2026-12-03T12:00:00")),
    ]
    assert set(MetricEvent.objects.values_list("policy_version", flat=True)) == {get_policy().version}
    # The same states are read back from the audit rows; nothing is stored twice.
    actions.do_set_priority(
        ticket=ticket, priority="high", actor=personas.agent, now=z("2026-12-03T13:00:00")
    )
    assert MetricEvent.objects.filter(ticket=ticket).count() == len(stored)


def test_a_breach_is_stored_by_the_next_action_after_it(personas: Personas) -> None:
    # Growth: 2 business days (16 h) on central-europe (09:00-17:00 UTC): due Thu 10:00 UTC.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    assert ticket.first_response_due == z("2026-12-03T10:00:00")
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Late", now=z("2026-12-03T11:00:00"))
    kinds = list(MetricEvent.objects.filter(ticket=ticket).order_by("at").values_list("kind", "at"))
    assert kinds == [
        ("activated", z("2026-12-01T10:00:00")),
        ("breached", z("2026-12-03T10:00:00")),
        ("fulfilled", z("2026-12-03T11:00:00")),
    ]


def test_rows_stamped_out_of_order_are_taken_at_the_latest_instant_so_far() -> None:
    created = z("2026-12-01T10:00:00")
    rows = [
        ("ticket.replied", created - HOUR, {"status": "pending"}),  # an action given an older `now`
        ("ticket.customer_replied", created + 2 * HOUR, {}),
        ("ticket.status", created + HOUR, {"before": "open", "after": "solved"}),
    ]
    assert [(event.kind, event.at) for event in timeline_from_audit(rows, created)] == [
        ("agent_reply", created),
        ("status", created),
        ("status", created + 2 * HOUR),
        ("customer_message", created + 2 * HOUR),
        ("status", created + 2 * HOUR),
    ]


def test_states_rebuilt_from_the_stored_events_equal_the_replay(
    personas: Personas, every_metric_policy: Path
) -> None:
    # Growth in EMEA (09:00-17:00 UTC): a reply, two customer messages, pending, a late reply, solve, reopen.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))  # Tuesday
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Which chart?", now=z("2026-12-01T11:00:00")
    )
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-01T12:00:00")
    )
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Still", now=z("2026-12-01T13:00:00")
    )
    actions.do_set_status(ticket=ticket, status="pending", actor=personas.agent, now=z("2026-12-01T13:30:00"))
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Late", now=z("2026-12-01T15:00:00"), status="solved"
    )
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Again", now=z("2026-12-02T10:00:00")
    )
    ticket.refresh_from_db()
    now = z("2026-12-02T11:00:00")
    replayed = metric_states(ticket, get_policy(), now)
    rebuilt = stored_metric_states([ticket], get_policy(), now)[ticket.pk]
    assert sorted((i.metric, i.cycle, i.state, i.due, i.elapsed, i.pauses) for i in rebuilt) == sorted(
        (i.metric, i.cycle, i.state, i.due, i.elapsed, i.pauses) for i in replayed
    )
    got = states(rebuilt)
    # Next reply from the first of the two messages (12:00), 2 business hours: due 14:00, answered 15:00.
    assert got["next_reply", 1].state == "breached" and got["next_reply", 1].breached_at == z(
        "2026-12-01T14:00:00"
    )
    assert got["resolution", 1].state == "met"
    assert got["resolution", 2].state == "running" and got["resolution", 2].elapsed == HOUR
    assert got["resolution", 2].due == z("2026-12-07T10:00:00")  # 24 business hours: Wed 7, Thu, Fri, Mon 1
    # The reopening message is owed a next reply (2 business hours), the first thing due.
    assert next_due(rebuilt) == got["next_reply", 2] and got["next_reply", 2].due == z("2026-12-02T12:00:00")
