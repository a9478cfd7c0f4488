"""Calls with support (C7, C21): a customer asks, an agent proposes times or declines."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.tickets import signals
from policydesk.tickets.actions import once
from policydesk.tickets.actions.shared import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import MeetingRequest, Person, Ticket


def do_request_meeting(
    *, ticket: Ticket, customer: Person, reason: str, now: datetime, once_key: str = ""
) -> MeetingRequest:
    """C7: Growth, Enterprise and Premium customers may ask for a call, at support's discretion."""
    plan = get_policy().plans[ticket.organisation.plan]
    if not plan.meetings:
        raise ActionError(
            _("calls are not offered on the %(plan)s plan (C7)")
            % {"plan": plan.name.get(languages.current())}
        )
    if not reason.strip():
        raise ActionError(_("please say why a call would help"))
    with transaction.atomic():
        submit = once.claim(once_key, customer, "meeting.requested", now)
        if isinstance(submit.earlier, MeetingRequest):
            return submit.earlier
        if ticket.meeting_requests.filter(status=MeetingRequest.Status.REQUESTED).exists():
            raise ActionError(_("a call request is already waiting for support's answer"))
        meeting = MeetingRequest.objects.create(
            ticket=ticket, requested_by=customer, reason=reason, requested_at=now
        )
        record_audit_event(now, customer, "meeting.requested", meeting, ticket=ticket.number)
        submit.remember(meeting)
    return meeting


def do_decide_meeting(
    *, meeting: MeetingRequest, agent: Person, propose: bool, note: str, now: datetime
) -> MeetingRequest:
    """An agent proposes a one-off call (with times in the note) or declines, saying why (C7, C21)."""
    if not note.strip():
        raise ActionError(_("a decision needs a note for the customer"))
    with transaction.atomic():
        meeting = MeetingRequest.objects.select_for_update().get(pk=meeting.pk)
        if meeting.status != MeetingRequest.Status.REQUESTED:
            raise ActionError(_("this call request was already answered"))
        meeting.status = MeetingRequest.Status.PROPOSED if propose else MeetingRequest.Status.DECLINED
        meeting.note = note
        meeting.decided_by = agent
        meeting.decided_at = now
        meeting.save()
        record_audit_event(now, agent, "meeting.decided", meeting, status=meeting.status)
        signals.meeting_decided.send(MeetingRequest, meeting=meeting)
    return meeting
