"""Who works a ticket and where it stands: the assignee, the status, the priority, the request
type (which re-runs triage), and an agent's deflection of a ticket that turns out to be out of
scope (which solves it)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.policy.model import Policy, Route
from policydesk.policy.triage import Decision
from policydesk.tickets import signals
from policydesk.tickets.access import can_answer
from policydesk.tickets.actions.intake import _triage as intake_triage
from policydesk.tickets.actions.shared import ActionError, locked
from policydesk.tickets.actions.stale import check_version
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import OPEN_STATUSES, Deflection, Message, Person, Ticket
from policydesk.tickets.sla_metrics import record_metric_events


def do_assign(
    *,
    ticket: Ticket,
    assignee: Person | None,
    actor: Person,
    now: datetime,
    expected_version: int | None = None,
) -> Ticket:
    """Assign to an agent who works the ticket's queue, or unassign."""
    if assignee is not None and not can_answer(assignee, ticket):
        raise ActionError(
            _("%(email)s does not work the %(queue)s queue")
            % {"email": assignee.email, "queue": ticket.office}
        )
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        newly = assignee is not None and ticket.assignee_id != assignee.pk
        ticket.assignee = assignee
        if ticket.status == Ticket.Status.NEW and assignee is not None:
            ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save(update_fields=["assignee", "status", "updated_at"])
        record_audit_event(
            now, actor, "ticket.assigned", ticket, assignee=assignee.email if assignee else None
        )
        signals.ticket_changed.send(Ticket, ticket=ticket, change="assignee")
        if newly:
            signals.ticket_assigned.send(Ticket, ticket=ticket, actor=actor)
    return ticket


def do_set_status(
    *, ticket: Ticket, status: str, actor: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """Move a ticket between new, open, pending, on hold, solved and closed (closed is final)."""
    if status not in Ticket.Status.values:
        raise ActionError(_("unknown status %(status)r") % {"status": status})
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        if ticket.status == Ticket.Status.CLOSED and status != Ticket.Status.CLOSED:
            raise ActionError(_("a closed ticket cannot be reopened; open a new one"))
        before = ticket.status
        ticket.status = status
        ticket.updated_at = now
        ticket.save(update_fields=["status", "updated_at"])
        record_audit_event(now, actor, "ticket.status", ticket, before=before, after=status)
        record_metric_events(ticket, now)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="status")
        if before == Ticket.Status.SOLVED and status in OPEN_STATUSES:
            signals.ticket_reopened.send(Ticket, ticket=ticket, actor=actor)
        if before in OPEN_STATUSES and status == Ticket.Status.SOLVED:
            signals.ticket_solved.send(Ticket, ticket=ticket, actor=actor, now=now)
    return ticket


def do_set_priority(
    *, ticket: Ticket, priority: str, actor: Person, now: datetime, expected_version: int | None = None
) -> Ticket:
    """C15, C16: priority is recorded and shown; it never changes the first response's due (a
    vendor's `by_priority` targets of the other metrics switch, docs/policy-format.md)."""
    if priority not in get_policy().priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": priority})
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        before = ticket.priority
        ticket.priority = priority
        ticket.updated_at = now
        ticket.save(update_fields=["priority", "updated_at"])
        record_audit_event(now, actor, "ticket.priority", ticket, before=before, after=priority)
        record_metric_events(ticket, now)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="priority")  # a target may switch
    return ticket


def do_deflect(
    *, ticket: Ticket, agent: Person, topic: str, now: datetime, expected_version: int | None = None
) -> Deflection:
    """An agent finds an open ticket out of scope: the customer gets the policy's route text
    as a public reply, the deflection is recorded, the ticket is solved (C12, C17-C19)."""
    policy = get_policy()
    if topic not in policy.out_of_scope:
        raise ActionError(_("%(topic)r is not an out-of-scope topic of the policy") % {"topic": topic})
    route = policy.route_for(policy.plans[ticket.organisation.plan], topic)
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        deflection, message = _solve_with_route(policy, ticket, agent, topic, route, now)
        record_audit_event(
            now, agent, "ticket.deflected", ticket, topic=topic, route=route.id, message=message.pk
        )
        record_metric_events(ticket, now)
        signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=True)
    return deflection


def _solve_with_route(
    policy: Policy, ticket: Ticket, agent: Person, topic: str, route: Route, now: datetime
) -> tuple[Deflection, Message]:
    """The customer gets the route's text as a public reply, the deflection is recorded, the ticket
    is solved (on the locked `ticket`, inside the caller's transaction; the caller audits)."""
    if Deflection.objects.filter(ticket=ticket).exists():
        raise ActionError(_("the ticket is already deflected"))
    organisation = ticket.organisation
    text = policy.route_text(route, organisation.account_team(), languages.choose(ticket.language))
    message = Message.objects.create(
        ticket=ticket, author=agent, kind=Message.Kind.PUBLIC, text=text, channel=Ticket.Channel.WEB,
        created_at=now,
    )  # fmt: skip
    deflection = Deflection.objects.create(
        organisation=organisation, person=ticket.requester, ticket=ticket, topic=topic,
        channel=ticket.channel, route=route.id, route_kind=route.kind, policy_version=policy.version,
        created_at=now,
    )  # fmt: skip
    if ticket.first_responded_at is None:
        ticket.first_responded_at = now
    ticket.status = Ticket.Status.SOLVED
    ticket.updated_at = now
    ticket.save()
    return deflection, message


@dataclass(frozen=True)
class Triaged:
    """What a ticket's triage gave it: the part of the ticket a request-type change may move."""

    topic: str
    office: str
    calendar: str
    first_response_due: datetime | None
    mission_critical: bool

    @classmethod
    def of(cls, ticket: Ticket) -> Triaged:
        return cls(
            ticket.topic, ticket.office, ticket.calendar, ticket.first_response_due, ticket.mission_critical
        )


@dataclass(frozen=True)
class RequestTypeChange:
    """What `do_change_request_type` did: the ticket before and after, the decision, and the
    deflection when the new type is out of scope or not offered on the plan."""

    ticket: Ticket
    before: Triaged
    after: Triaged
    decision: Decision
    deflection: Deflection | None
    unassigned: bool  # the assignee does not work the new queue


def do_change_request_type(
    *, ticket: Ticket, topic: str, agent: Person, now: datetime, expected_version: int | None = None
) -> RequestTypeChange:
    """Triage the ticket again as if it had come in with `topic` when it was created (C2, C3, C6,
    C9, C12): a new queue, calendar, first-response due time and mission-critical flag, or a
    deflection (the ticket solved with the route's text, as `do_deflect`).

    A ticket already answered keeps its first response: its due time is recomputed too (the ticket
    shows the promise of the type the request really is), but no clock restarts: the watch plans
    timers only for tickets awaiting a first response. The reports read the promise from this
    action's audit row (`after`) once it exists."""
    policy = get_policy()
    if topic not in policy.request_types and topic not in policy.out_of_scope:
        raise ActionError(_("unknown request type %(topic)r") % {"topic": topic})
    with transaction.atomic():
        ticket = locked(ticket)
        check_version(ticket, expected_version)
        if not ticket.is_open:
            raise ActionError(_("only an open ticket's request type can change"))
        if topic == ticket.topic:
            raise ActionError(_("the ticket already has this request type"))
        before = Triaged.of(ticket)
        decision = _retriage(policy, ticket, topic)
        ticket.topic = topic
        ticket.policy_id, ticket.policy_version = policy.id, policy.version
        deflection = None
        unassigned = False
        if decision.route is not None:  # outcome "deflect" (C2, C12, C17-C20)
            deflection, message = _solve_with_route(policy, ticket, agent, topic, decision.route, now)
        else:
            ticket.office = decision.office or ""
            ticket.calendar = decision.calendar or ""
            ticket.first_response_due = decision.first_response_due
            ticket.mission_critical = decision.mission_critical
            ticket.updated_at = now
            ticket.save()
            if ticket.assignee is not None and not can_answer(ticket.assignee, ticket):
                ticket.assignee, unassigned = None, True
                ticket.save(update_fields=["assignee"])
        after = Triaged.of(ticket)
        record_audit_event(
            now, agent, "ticket.request_type", ticket,
            before=_audited(before), after=_audited(after), outcome=decision.outcome,
            route=decision.route.id if decision.route else None, unassigned=unassigned,
            reasons=[f"{clause}: {why}" for clause, why in decision.reasons],
        )  # fmt: skip
        if deflection is not None:
            signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=True)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="request_type")
    return RequestTypeChange(ticket, before, after, decision, deflection, unassigned)


def _retriage(policy: Policy, ticket: Ticket, topic: str) -> Decision:
    """The decision for the ticket's request as if it had come in with `topic` at its creation:
    the intake's own triage step, on the ticket's organisation, channel and creation instant."""
    return intake_triage(policy, ticket.organisation, topic, ticket.channel, ticket.created_at)


def _audited(triaged: Triaged) -> dict[str, object]:
    due = triaged.first_response_due
    return {
        "topic": triaged.topic,
        "office": triaged.office,
        "calendar": triaged.calendar,
        "first_response_due": due.isoformat() if due else None,
        "mission_critical": triaged.mission_critical,
    }
