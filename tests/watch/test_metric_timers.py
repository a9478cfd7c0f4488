"""The SLA watch for every metric (next reply, periodic update, resolution), through the real
actions and the worker, with literal timelines: planned in business time, paused while pending or
on hold, moved by a holiday, a new resolution cycle after a reopen, a priority's target, a policy
reload; each warning and breach told once.

The policy: the desk's, with Growth also promising a next reply within 2 business hours, a
periodic update each business day and a resolution within 3 business days (urgent tickets: 1
business day). Kumo (the customer persona) is Growth in EMEA: central-europe, Mon-Fri
10:00-18:00 UTC+01:00 = 09:00-17:00 UTC (8 business hours a day); 25 and 26 December are holidays.
Warnings at 75% of the target (the default share).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from policydesk.desk_policy import get_policy
from policydesk.policy.loading import default_policy_path
from policydesk.tickets import actions
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.watch import timers
from policydesk.watch.models import DeliveryItem, Timer
from tests.conftest import Personas
from tests.watch.harness import open_ticket, run_worker, watch_outbox

METRICS = """next_reply = { business_hours = 2, text = { en = "x", ja = "x" } }
periodic_update = { business_days = 1, text = { en = "x", ja = "x" } }
resolution = { business_days = %s, text = { en = "x", ja = "x" } }
"""
URGENT = """
[plans.growth.by_priority.urgent]
resolution = { business_days = 1, text = { en = "x", ja = "x" } }
"""


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


def write_policy(path: Path, resolution_days: int = 3) -> None:
    text = default_policy_path().read_text(encoding="utf-8")
    growth = "[plans.growth]\n"
    assert text.count(growth) == 1
    text = text.replace(growth, growth + METRICS % resolution_days)
    text = text.replace('id = "high"', 'id = "urgent"\nname = { en = "Urgent", ja = "緊急" }\n'
                        'definition = { en = "x", ja = "x" }\n\n[[priorities]]\nid = "high"', 1)  # fmt: skip
    path.write_text(text + URGENT, encoding="utf-8")


@pytest.fixture
def metric_policy(settings: Any, tmp_path: Path) -> Path:
    path = tmp_path / "policy.toml"
    write_policy(path)
    settings.POLICYDESK_POLICY = str(path)
    get_policy()  # fails here if the file is not a valid policy
    return path


def pending(ticket: Ticket, metric: str) -> dict[str, datetime]:
    rows = Timer.objects.filter(ticket=ticket, metric=metric, state=Timer.State.PENDING)
    return {row.kind: row.fire_at for row in rows}


def run_at(instant: datetime) -> None:
    with time_machine.travel(instant, tick=False):
        run_worker()


def subjects() -> list[str]:
    return sorted({message.subject for message in watch_outbox()})


def told(metric: str, kind: str) -> list[tuple[int, str]]:
    """(cycle, recipient) of every notification of this metric and kind, as fired."""
    items = DeliveryItem.objects.filter(timer__metric=metric, kind=kind)
    return sorted(
        (item.timer.cycle, item.recipient.email) for item in items.select_related("timer", "recipient")
    )


def test_next_reply_and_periodic_update_run_from_the_customer_and_pause_while_pending(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))  # Tuesday
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Which chart?", now=z("2026-12-01T11:00:00")
    )
    # Pending (waiting on the customer): resolution and the periodic update stop; no next reply yet.
    assert pending(ticket, "first_response") == {}
    assert pending(ticket, "periodic_update") == {} and pending(ticket, "resolution") == {}
    assert pending(ticket, "next_reply") == {}

    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-02T16:00:00")
    )
    # Next reply: 2 business hours from Wed 16:00 = 1 h Wed + 1 h Thu: due Thu 10:00, warned at 1.5 h.
    assert pending(ticket, "next_reply") == {
        "warning": z("2026-12-03T09:30:00"),
        "breach": z("2026-12-03T10:00:00"),
    }
    # Periodic update (1 business day, 8 h) from the reply, paused Tue 11:00 until Wed 16:00.
    assert pending(ticket, "periodic_update") == {
        "warning": z("2026-12-03T14:00:00"), "breach": z("2026-12-03T16:00:00"),
    }  # fmt: skip
    # Resolution (24 h): 1 h Tue + 1 h Wed after the pause + 8 h Thu + 8 h Fri + 6 h Mon; warned
    # at 18 h, on Friday's closing instant.
    assert pending(ticket, "resolution") == {
        "warning": z("2026-12-04T17:00:00"),
        "breach": z("2026-12-07T15:00:00"),
    }

    # A second message before the answer: the oldest unanswered one still counts.
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Also", now=z("2026-12-03T09:00:00")
    )
    assert pending(ticket, "next_reply")["breach"] == z("2026-12-03T10:00:00")

    run_at(z("2026-12-03T09:29:59"))
    assert watch_outbox() == []
    run_at(z("2026-12-03T09:30:00"))
    assert subjects() == [f"[#{ticket.number}] Due soon (next reply): {ticket.subject}"]
    assert "Due (next reply): " in watch_outbox()[0].body

    # The answer fulfils the next reply and the periodic update; pending again pauses the rest.
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Done", now=z("2026-12-03T09:45:00"))
    for metric in ("next_reply", "periodic_update", "resolution"):
        assert pending(ticket, metric) == {}, metric
    run_at(z("2026-12-07T16:00:00"))
    assert told("next_reply", "breach") == [] and told("resolution", "warning") == []
    assert len(watch_outbox()) == 1


def test_on_hold_pauses_resolution_across_christmas_and_resumes(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-23T15:00:00"))  # Wednesday
    # 24 business hours: Wed 2 h, Thu 24th 8 h, (25th, 26th holidays, weekend), Mon 8 h, Tue 6 h.
    assert pending(ticket, "resolution") == {
        "warning": z("2026-12-28T17:00:00"),
        "breach": z("2026-12-29T15:00:00"),
    }

    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-24T13:00:00"))
    ticket.refresh_from_db()
    assert ticket.is_open and Ticket.objects.filter(pk=ticket.pk, status__in=["on-hold"]).exists()
    assert pending(ticket, "resolution") == {}  # 6 h elapsed, the clock stopped
    # On hold does not pause the first response (default pause_on): it still breaches Mon 15:00.
    assert pending(ticket, "first_response")["breach"] == z("2026-12-28T15:00:00")

    # A customer's message leaves the ticket on hold (docs/sla.md); the next reply is owed only
    # once an agent has replied publicly, so nothing new here.
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Any news?", now=z("2026-12-28T10:00:00")
    )
    ticket.refresh_from_db()
    assert ticket.status == "on-hold" and pending(ticket, "resolution") == {}

    actions.do_set_status(ticket=ticket, status="open", actor=personas.agent, now=z("2026-12-28T13:00:00"))
    # 18 h left from Mon 13:00: Mon 4 h, Tue 8 h, Wed 30th 6 h; the warning at 18 h in total.
    assert pending(ticket, "resolution") == {
        "warning": z("2026-12-29T17:00:00"),
        "breach": z("2026-12-30T15:00:00"),
    }

    run_at(z("2026-12-29T17:00:00"))
    run_at(z("2026-12-30T15:00:00"))
    assert told("resolution", "warning") == [(1, personas.agent.email)]
    assert told("resolution", "breach") == [(1, personas.agent.email), (1, personas.lead.email)]
    # The breach is stored when it happens, as the next action would have stored it.
    breached = MetricEvent.objects.filter(ticket=ticket, metric="resolution", kind="breached")
    assert list(breached.values_list("at", flat=True)) == [z("2026-12-30T15:00:00")]
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=z("2026-12-30T16:00:00"))
    assert breached.count() == 1
    run_at(z("2026-12-31T12:00:00"))  # and told once
    assert len(told("resolution", "breach")) == 2


def test_a_reopen_starts_a_new_resolution_cycle_with_its_own_timers(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    actions.do_agent_reply(
        ticket=ticket, agent=personas.agent, text="Fixed", now=z("2026-12-01T11:00:00"), status="solved"
    )
    assert Timer.objects.filter(ticket=ticket, state=Timer.State.PENDING).count() == 0

    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Again", now=z("2026-12-03T10:00:00")
    )
    cycle_two = Timer.objects.filter(ticket=ticket, metric="resolution", state=Timer.State.PENDING)
    assert {(t.cycle, t.kind, t.fire_at) for t in cycle_two} == {
        (2, "warning", z("2026-12-07T12:00:00")),  # 18 h: Thu 7, Fri 8, Mon 3
        (2, "breach", z("2026-12-08T10:00:00")),  # 24 h: ... Mon 8, Tue 1
    }
    assert pending(ticket, "next_reply") == {
        "warning": z("2026-12-03T11:30:00"),
        "breach": z("2026-12-03T12:00:00"),
    }

    run_at(z("2026-12-03T12:00:00"))
    run_at(z("2026-12-07T12:00:00"))
    assert told("next_reply", "warning") == [(1, personas.agent.email)]
    assert told("next_reply", "breach") == [(1, personas.agent.email), (1, personas.lead.email)]
    assert told("resolution", "warning") == [(2, personas.agent.email)]


def test_an_urgent_priority_switches_the_target_and_keeps_the_elapsed_time(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    actions.do_set_priority(
        ticket=ticket, priority="urgent", actor=personas.agent, now=z("2026-12-01T12:00:00")
    )
    # 1 business day (8 h) from Tue 10:00, the 2 h already elapsed included: due Wed 10:00.
    assert pending(ticket, "resolution") == {
        "warning": z("2026-12-01T16:00:00"),
        "breach": z("2026-12-02T10:00:00"),
    }
    actions.do_set_priority(
        ticket=ticket, priority="normal", actor=personas.agent, now=z("2026-12-01T13:00:00")
    )
    assert pending(ticket, "resolution")["breach"] == z("2026-12-04T10:00:00")  # back to 3 days


def test_a_policy_reload_moves_pending_timers_but_never_repeats_a_fired_one(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    # Resolution 3 days = 24 h: Tue 7, Wed 8, Thu 8, Fri 1: due Fri 10:00, warned (18 h) Thu 12:00.
    assert pending(ticket, "resolution") == {
        "warning": z("2026-12-03T12:00:00"),
        "breach": z("2026-12-04T10:00:00"),
    }
    run_at(z("2026-12-03T12:00:00"))
    assert told("resolution", "warning") == [(1, personas.agent.email)]

    write_policy(metric_policy, resolution_days=4)  # the file changes while the worker runs
    with time_machine.travel(z("2026-12-03T12:30:00"), tick=False):
        result = timers.Watch(planned=None).tick(timezone.now())
    assert result["planned"] == 1
    # 32 h: due Mon 7 Dec 10:00; its warning (24 h, Fri 10:00) already went out as the 3-day one.
    assert pending(ticket, "resolution") == {"breach": z("2026-12-07T10:00:00")}
    assert timers.plan_open_tickets(get_policy(), z("2026-12-03T12:30:00")).created == 0  # idempotent
    run_at(z("2026-12-04T12:00:00"))
    assert told("resolution", "warning") == [(1, personas.agent.email)]
    assert told("resolution", "breach") == []


def test_planning_all_open_tickets_agrees_with_the_actions(personas: Personas, metric_policy: Path) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="?", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="!", now=z("2026-12-02T16:00:00")
    )
    before = set(
        Timer.objects.filter(state=Timer.State.PENDING).values_list("metric", "cycle", "kind", "fire_at")
    )
    Timer.objects.all().delete()  # as after a restore: the worker's start plans everything again

    result = timers.plan_open_tickets(get_policy(), z("2026-12-02T16:30:00"))

    after = set(
        Timer.objects.filter(state=Timer.State.PENDING).values_list("metric", "cycle", "kind", "fire_at")
    )
    assert (
        result.tickets == 1 and after == before and len(before) == 6
    )  # next reply, periodic update, resolution


def test_a_timer_no_longer_owed_when_it_fires_is_cancelled_not_told(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    # Put on hold behind the watch's back (no action, so no re-plan): the fire-time check catches it.
    actions.do_set_status(ticket=ticket, status="on-hold", actor=personas.agent, now=z("2026-12-01T12:00:00"))
    Timer.objects.filter(ticket=ticket, metric="resolution").update(state=Timer.State.PENDING)
    run_at(z("2026-12-04T12:00:00"))
    assert told("resolution", "warning") == [] and told("resolution", "breach") == []
    assert not Timer.objects.filter(ticket=ticket, metric="resolution", state=Timer.State.PENDING).exists()


def test_a_watch_plans_a_slice_of_the_open_tickets_each_pass(personas: Personas, metric_policy: Path) -> None:
    tickets = [open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00")) for _ in range(3)]
    Timer.objects.all().delete()  # as after a restore: nothing planned yet
    watch = timers.Watch(plan_per_pass=2)
    with time_machine.travel(z("2026-12-01T10:30:00"), tick=False):
        first = watch.tick(timezone.now())
        assert first["planned"] == 2 and watch.plan_after == tickets[1].pk
        assert {t.ticket_id for t in Timer.objects.all()} == {tickets[0].pk, tickets[1].pk}
        second = watch.tick(timezone.now())
        assert second["planned"] == 1 and watch.plan_after is None
        assert "planned" not in watch.tick(timezone.now())  # done until the policy changes
    assert {t.ticket_id for t in Timer.objects.all()} == {t.pk for t in tickets}


def test_two_watches_firing_the_same_pass_tell_each_person_once(
    personas: Personas, metric_policy: Path
) -> None:
    ticket = open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="?", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="!", now=z("2026-12-01T12:00:00")
    )
    at = z("2026-12-01T14:00:00")  # the next reply's breach (due 14:00) and warning (13:30)
    assert timers.fire_due(at) == 2
    assert timers.fire_due(at) == 0  # the second worker finds them fired
    run_at(at)
    assert told("next_reply", "breach") == [(1, personas.agent.email), (1, personas.lead.email)]
    # The agent's warning and breach of the same instance are one email, as the breach.
    assert [m.subject for m in watch_outbox() if personas.agent.email in m.to] == [
        f"[#{ticket.number}] Overdue (next reply): {ticket.subject}"
    ]


def test_a_worker_starting_after_a_complete_plan_under_the_same_signature_skips_it(
    personas: Personas, metric_policy: Path, settings: Any
) -> None:
    open_ticket(personas.customer, "troubleshooting", z("2026-12-01T10:00:00"))
    with time_machine.travel(z("2026-12-01T10:30:00"), tick=False):
        assert timers.Watch().tick(timezone.now())["planned"] == 1  # no complete plan yet
        assert "planned" not in timers.Watch().tick(timezone.now())  # a restart: the actions kept it
        settings.POLICYDESK_SLA_WARNING_SHARE = 0.5
        assert timers.Watch().tick(timezone.now())["planned"] == 1  # a new share: plan again
