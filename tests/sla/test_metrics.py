"""SLA metrics of a ticket from literal timelines (policydesk.sla.metrics), on the C8 us-west
office (Mon-Fri 09:00-17:00 UTC-08:00, US holidays) and on nordlicht's Berlin office."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from policydesk.policy.loading import load_policy
from policydesk.policy.metric_rules import metric_rules
from policydesk.sla import OfficeCalendar, Target
from policydesk.sla.metrics import (
    Clock,
    MetricInstance,
    MetricRule,
    TimelineEvent,
    ticket_metrics,
)

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "nordlicht.toml"
HOUR = timedelta(hours=1)


def pst(text: str) -> datetime:
    """A us-west wall time, '2026-12-01 10:00' (UTC-08:00)."""
    return datetime.fromisoformat(text.replace(" ", "T") + "-08:00")


def rules_for(office: OfficeCalendar, *, resolution_urgent: Target | None = None) -> list[MetricRule]:
    return [
        MetricRule("first_response", Clock(office, Target.business_hours(4))),
        MetricRule("next_reply", Clock(office, Target.business_hours(2))),
        MetricRule(
            "periodic_update", Clock(office, Target.business_days(1)), pause_on=frozenset({"pending"})
        ),
        MetricRule(
            "resolution",
            Clock(office, Target.business_days(3)),
            by_priority={"urgent": Clock(office, resolution_urgent)} if resolution_urgent else {},
            pause_on=frozenset({"pending", "on-hold"}),
        ),
    ]


def customer(at: str) -> TimelineEvent:
    return TimelineEvent(pst(at), "customer_message")


def agent(at: str) -> TimelineEvent:
    return TimelineEvent(pst(at), "agent_reply")


def status(at: str, value: str) -> TimelineEvent:
    return TimelineEvent(pst(at), "status", value)


def by_metric(instances: list[MetricInstance]) -> dict[tuple[str, int], MetricInstance]:
    return {(instance.metric, instance.cycle): instance for instance in instances}


def test_customer_writes_and_agent_replies(us_west: OfficeCalendar) -> None:
    # Tue 2026-12-01 10:00 created; the agent answers at 11:30.
    got = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None,
                                   [agent("2026-12-01 11:30")], now=pst("2026-12-01 12:00")))  # fmt: skip
    first = got["first_response", 1]
    assert first.state == "met"
    assert first.due == pst("2026-12-01 14:00") and first.fulfilled_at == pst("2026-12-01 11:30")
    assert first.elapsed == 1.5 * HOUR
    assert [event.kind for event in first.events] == ["activated", "fulfilled"]
    update = got["periodic_update", 1]
    # 8 business hours from 11:30: 5.5 on Tuesday, 2.5 on Wednesday.
    assert (
        update.state == "running" and update.due == pst("2026-12-02 11:30") and update.elapsed == 0.5 * HOUR
    )
    resolution = got["resolution", 1]
    # 3 business days = 24 business hours: Tue 7 + Wed 8 + Thu 8 + Fri 1.
    assert resolution.state == "running" and resolution.due == pst("2026-12-04 10:00")
    assert resolution.elapsed == 2 * HOUR
    assert ("next_reply", 1) not in got  # the customer has not written since the reply


def test_customer_writes_twice_the_next_reply_runs_from_the_oldest_message(us_west: OfficeCalendar) -> None:
    timeline = [
        agent("2026-12-01 11:30"),
        customer("2026-12-01 15:00"),
        customer("2026-12-01 16:30"),
        agent("2026-12-02 10:00"),
        customer("2026-12-02 10:30"),
    ]
    instances = ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, timeline,
                               now=pst("2026-12-02 11:00"))  # fmt: skip
    replies = [instance for instance in instances if instance.metric == "next_reply"]
    assert [instance.cycle for instance in replies] == [1, 2]
    first, second = replies
    # From Tue 15:00, 2 business hours end at 17:00, the closing instant (C8 Decision): the
    # reply on Wednesday at 10:00 comes after it.
    assert first.activated_at == pst("2026-12-01 15:00") and first.due == pst("2026-12-01 17:00")
    assert first.state == "breached" and first.breached_at == pst("2026-12-01 17:00")
    assert first.fulfilled_at == pst("2026-12-02 10:00")
    assert first.elapsed == 3 * HOUR  # Tue 15-17 and Wed 09-10
    assert [event.kind for event in first.events] == ["activated", "breached", "fulfilled"]
    assert second.state == "running" and second.due == pst("2026-12-02 12:30")
    assert second.elapsed == 0.5 * HOUR


def test_pending_pauses_resolution_and_periodic_update_not_the_next_reply(us_west: OfficeCalendar) -> None:
    timeline = [
        agent("2026-12-01 11:00"),
        status("2026-12-01 11:00", "pending"),
        status("2026-12-03 10:00", "open"),  # the customer answers on Thursday
        customer("2026-12-03 10:00"),
    ]
    got = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, timeline,
                                   now=pst("2026-12-03 11:00")))  # fmt: skip
    resolution = got["resolution", 1]
    assert resolution.pauses == ((pst("2026-12-01 11:00"), pst("2026-12-03 10:00")),)
    assert resolution.elapsed == 2 * HOUR  # Tue 10-11 and Thu 10-11
    # 24 business hours: Tue 1, then from Thu 10:00: Thu 7, Fri 8, Mon 8: Monday's closing.
    assert resolution.due == pst("2026-12-07 17:00") and resolution.state == "running"
    assert [event.kind for event in resolution.events] == ["activated", "paused", "resumed"]
    update = got["periodic_update", 1]
    # Paused from the reply on (pending), resumed Thursday 10:00: due Friday 10:00, not Wednesday 11:00.
    assert update.due == pst("2026-12-04 10:00") and update.state == "running"
    assert update.elapsed == 1 * HOUR
    reply = got["next_reply", 1]
    assert reply.due == pst("2026-12-03 12:00") and reply.pauses == ()


def test_on_hold_pauses_resolution_while_periodic_updates_stay_owed(us_west: OfficeCalendar) -> None:
    timeline = [agent("2026-12-01 10:30"), status("2026-12-01 10:30", "on-hold")]
    got = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, timeline,
                                   now=pst("2026-12-02 12:00")))  # fmt: skip
    resolution = got["resolution", 1]
    assert resolution.state == "paused" and resolution.due is None
    assert resolution.pauses == ((pst("2026-12-01 10:30"), None),)
    assert resolution.elapsed == 0.5 * HOUR
    update = got["periodic_update", 1]
    assert update.state == "breached" and update.breached_at == pst("2026-12-02 10:30")
    assert update.elapsed == 9.5 * HOUR  # Tue 10:30-17:00 and Wed 09:00-12:00


def test_holiday_in_the_middle_of_a_pause_and_of_the_clock(us_west: OfficeCalendar) -> None:
    # Wed 2026-12-23 10:00; pending from Thu 24th 09:00 to Mon 28th 09:00 across Christmas
    # (Fri 25th, a US holiday). 24 business hours: Wed 7, Mon 8, Tue 8, Wed 30th 1.
    timeline = [
        agent("2026-12-23 11:00"),
        status("2026-12-24 09:00", "pending"),
        status("2026-12-28 09:00", "open"),
    ]
    got = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-23 10:00"), None, timeline,
                                   now=pst("2026-12-28 12:00")))  # fmt: skip
    resolution = got["resolution", 1]
    assert resolution.due == pst("2026-12-30 10:00")
    assert resolution.elapsed == 10 * HOUR  # Wed 7 and Mon 3: the holiday and the pause count nothing
    # Without the pause: Wed 7, Thu 8, (Fri holiday), Mon 8, Tue 1 = Tue 29th 10:00.
    replied = [agent("2026-12-23 11:00")]
    unpaused = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-23 10:00"), None, replied,
                                        now=pst("2026-12-28 12:00")))  # fmt: skip
    assert unpaused["resolution", 1].due == pst("2026-12-29 10:00")


def test_reopen_after_solve_starts_a_new_resolution_cycle(us_west: OfficeCalendar) -> None:
    timeline = [
        agent("2026-12-01 11:00"),
        status("2026-12-01 12:00", "solved"),
        status("2026-12-03 10:00", "open"),  # the customer writes again: reopened
        customer("2026-12-03 10:00"),
    ]
    instances = ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, timeline,
                               now=pst("2026-12-03 10:30"))  # fmt: skip
    got = by_metric(instances)
    past, current = got["resolution", 1], got["resolution", 2]
    assert past.state == "met" and past.fulfilled_at == pst("2026-12-01 12:00") and past.elapsed == 2 * HOUR
    assert past.due == pst("2026-12-04 10:00")
    assert current.activated_at == pst("2026-12-03 10:00") and current.state == "running"
    assert current.due == pst("2026-12-08 10:00")  # Thu 7, Fri 8, Mon 8, Tue 1
    assert got["periodic_update", 1].state == "met"  # solving fulfils it: nothing is owed
    assert got["next_reply", 1].due == pst("2026-12-03 12:00")
    assert [i.metric for i in instances].count("first_response") == 1  # owed once a ticket


def test_a_met_metric_stays_met_and_a_breach_stands(us_west: OfficeCalendar) -> None:
    timeline = [agent("2026-12-01 13:59:59"), status("2026-12-01 14:00", "solved")]
    for now in ("2026-12-01 14:00", "2026-12-09 09:00"):
        got = by_metric(
            ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, timeline, now=pst(now))
        )
        assert got["first_response", 1].state == "met"
    # Answered exactly at the due instant: met (inclusive, as reports/queries.py classify).
    exact = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None,
                                     [agent("2026-12-01 14:00")], now=pst("2026-12-02 09:00")))  # fmt: skip
    assert exact["first_response", 1].state == "met"
    late = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None,
                                    [agent("2026-12-01 14:00:01")], now=pst("2026-12-02 09:00")))  # fmt: skip
    assert late["first_response", 1].state == "breached"
    assert late["first_response", 1].breached_at == pst("2026-12-01 14:00")
    waiting = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None, [],
                                       now=pst("2026-12-01 14:00")))  # fmt: skip
    assert waiting["first_response", 1].state == "running"  # at the due instant, not yet breached


def test_priority_change_switches_the_target_and_elapsed_time_carries_over(us_west: OfficeCalendar) -> None:
    rules = rules_for(us_west, resolution_urgent=Target.business_hours(8))
    created = pst("2026-12-01 10:00")
    # Routine for 4 business hours, then urgent: 8 hours from the start, so Wednesday 10:00.
    switched = [TimelineEvent(pst("2026-12-01 14:00"), "priority", "urgent")]
    got = by_metric(ticket_metrics(rules, created, "routine", switched, now=pst("2026-12-02 09:30")))
    resolution = got["resolution", 1]
    assert resolution.due == pst("2026-12-02 10:00") and resolution.state == "running"
    assert resolution.elapsed == 7.5 * HOUR  # Tue 10-17 and Wed 09:00-09:30: the 4 hours carried over
    # Made urgent when 10 business hours had passed: the 8-hour target was exceeded at the change.
    late = [TimelineEvent(pst("2026-12-02 12:00"), "priority", "urgent"),
            TimelineEvent(pst("2026-12-02 13:00"), "priority", "routine")]  # fmt: skip
    got = by_metric(ticket_metrics(rules, created, "routine", late, now=pst("2026-12-02 14:00")))
    resolution = got["resolution", 1]
    assert resolution.state == "breached" and resolution.breached_at == pst("2026-12-02 12:00")
    assert resolution.due == pst("2026-12-04 10:00")  # routine again: the breach stands


def test_nordlicht_business_urgent_tickets_switch_to_the_urgent_resolution_target() -> None:
    policy = load_policy(EXAMPLE)
    rules = metric_rules(policy, policy.plans["business"], "berlin")
    assert [rule.metric for rule in rules] == [
        "first_response",
        "next_reply",
        "periodic_update",
        "resolution",
    ]
    berlin = datetime.fromisoformat
    # Tue 2027-01-12 08:30 Berlin (UTC+1), lunch 12:30-13:30. Urgent from Wed 12:30, when
    # 12 business hours had passed; urgent resolution is 2 business days = 16 hours: Wed 17:30.
    timeline = [TimelineEvent(berlin("2027-01-13T12:30:00+01:00"), "priority", "urgent")]
    got = by_metric(ticket_metrics(rules, berlin("2027-01-12T08:30:00+01:00"), "routine", timeline,
                                   now=berlin("2027-01-13T15:00:00+01:00")))  # fmt: skip
    resolution = got["resolution", 1]
    assert resolution.due == berlin("2027-01-13T17:30:00+01:00")
    assert resolution.elapsed == 13.5 * HOUR
    assert rules[3].pause_on == frozenset({"pending", "on-hold"})


def test_metrics_a_plan_does_not_promise_have_no_instances(us_west: OfficeCalendar) -> None:
    rules = [MetricRule("first_response", Clock(us_west, Target.business_days(2)))]
    instances = ticket_metrics(rules, pst("2026-12-01 10:00"), None, [agent("2026-12-01 11:00")],
                               now=pst("2026-12-01 12:00"))  # fmt: skip
    assert [instance.metric for instance in instances] == ["first_response"]
    default = load_policy()
    assert [rule.metric for rule in metric_rules(default, default.plans["growth"], "us-west")] == [
        "first_response"
    ]
    assert metric_rules(default, default.plans["plus"], "us-west") == []  # C3: no commitment


def test_events_after_now_are_not_yet_known(us_west: OfficeCalendar) -> None:
    got = by_metric(ticket_metrics(rules_for(us_west), pst("2026-12-01 10:00"), None,
                                   [agent("2026-12-01 11:00")], now=pst("2026-12-01 10:30")))  # fmt: skip
    assert got["first_response", 1].state == "running" and ("periodic_update", 1) not in got


@pytest.mark.parametrize(
    ("timeline", "message"),
    [
        ([TimelineEvent(datetime(2026, 12, 1, 12), "agent_reply")], "timezone-aware"),  # noqa: DTZ001 - the bad input
        ([agent("2026-12-01 09:00")], "out of order"),
        ([status("2026-12-01 11:00", "archived")], "unknown status 'archived'"),
        ([TimelineEvent(pst("2026-12-01 11:00"), "note")], "unknown timeline event kind"),  # type: ignore[arg-type]
    ],
)
def test_bad_timelines_are_refused(
    us_west: OfficeCalendar, timeline: list[TimelineEvent], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ticket_metrics(
            rules_for(us_west), pst("2026-12-01 10:00"), None, timeline, now=pst("2026-12-02 10:00")
        )


def test_no_rule_counts_on_an_office_the_policy_does_not_have() -> None:
    default = load_policy()
    assert metric_rules(default, default.plans["growth"], "tokyo") == []
    premium = metric_rules(default, default.plans["premium"], "global", mission_critical=True)
    assert [rule.metric for rule in premium] == ["first_response"]  # C6: 2 calendar hours, 24x7
