"""Properties of SLA metric instances over random calendars and random ticket timelines:
pausing never makes a due earlier; a fulfilled metric is never later breached (and a breach
stands); elapsed business time is the sum over the running intervals, checked against the
brute-force minute walk of conftest.py. Instants are quarter-hour aligned (where the brute
force is exact); example counts are modest (the machine is shared)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from policydesk.sla import Calendar, Target
from policydesk.sla.metrics import Clock, MetricInstance, MetricRule, TimelineEvent, ticket_metrics
from tests.sla.test_properties import QUARTER_HOUR, cases

METRIC_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Status changes twice as often as the rest: pauses, resumes, solves and reopens are the point.
KINDS = ["customer_message", "agent_reply", "status", "status", "priority"]
STATUSES = ["open", "pending", "on-hold", "solved", "open"]


def instant(epoch: int) -> datetime:
    return datetime.fromtimestamp(epoch, UTC)


@st.composite
def rules(draw: st.DrawFn, cal: Calendar) -> list[MetricRule]:
    def clock() -> Clock:
        return Clock(cal, Target.business(draw(st.integers(1, 64)) * QUARTER_HOUR))

    pausing = st.frozensets(st.sampled_from(["pending", "on-hold"]))
    return [
        MetricRule(metric, clock(), by_priority={"urgent": clock()}, pause_on=draw(pausing))
        for metric in ("first_response", "next_reply", "periodic_update", "resolution")
    ]


@st.composite
def timelines(draw: st.DrawFn, start: int, kinds: list[str] = KINDS) -> list[TimelineEvent]:
    events, at = [], start
    for _ in range(draw(st.integers(0, 14))):
        at += draw(st.one_of(st.integers(0, 8), st.integers(0, 96))) * QUARTER_HOUR
        kind = draw(st.sampled_from(kinds))
        value = (
            draw(st.sampled_from(STATUSES))
            if kind == "status"
            else draw(st.sampled_from(["routine", "urgent"]))
            if kind == "priority"
            else ""
        )
        events.append(TimelineEvent(instant(at), kind, value))  # type: ignore[arg-type]
    return events


def keyed(instances: list[MetricInstance]) -> dict[tuple[str, int], MetricInstance]:
    return {(instance.metric, instance.cycle): instance for instance in instances}


@METRIC_SETTINGS
@given(st.data(), cases(QUARTER_HOUR))
def test_pausing_never_makes_a_due_earlier(data: st.DataObject, case: tuple[Calendar, int]) -> None:
    cal, start = case
    metric_rules = data.draw(rules(cal))
    # Messages and priority changes only: each metric's first instance exists either way.
    timeline = data.draw(timelines(start, ["customer_message", "agent_reply", "priority"]))
    pause_from = start + data.draw(st.integers(0, 300)) * QUARTER_HOUR
    pause_to = pause_from + data.draw(st.integers(0, 300)) * QUARTER_HOUR
    status = data.draw(st.sampled_from(["pending", "on-hold"]))
    paused_timeline = sorted(
        [*timeline, TimelineEvent(instant(pause_from), "status", status),
         TimelineEvent(instant(pause_to), "status", "open")],
        key=lambda event: event.at,
    )  # fmt: skip
    now = instant(max(pause_to, start) + 3 * 86_400)
    plain = keyed(ticket_metrics(metric_rules, instant(start), "routine", timeline, now))
    paused = keyed(ticket_metrics(metric_rules, instant(start), "routine", paused_timeline, now))
    for key in (("first_response", 1), ("resolution", 1)):
        before, after = plain[key], paused[key]
        if before.due is not None and after.due is not None and before.fulfilled_at is None:
            assert after.due >= before.due, key


@METRIC_SETTINGS
@given(st.data(), cases(QUARTER_HOUR))
def test_a_fulfilled_metric_is_never_later_breached(data: st.DataObject, case: tuple[Calendar, int]) -> None:
    cal, start = case
    metric_rules = data.draw(rules(cal))
    timeline = data.draw(timelines(start))
    end = (int(timeline[-1].at.timestamp()) if timeline else start) + 86_400
    moments = sorted(data.draw(st.lists(st.integers(start, end), min_size=2, max_size=4)))
    seen: dict[tuple[str, int], MetricInstance] = {}
    for moment in moments:
        for key, now in keyed(
            ticket_metrics(metric_rules, instant(start), None, timeline, instant(moment))
        ).items():
            earlier = seen.get(key)
            if earlier is not None and earlier.state == "met":
                assert now.state == "met" and now.fulfilled_at == earlier.fulfilled_at, key
            if earlier is not None and earlier.state == "breached":
                assert now.state == "breached" and now.breached_at == earlier.breached_at, key
            if now.state == "met":
                assert now.fulfilled_at is not None and now.due is not None and now.fulfilled_at <= now.due
            seen[key] = now


@METRIC_SETTINGS
@given(st.data(), cases(QUARTER_HOUR))
def test_elapsed_is_the_business_time_of_the_running_intervals(
    brute_force: type, data: st.DataObject, case: tuple[Calendar, int]
) -> None:
    cal, start = case
    metric_rules = data.draw(rules(cal))
    timeline = data.draw(timelines(start))
    end = (int(timeline[-1].at.timestamp()) if timeline else start) + data.draw(
        st.integers(0, 96)
    ) * QUARTER_HOUR
    reference = brute_force(cal, start - 86_400, end + 86_400)
    for metric in ticket_metrics(metric_rules, instant(start), None, timeline, instant(end)):
        stop = int((metric.fulfilled_at or instant(end)).timestamp())
        # The running intervals: activation to the end, less the pauses.
        running, cursor = 0, int(metric.activated_at.timestamp())
        for low, high in metric.pauses:
            pause_start = int(low.timestamp())
            running += reference.business_seconds(cursor, max(cursor, pause_start))
            cursor = max(cursor, int(high.timestamp()) if high is not None else stop)
        running += reference.business_seconds(cursor, max(cursor, stop))
        assert metric.elapsed == timedelta(seconds=running), metric
