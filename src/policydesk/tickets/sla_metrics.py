"""A ticket's SLA metric states, read from what its actions recorded (the audit rows), on the pure
engine `policydesk.sla.metrics`: the timeline each action's one audit row implies, replayed
under the policy's metric rules for the ticket's plan, office and priority.

`record_metric_events` stores the events (`MetricEvent` rows) inside the action that moved a
clock; `metric_states` only reads. Which audit actions move which clock:
- `ticket.opened`: the creation (the customer's first message is the first response's);
- `ticket.replied`: a public agent reply, then the status the reply left (pending or solved);
- `ticket.deflected`: a public agent reply with the policy's route, and solved (C12);
- `ticket.customer_replied`: a public customer message; a pending or solved ticket opens
  again first (do_customer_reply), so a reopen comes before the message;
- `ticket.status`, `ticket.priority`: the change to `after`;
- `ticket.merged` (on the source): closed.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from policydesk.compiled_queries import PreparedInsert, insert_rows, new_row, prepare_rows
from policydesk.desk_policy import get_policy
from policydesk.policy.metric_rules import metric_rules
from policydesk.policy.model import Policy, TargetRule
from policydesk.sla.metrics import (
    MetricInstance,
    MetricRule,
    TimelineEvent,
    instances_from_events,
    ticket_metrics,
)
from policydesk.tickets.models import AuditEvent, MetricEvent, Ticket
from policydesk.together import done_together

#: The audit actions that move a metric's clock.
TIMELINE_ACTIONS = (
    "ticket.opened",
    "ticket.replied",
    "ticket.deflected",
    "ticket.customer_replied",
    "ticket.status",
    "ticket.priority",
    "ticket.merged",
)


def timeline_from_audit(
    rows: Iterable[tuple[str, datetime, Mapping[str, Any]]], created_at: datetime | None = None
) -> list[TimelineEvent]:
    """The timeline of a ticket from its audit rows `(action, at, data)`, oldest first.

    A row stamped before the ticket's creation or before an earlier row (an action given an
    older `now`) is taken to have happened then: the clock never runs backwards, and an action
    must not fail on its own history."""
    events: list[TimelineEvent] = []
    status = "new"
    latest = created_at

    def set_status(at: datetime, value: str) -> None:
        nonlocal status
        if value != status:
            events.append(TimelineEvent(at, "status", value))
            status = value

    for action, stamped, data in rows:
        at = stamped if latest is None or stamped >= latest else latest
        latest = at
        if action == "ticket.replied":
            events.append(TimelineEvent(at, "agent_reply"))
            set_status(at, str(data.get("status") or "pending"))
        elif action == "ticket.deflected":
            events.append(TimelineEvent(at, "agent_reply"))
            set_status(at, "solved")
        elif action == "ticket.customer_replied":
            if status in ("pending", "solved"):
                set_status(at, "open")
            events.append(TimelineEvent(at, "customer_message"))
        elif action == "ticket.status" and isinstance(data.get("after"), str):
            set_status(at, data["after"])
        elif action == "ticket.priority" and isinstance(data.get("after"), str):
            events.append(TimelineEvent(at, "priority", data["after"]))
        elif action == "ticket.merged":
            set_status(at, "closed")
    return events


def initial_priority(ticket: Ticket, rows: Iterable[tuple[str, datetime, Mapping[str, Any]]]) -> str:
    """The priority the ticket was opened with: the first change's `before`, else its priority now."""
    for action, _, data in rows:
        if action == "ticket.priority" and isinstance(data.get("before"), str):
            return str(data["before"])
    return ticket.priority


def ticket_rules(ticket: Ticket, policy: Policy) -> dict[str, tuple[MetricRule, TargetRule | None]]:
    """Each metric the ticket's plan promises, by name: its rule (as `sla.metrics` takes it) and
    the policy's target for the ticket's priority now (its published text); none for a plan the
    policy lacks."""
    plan = policy.plans.get(ticket.organisation.plan)
    if plan is None:
        return {}
    critical = ticket.mission_critical
    return {
        rule.metric: (
            rule,
            policy.metric_rule(plan, rule.metric, mission_critical=critical, priority=ticket.priority),
        )
        for rule in metric_rules(policy, plan, ticket.office, mission_critical=critical)
    }


def metric_states(
    ticket: Ticket,
    policy: Policy,
    now: datetime,
    *,
    opened: bool = False,
    rows: Sequence[tuple[str, datetime, Mapping[str, Any]]] | None = None,
) -> list[MetricInstance]:
    """Every SLA metric instance of `ticket` as of `now` (none for a plan the policy lacks).

    `opened`: the ticket was created just now, so its timeline is empty (no audit read).
    `rows`: its timeline's audit rows `(action, at, data)`, oldest first, when the caller read
    them already (`_audit_rows`)."""
    plan = policy.plans.get(ticket.organisation.plan)
    if plan is None:
        return []
    rules = metric_rules(policy, plan, ticket.office, mission_critical=ticket.mission_critical)
    if opened:
        return ticket_metrics(rules, ticket.created_at, ticket.priority, [], now)
    if rows is None:
        rows = _audit_rows([ticket.pk]).get(ticket.pk, [])
    timeline = timeline_from_audit(rows, ticket.created_at)
    # An action's own row is known at its `now`, even when that `now` is older than the history.
    known = max([now, *(event.at for event in timeline[-1:])])
    return ticket_metrics(rules, ticket.created_at, initial_priority(ticket, rows), timeline, known)


def _audit_rows(ticket_ids: Sequence[int]) -> dict[int, list[tuple[str, datetime, Mapping[str, Any]]]]:
    """The timeline audit rows `(action, at, data)` of each ticket, oldest first, in one query."""
    rows: dict[int, list[tuple[str, datetime, Mapping[str, Any]]]] = {pk: [] for pk in ticket_ids}
    for subject_id, action, at, data in (
        AuditEvent.objects.filter(
            subject_type="ticket", subject_id__in=[str(pk) for pk in ticket_ids], action__in=TIMELINE_ACTIONS
        )
        .order_by("at", "id")
        .values_list("subject_id", "action", "at", "data")
    ):
        rows[int(subject_id)].append((action, at, data))
    return rows


#: The tickets whose metric events wait for the end of a `recording_together` block (None: outside
#: one): each with the latest `now` it was changed at and the policy of that change.
_together: ContextVar[dict[int, tuple[Ticket, datetime, Policy]] | None] = ContextVar(
    "recording_together", default=None
)


def recording_together() -> AbstractContextManager[None]:
    """Inside this block (in one transaction), `record_metric_events` of a ticket changed by an
    action is collected and done for every ticket at once when the block ends: a bulk change's
    chunk reads its tickets' audit rows in one query and stores their events in one INSERT, not
    two per ticket. The events are the same: they follow from the stored audit rows (those of a
    change undone within the block are gone with it). Nothing is recorded when the block raises.
    Whatever reads the events (the SLA watch's `planning_together`) must end after this block."""
    return done_together(_together, dict, _record_waiting)


def _record_waiting(waiting: dict[int, tuple[Ticket, datetime, Policy]]) -> None:
    audit = _audit_rows(list(waiting))
    rows = [
        row
        for ticket, now, policy in waiting.values()
        for row in _event_rows(ticket, policy, metric_states(ticket, policy, now, rows=audit[ticket.pk]))
    ]
    if rows:
        MetricEvent.objects.bulk_create(rows, ignore_conflicts=True)


def record_metric_events(ticket: Ticket, now: datetime, *, policy: Policy | None = None) -> list[MetricEvent]:
    """Store the metric events of `ticket` up to `now` that are not stored yet; call it inside the
    action's transaction, after its audit row. One INSERT (a row already there is skipped).
    Returns the rows it offered (inside a `recording_together` block, none: they are stored at
    its end). A new ticket's: `opening_metric_events`.

    A breach is stored by the first action after it (the SLA watch is to store it on time).
    `policy`: the one the action already holds (else the desk's)."""
    policy = policy or get_policy()
    waiting = _together.get()
    if waiting is not None:
        before = waiting.get(ticket.pk)
        waiting[ticket.pk] = (ticket, max(now, before[1]) if before else now, policy)
        return []
    rows = _event_rows(ticket, policy, metric_states(ticket, policy, now))
    store_metric_events(rows)
    return rows


def opening_metric_events(ticket: Ticket, now: datetime, policy: Policy) -> list[MetricEvent]:
    """The metric events of a ticket opened at `now` (its timeline is empty: nothing to read),
    unsaved, like the ticket itself may still be: `do_open_ticket` works them out before its
    transaction and stores them in it (`prepare_metric_events`; issue 17)."""
    return _event_rows(ticket, policy, metric_states(ticket, policy, now, opened=True))


def store_metric_events(rows: Sequence[MetricEvent]) -> None:
    """Store `rows` in one INSERT; a row already there is skipped."""
    insert_rows(rows, ignore_conflicts=True)


def prepare_metric_events(rows: Sequence[MetricEvent]) -> list[PreparedInsert]:
    """`store_metric_events(rows)` worked out now, to be written (each `write()`) in the
    transaction that saves their ticket (an intake's: issue 17)."""
    return prepare_rows(rows, ignore_conflicts=True)


def _event_rows(ticket: Ticket, policy: Policy, instances: Iterable[MetricInstance]) -> list[MetricEvent]:
    return [
        new_row(
            MetricEvent, ticket=ticket, metric=instance.metric, cycle=instance.cycle, kind=event.kind,
            at=event.at, policy_version=policy.version,
        )
        for instance in instances
        for event in instance.events
    ]  # fmt: skip


def stored_metric_states(
    tickets: Sequence[Ticket], policy: Policy, now: datetime
) -> dict[int, list[MetricInstance]]:
    """Every metric instance of each of `tickets` (by id) as of `now`, rebuilt from the stored
    `MetricEvent` rows in one query: what a page of tickets shows (queue rows, API lists, the
    ticket's panel). The tickets' organisations must be loaded with them.

    The stored events are the replay's (`metric_states`); a breach the watch has not stored yet
    is found from the due (`sla.metrics.instances_from_events`)."""
    stored: dict[int, list[tuple[str, int, str, datetime]]] = {ticket.pk: [] for ticket in tickets}
    if not stored:
        return {}
    rows = MetricEvent.objects.filter(ticket_id__in=list(stored)).values_list(
        "ticket_id", "metric", "cycle", "kind", "at"
    )
    for ticket_id, metric, cycle, kind, at in rows:
        stored[ticket_id].append((metric, cycle, kind, at))
    return {
        ticket.pk: instances_from_events(
            [rule for rule, _ in ticket_rules(ticket, policy).values()],
            ticket.priority,
            stored[ticket.pk],
            now,
        )
        for ticket in tickets
    }
