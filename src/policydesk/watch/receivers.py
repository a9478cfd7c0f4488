"""The watch listens to the ticket actions' signals, which are sent inside the action's
transaction: timers are planned and pages opened in the same commit as the change."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from policydesk.desk_policy import get_policy
from policydesk.policy.model import Policy
from policydesk.tickets import bulk, signals
from policydesk.tickets.models import MetricEvent, Ticket
from policydesk.watch import paging, timers


def _replan(ticket: Ticket) -> None:
    timers.replan(ticket, get_policy(), now=ticket.updated_at)


def prepare_timers(
    sender: object,
    ticket: Ticket,
    policy: Policy | None = None,
    metric_events: Sequence[MetricEvent] | None = None,
    **kwargs: Any,
) -> timers.NewTicketPlan | None:
    """Before the intake's transaction: the new ticket's timers, from the events it will store."""
    if metric_events is None:
        return None
    return timers.prepare_new_ticket(ticket, policy or get_policy(), ticket.created_at, metric_events)


def on_ticket_opened(
    sender: object,
    ticket: Ticket,
    policy: Policy | None = None,
    metric_events: Sequence[MetricEvent] | None = None,
    prepared: tuple[object, ...] = (),
    **kwargs: Any,
) -> None:
    # The timers worked out before the transaction; else from the action's policy and the events
    # it just stored: nothing to read back (issue 17).
    policy = policy or get_policy()
    plan = next((p for p in prepared if isinstance(p, timers.NewTicketPlan) and p.ticket is ticket), None)
    if plan is not None:
        plan.write()
    else:
        timers.plan_ticket(ticket, policy, now=ticket.created_at, new=True, stored_events=metric_events)
    if ticket.mission_critical:
        _page_if_on_call(ticket, policy, now=ticket.created_at)


def _page_if_on_call(ticket: Ticket, policy: Policy, now: datetime) -> None:
    """C5, C6: a mission-critical ticket pages on call where the plan says so (once per ticket)."""
    plan = policy.plans.get(ticket.organisation.plan)
    rule = plan.mission_critical if plan else None
    if rule is not None and rule.page_on_call:
        timer = paging.open_page(ticket, policy.version, now=now)
        if timer is not None:
            timers.fire_timers_now.enqueue([timer.pk])


def on_agent_replied(sender: object, ticket: Ticket, first_response: bool = False, **kwargs: Any) -> None:
    # Any public reply fulfils the first response or the next reply and the periodic update, and
    # starts the next periodic update: cancels their pending warnings and breaches, plans the new.
    _replan(ticket)
    if first_response:
        paging.stop_paging(ticket, now=ticket.updated_at)


def on_ticket_changed(sender: object, ticket: Ticket, change: str = "", **kwargs: Any) -> None:
    # Solved or closed cancels; pending or on-hold cancels what it pauses; reopened (a new
    # resolution cycle), a customer's message (a next reply owed), a priority change (its
    # target) or a re-triage re-plans.
    _replan(ticket)
    if change == "request_type":  # re-triaged: it may have become mission-critical, or stopped being so
        if ticket.mission_critical and ticket.awaiting_first_response:
            _page_if_on_call(ticket, get_policy(), now=ticket.updated_at)
        else:
            paging.stop_paging(ticket, now=ticket.updated_at)


def connect() -> None:
    bulk.register_chunk_context("watch.plan", timers.planning_together)
    signals.ticket_opening.connect(prepare_timers, dispatch_uid="watch.prepare_timers")
    signals.ticket_opened.connect(on_ticket_opened, dispatch_uid="watch.ticket_opened")
    signals.agent_replied.connect(on_agent_replied, dispatch_uid="watch.agent_replied")
    signals.customer_replied.connect(on_ticket_changed, dispatch_uid="watch.customer_replied")
    signals.ticket_changed.connect(on_ticket_changed, dispatch_uid="watch.ticket_changed")
