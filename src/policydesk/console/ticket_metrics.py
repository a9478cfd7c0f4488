"""A ticket's SLA metrics in the console: every instance in the workspace's side panel, the next
due one on each queue row, and each one's events and business hours counted on the explain page.

The states are rebuilt from the stored `MetricEvent` rows (`tickets.sla_metrics.stored_metric_states`,
one query for a page of tickets). Markup is built here, not in templates, as console/ticket_page.py
does: the ticket view is kept fast.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from policydesk import display
from policydesk.console.pages import Viewer
from policydesk.policy.metric_rules import promises_beyond_first_response
from policydesk.sla.clock import business_seconds_for, business_time_between
from policydesk.sla.metrics import MetricInstance, next_due
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.tickets.sla_metrics import stored_metric_states, ticket_rules


@dataclass(frozen=True)
class NextDue:
    """A queue row's next due metric: which, when, and how long is left."""

    metric: str  # the metric's id
    name: str
    due: str
    left: str
    overdue: bool


def promises_more(viewer: Viewer, ticket: Ticket) -> bool:
    """Whether the ticket's plan promises a metric beyond the first response."""
    plan = viewer.policy.plans.get(ticket.organisation.plan)
    return plan is not None and promises_beyond_first_response(plan)


def next_due_by_ticket(viewer: Viewer, tickets: Sequence[Ticket]) -> dict[int, NextDue]:
    """The next due metric of each ticket of a page that has one running. One query, for the
    tickets whose plan promises more than a first response; for the others (every plan of the
    bundled policy) it is the first response, read from the ticket itself."""
    more = [ticket for ticket in tickets if promises_more(viewer, ticket)]
    states = stored_metric_states(more, viewer.policy, viewer.now)
    found = {}
    for ticket in tickets:
        if ticket.pk in states:
            instance = next_due(states[ticket.pk])
            if instance is not None and instance.due is not None:
                found[ticket.pk] = _next_due(viewer, instance.metric, instance.due)
        elif ticket.is_open and ticket.first_responded_at is None and ticket.first_response_due is not None:
            found[ticket.pk] = _next_due(viewer, "first_response", ticket.first_response_due)
    return found


def _next_due(viewer: Viewer, metric: str, due: datetime) -> NextDue:
    return NextDue(
        metric=metric,
        name=viewer.labels.metric(metric),
        due=viewer.instant(due),
        left=display.format_time_left(due, viewer.now),
        overdue=due <= viewer.now,
    )


def _name(viewer: Viewer, instance: MetricInstance) -> str:
    name = viewer.labels.metric(instance.metric)
    if instance.cycle > 1:
        return _("%(metric)s (cycle %(cycle)d)") % {"metric": name, "cycle": instance.cycle}
    return name


def _when(viewer: Viewer, instance: MetricInstance) -> SafeString:
    """The instance's due cell: its due and time left while it runs, when it was met, or paused."""
    if instance.fulfilled_at is not None:
        return format_html(
            '{}<br><span class="muted">{}</span>',
            viewer.instant(instance.due) if instance.due else "—",
            _("fulfilled %(at)s") % {"at": viewer.instant(instance.fulfilled_at)},
        )
    if instance.due is None:
        return format_html(
            '<span class="muted">{}</span>', _("clock stopped") if instance.state == "paused" else "—"
        )
    return format_html(
        '{}<br><span class="muted" data-testid="metric-left">{}</span>',
        viewer.instant(instance.due),
        display.format_time_left(instance.due, viewer.now),
    )


def metrics_panel(viewer: Viewer, ticket: Ticket) -> SafeString:
    """The side panel's table of every metric instance of the ticket, current and past cycles
    ('' when the ticket's plan promises nothing beyond what the first-response section says:
    then nothing is read)."""
    if not promises_more(viewer, ticket):
        return mark_safe("")
    instances = stored_metric_states([ticket], viewer.policy, viewer.now).get(ticket.pk, [])
    if not instances:
        return mark_safe("")
    labels = viewer.labels
    rows = format_html_join(
        "\n",
        '<tr data-testid="metric-row" data-metric="{}" data-cycle="{}" data-state="{}">'
        '<th scope="row">{}</th><td><span class="badge badge-metric-{}">{}</span></td>'
        '<td data-testid="metric-due">{}</td><td data-testid="metric-elapsed">{}</td></tr>',
        (
            (
                instance.metric, instance.cycle, instance.state, _name(viewer, instance), instance.state,
                labels.metric_state(instance.state), _when(viewer, instance),
                display.format_business_hours(instance.elapsed),
            )
            for instance in instances
        ),
    )  # fmt: skip
    return format_html(
        '<table class="metric-table" data-testid="metric-table"><thead><tr><th>{}</th><th>{}</th>'
        "<th>{}</th><th>{}</th></tr></thead><tbody>{}</tbody></table>",
        _("Metric"),
        _("State"),
        _("Due"),
        _("Business time"),
        rows,
    )


@dataclass(frozen=True)
class MetricExplanation:
    """One metric instance on the explain page: its target, its events and the business time
    counted in each interval its clock ran."""

    instance: MetricInstance
    name: str
    state: str
    target: str
    due: str
    events: list[tuple[str, str]]  # (what, when)
    intervals: list[tuple[str, str, str]]  # (from, to, business time)
    elapsed: str


def explain_metrics(viewer: Viewer, ticket: Ticket) -> list[MetricExplanation]:
    """Each metric instance of the ticket with its events and the business hours counted."""
    policy = viewer.policy
    rules = ticket_rules(ticket, policy)
    kinds = dict(MetricEvent.Kind.choices)
    explained = []
    for instance in stored_metric_states([ticket], policy, viewer.now).get(ticket.pk, []):
        rule, target_rule = rules[instance.metric]
        clock = rule.clock_for(ticket.priority) or rule.any_clock
        if clock is None:  # never: an instance has a rule with a clock
            continue
        counted_on, _seconds = business_seconds_for(clock.calendar, clock.target)
        end = instance.fulfilled_at or viewer.now
        explained.append(
            MetricExplanation(
                instance=instance,
                name=_name(viewer, instance),
                state=viewer.labels.metric_state(instance.state),
                target=target_rule.text.get(viewer.lang) if target_rule is not None else "",
                due=viewer.instant(instance.due) if instance.due else "—",
                events=[(str(kinds.get(e.kind, e.kind)), viewer.instant(e.at)) for e in instance.events],
                intervals=[
                    (viewer.instant(low), viewer.instant(high),
                     display.format_business_hours(business_time_between(counted_on, low, high)))
                    for low, high in _running_intervals(instance, end)
                ],
                elapsed=display.format_business_hours(instance.elapsed),
            )
        )  # fmt: skip
    return explained


def _running_intervals(instance: MetricInstance, end: datetime) -> list[tuple[datetime, datetime]]:
    """The spans the instance's clock ran: from activation to `end`, less its pauses."""
    intervals, start = [], instance.activated_at
    for low, high in instance.pauses:
        if low > start:
            intervals.append((start, low))
        start = max(start, high if high is not None else end)
    if end > start:
        intervals.append((start, end))
    return intervals
