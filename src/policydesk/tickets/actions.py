"""Every write to the desk: one transaction, one audit event, side effects through signals
sent inside the transaction (receivers enqueue tasks transactionally) or on commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import nh3
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.oneline import one_line
from policydesk.policy.model import Route
from policydesk.policy.triage import Decision, Request, triage
from policydesk.tickets import signals
from policydesk.tickets.models import (
    AuditEvent,
    Counter,
    Deflection,
    Feedback,
    MeetingRequest,
    Message,
    Organisation,
    Person,
    Team,
    Ticket,
)


class ActionError(ValueError):
    """An action refused: the message says why, in words for the person who asked."""


@dataclass(frozen=True)
class Upload:
    """A file to attach, however it arrived (form, API, email)."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class IntakeResult:
    """What `do_open_ticket` did: a ticket, or a deflection with its route."""

    decision: Decision
    ticket: Ticket | None
    deflection: Deflection | None
    message: Message | None = None  # the ticket's first message (the request itself)

    @property
    def route(self) -> Route | None:
        return self.decision.route


def record_audit_event(now: datetime, actor: Person | None, action: str, subject: Any, **data: Any) -> None:
    """The one audit row of a write; call it inside the write's transaction (every app's actions do)."""
    AuditEvent.objects.create(
        at=now,
        actor=actor,
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=str(subject.pk),
        data=data,
    )


def _clean_html(html: str) -> str:
    return nh3.clean(html) if html else ""


def _next_number() -> int:
    """The next ticket number, in one statement (UPDATE ... RETURNING: SQLite 3.35+ and
    PostgreSQL); the UPDATE holds the row lock until the transaction ends."""
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {quote(Counter._meta.db_table)} SET {quote('value')} = {quote('value')} + 1 "  # noqa: S608 - quoted identifiers, bound value
            f"WHERE {quote('name')} = %s RETURNING {quote('value')}",
            ["ticket"],
        )
        row = cursor.fetchone()
    if row is None:  # the very first ticket of this database
        Counter.objects.get_or_create(name="ticket")
        return _next_number()
    return int(row[0])


def _attach(ticket: Ticket, message: Message | None, uploads: tuple[Upload, ...], now: datetime) -> None:
    limit = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
    for upload in uploads:
        if len(upload.content) > limit:
            raise ActionError(
                _("%(name)s is larger than the limit of %(mb)d MB")
                % {"name": upload.filename, "mb": limit // (1024 * 1024)}
            )
        attachment = ticket.attachments.model(
            ticket=ticket,
            message=message,
            filename=upload.filename[:250] or "attachment",
            content_type=upload.content_type[:120] or "application/octet-stream",
            size=len(upload.content),
            created_at=now,
        )
        attachment.file.save("upload", ContentFile(upload.content), save=False)
        attachment.save()


# -- organisations, people, teams ---------------------------------------------------


def do_create_team(*, name: str, kind: str, office: str, actor: Person | None, now: datetime) -> Team:
    """Create an office or Premium team; the office must exist in the policy (C4, C8)."""
    policy = get_policy()
    if office not in policy.offices:
        raise ActionError(
            _("unknown office %(office)r; the policy has %(known)s")
            % {"office": office, "known": ", ".join(policy.offices)}
        )
    with transaction.atomic():
        team = Team.objects.create(name=name, kind=kind, office=office)
        record_audit_event(now, actor, "team.created", team, name=name, kind=kind, office=office)
    return team


def do_create_organisation(
    *,
    name: str,
    plan: str,
    region: str,
    actor: Person | None,
    now: datetime,
    account_executive: str = "",
    customer_success_manager: str = "",
    dedicated_team: Team | None = None,
    shares_tickets: bool = False,
) -> Organisation:
    """Create a customer organisation on a plan of the policy, in one of its regions (C1, C9)."""
    policy = get_policy()
    if plan not in policy.plans:
        raise ActionError(
            _("unknown plan %(plan)r; the policy has %(known)s")
            % {"plan": plan, "known": ", ".join(policy.plans)}
        )
    if region not in policy.regions:
        raise ActionError(
            _("unknown region %(region)r; the policy has %(known)s")
            % {"region": region, "known": ", ".join(policy.regions)}
        )
    with transaction.atomic():
        organisation = Organisation.objects.create(
            name=name,
            plan=plan,
            region=region,
            account_executive=account_executive,
            customer_success_manager=customer_success_manager,
            dedicated_team=dedicated_team,
            shares_tickets=shares_tickets,
            created_at=now,
        )
        record_audit_event(now, actor, "organisation.created", organisation, plan=plan, region=region)
    return organisation


def do_create_person(
    *,
    email: str,
    password: str | None,
    role: str,
    actor: Person | None,
    now: datetime,
    name: str = "",
    organisation: Organisation | None = None,
    teams: tuple[Team, ...] = (),
    language: str = "",
    time_zone: str = "",
) -> Person:
    """Create a person; the login email is unique whatever its case (C14)."""
    email = email.strip().lower()
    if Person.objects.filter(email__iexact=email).exists():
        raise ActionError(_("%(email)s already has an account") % {"email": email})
    if role == Person.Role.CUSTOMER and organisation is None:
        raise ActionError(_("a customer belongs to an organisation"))
    with transaction.atomic():
        person = Person.objects.create_user(
            email,
            password,
            role=role,
            name=name,
            organisation=organisation,
            language=language,
            time_zone=time_zone,
            is_staff=role in (Person.Role.LEAD, Person.Role.ADMIN),
            is_superuser=role == Person.Role.ADMIN,
            date_joined=now,
        )
        person.teams.set(teams)
        record_audit_event(now, actor, "person.created", person, role=role, email=email)
    return person


# -- tickets --------------------------------------------------------------------------


def do_open_ticket(
    *,
    requester: Person,
    topic: str,
    subject: str,
    text: str,
    channel: str,
    now: datetime,
    priority: str = "",
    html: str = "",
    uploads: tuple[Upload, ...] = (),
    language: str = "",
    inbound: signals.InboundEmail | None = None,
) -> IntakeResult:
    """The one intake path for every channel (C13): triage by the policy, then a ticket
    (office, queue and first-response clock from the decision) or a recorded deflection.

    `inbound`: the email the request came in, for the mail sent about it (threading)."""
    organisation = requester.organisation
    if requester.role != Person.Role.CUSTOMER or organisation is None:
        raise ActionError(_("only a customer of an organisation can open a ticket (C14)"))
    policy = get_policy()
    priority = priority or policy.desk.default_priority or ""  # C15: none chosen (email, API)
    if priority not in policy.priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": priority})
    subject = one_line(subject)[:250]  # no line break reaches a mail header (issue 9)
    if not subject:
        raise ActionError(_("a ticket needs a subject"))
    request = Request(
        id=f"{organisation.pk}",
        plan=organisation.plan,
        region=organisation.region,
        topic=topic,
        created_at=now,
        channel=channel,  # type: ignore[arg-type]
    )
    if topic not in policy.request_types and topic not in policy.out_of_scope:
        raise ActionError(_("unknown request type %(topic)r") % {"topic": topic})
    decision = triage(policy, request)
    with transaction.atomic():
        if decision.route is not None:  # outcome "deflect"
            deflection = Deflection.objects.create(
                organisation=organisation,
                person=requester,
                topic=topic,
                channel=channel,
                route=decision.route.id,
                route_kind=decision.route.kind,
                policy_version=policy.version,
                created_at=now,
            )
            if topic == policy.desk.feedback_topic and text.strip():  # C18: keep what they asked for
                Feedback.objects.create(
                    organisation=organisation, person=requester, text=text, created_at=now
                )
            record_audit_event(
                now, requester, "request.deflected", deflection, topic=topic, route=decision.route.id
            )
            signals.request_deflected.send(
                Deflection, deflection=deflection, decision=decision, inbound=inbound
            )
            return IntakeResult(decision=decision, ticket=None, deflection=deflection)
        ticket = Ticket.objects.create(
            number=_next_number(),
            organisation=organisation,
            requester=requester,
            channel=channel,
            topic=topic,
            subject=subject,
            priority=priority,
            office=decision.office or "",
            calendar=decision.calendar or "",
            first_response_due=decision.first_response_due,
            mission_critical=decision.mission_critical,
            policy_id=policy.id,
            policy_version=policy.version,
            language=languages.choose(language, requester.language),
            created_at=now,
            updated_at=now,
        )
        message = Message.objects.create(
            ticket=ticket,
            author=requester,
            text=text,
            html=_clean_html(html),
            channel=channel,
            created_at=now,
        )
        _attach(ticket, message, uploads, now)
        record_audit_event(
            now,
            requester,
            "ticket.opened",
            ticket,
            office=ticket.office,
            first_response_due=ticket.first_response_due.isoformat() if ticket.first_response_due else None,
            mission_critical=ticket.mission_critical,
            policy_version=policy.version,
            reasons=[f"{clause}: {why}" for clause, why in decision.reasons],
        )
        signals.ticket_opened.send(Ticket, ticket=ticket, message=message, decision=decision, inbound=inbound)
    return IntakeResult(decision=decision, ticket=ticket, deflection=None, message=message)


def _locked(ticket: Ticket) -> Ticket:
    return Ticket.objects.select_for_update().get(pk=ticket.pk)


def do_agent_reply(
    *,
    ticket: Ticket,
    agent: Person,
    text: str,
    now: datetime,
    html: str = "",
    uploads: tuple[Upload, ...] = (),
) -> Message:
    """A public answer. The first one stops the first-response clock; the ticket waits on the customer."""
    if not text.strip():
        raise ActionError(_("a reply needs text"))
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise ActionError(_("the ticket is closed"))
        message = Message.objects.create(
            ticket=ticket, author=agent, kind=Message.Kind.PUBLIC, text=text, html=_clean_html(html),
            channel=Ticket.Channel.WEB, created_at=now,
        )  # fmt: skip
        _attach(ticket, message, uploads, now)
        first = ticket.first_responded_at is None
        if first:
            ticket.first_responded_at = now
        if ticket.assignee_id is None:
            ticket.assignee = agent
        ticket.status = Ticket.Status.PENDING
        ticket.updated_at = now
        ticket.save()
        record_audit_event(now, agent, "ticket.replied", ticket, message=message.pk, first_response=first)
        signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=first)
    return message


def do_add_note(*, ticket: Ticket, agent: Person, text: str, now: datetime) -> Message:
    """An internal note: staff only, never sent to the customer, does not stop any clock."""
    if not text.strip():
        raise ActionError(_("a note needs text"))
    with transaction.atomic():
        ticket, message = _add_internal(ticket, agent, text, Ticket.Channel.WEB, now)
        record_audit_event(now, agent, "ticket.noted", ticket, message=message.pk)
    return message


def _add_internal(
    ticket: Ticket, author: Person | None, text: str, channel: str, now: datetime
) -> tuple[Ticket, Message]:
    """An internal message on the locked ticket, which counts as its latest change; no clock moves."""
    ticket = _locked(ticket)
    message = Message.objects.create(
        ticket=ticket, author=author, kind=Message.Kind.INTERNAL, text=text, channel=channel, created_at=now
    )
    ticket.updated_at = now
    ticket.save(update_fields=["updated_at"])
    return ticket, message


def do_report_undelivered_mail(
    *, ticket: Ticket, recipient: str, what: str, reason: str, now: datetime
) -> Message:
    """An email about `ticket` could not be built or sent: the agents learn it on the ticket
    (an internal note by the desk itself), never only from a log (issue 9, finding 5).

    Written in the desk's default language: it is a record for whoever opens the ticket."""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "The %(what)s email to %(recipient)s could not be sent: %(reason)s. "
            "They have not received it; answer again or contact them another way."
        ) % {"what": what, "recipient": recipient, "reason": reason}
    with transaction.atomic():
        # The email channel and no author: `Message.is_from_the_desk`.
        ticket, message = _add_internal(ticket, None, text, Ticket.Channel.EMAIL, now)
        record_audit_event(now, None, "mail.undelivered", ticket, message=message.pk, recipient=recipient)
    return message


def do_customer_reply(
    *,
    ticket: Ticket,
    customer: Person,
    text: str,
    now: datetime,
    channel: str = Ticket.Channel.WEB,
    html: str = "",
    uploads: tuple[Upload, ...] = (),
    inbound: signals.InboundEmail | None = None,
) -> Message:
    """The customer answers: a solved or pending ticket opens again. `inbound`: the email
    the answer came in, for the mail sent about it (threading)."""
    if not text.strip() and not uploads:
        raise ActionError(_("a reply needs text"))
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Ticket.Status.CLOSED:
            raise ActionError(_("the ticket is closed; please open a new one"))
        message = Message.objects.create(
            ticket=ticket, author=customer, text=text, html=_clean_html(html), channel=channel, created_at=now
        )
        _attach(ticket, message, uploads, now)
        if customer.pk != ticket.requester_id:
            ticket.participants.add(customer)
        if ticket.status in (Ticket.Status.PENDING, Ticket.Status.SOLVED):
            ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, customer, "ticket.customer_replied", ticket, message=message.pk, channel=channel
        )
        signals.customer_replied.send(Ticket, ticket=ticket, message=message, inbound=inbound)
    return message


def do_assign(*, ticket: Ticket, assignee: Person | None, actor: Person, now: datetime) -> Ticket:
    """Assign to an agent who works the ticket's queue, or unassign."""
    from policydesk.tickets.access import can_answer

    if assignee is not None and not can_answer(assignee, ticket):
        raise ActionError(
            _("%(email)s does not work the %(queue)s queue")
            % {"email": assignee.email, "queue": ticket.office}
        )
    with transaction.atomic():
        ticket = _locked(ticket)
        ticket.assignee = assignee
        if ticket.status == Ticket.Status.NEW and assignee is not None:
            ticket.status = Ticket.Status.OPEN
        ticket.updated_at = now
        ticket.save()
        record_audit_event(
            now, actor, "ticket.assigned", ticket, assignee=assignee.email if assignee else None
        )
        signals.ticket_changed.send(Ticket, ticket=ticket, change="assignee")
    return ticket


def do_set_status(*, ticket: Ticket, status: str, actor: Person, now: datetime) -> Ticket:
    """Move a ticket between new, open, pending, solved and closed (closed is final)."""
    if status not in Ticket.Status.values:
        raise ActionError(_("unknown status %(status)r") % {"status": status})
    with transaction.atomic():
        ticket = _locked(ticket)
        if ticket.status == Ticket.Status.CLOSED and status != Ticket.Status.CLOSED:
            raise ActionError(_("a closed ticket cannot be reopened; open a new one"))
        before = ticket.status
        ticket.status = status
        ticket.updated_at = now
        ticket.save()
        record_audit_event(now, actor, "ticket.status", ticket, before=before, after=status)
        signals.ticket_changed.send(Ticket, ticket=ticket, change="status")
    return ticket


def do_set_priority(*, ticket: Ticket, priority: str, actor: Person, now: datetime) -> Ticket:
    """C15, C16: priority is recorded and shown; it never changes the due time."""
    if priority not in get_policy().priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": priority})
    with transaction.atomic():
        ticket = _locked(ticket)
        before = ticket.priority
        ticket.priority = priority
        ticket.updated_at = now
        ticket.save(update_fields=["priority", "updated_at"])
        record_audit_event(now, actor, "ticket.priority", ticket, before=before, after=priority)
    return ticket


def do_deflect(*, ticket: Ticket, agent: Person, topic: str, now: datetime) -> Deflection:
    """An agent finds an open ticket out of scope: the customer gets the policy's route text
    as a public reply, the deflection is recorded, the ticket is solved (C12, C17-C19)."""
    policy = get_policy()
    if topic not in policy.out_of_scope:
        raise ActionError(_("%(topic)r is not an out-of-scope topic of the policy") % {"topic": topic})
    organisation = ticket.organisation
    route = policy.route_for(policy.plans[organisation.plan], topic)
    with transaction.atomic():
        ticket = _locked(ticket)
        if Deflection.objects.filter(ticket=ticket).exists():
            raise ActionError(_("the ticket is already deflected"))
        lang = languages.choose(ticket.language)
        text = policy.route_text(route, organisation.account_team(), lang)
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
        record_audit_event(
            now, agent, "ticket.deflected", ticket, topic=topic, route=route.id, message=message.pk
        )
        signals.agent_replied.send(Ticket, ticket=ticket, message=message, first_response=True)
    return deflection


def do_request_meeting(*, ticket: Ticket, customer: Person, reason: str, now: datetime) -> MeetingRequest:
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
        if ticket.meeting_requests.filter(status=MeetingRequest.Status.REQUESTED).exists():
            raise ActionError(_("a call request is already waiting for support's answer"))
        meeting = MeetingRequest.objects.create(
            ticket=ticket, requested_by=customer, reason=reason, requested_at=now
        )
        record_audit_event(now, customer, "meeting.requested", meeting, ticket=ticket.number)
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


def do_submit_feedback(*, person: Person, text: str, now: datetime) -> Feedback:
    """C18: a feature request through the feedback form."""
    if person.organisation is None:
        raise ActionError(_("feedback comes from a customer of an organisation"))
    if not text.strip():
        raise ActionError(_("feedback needs text"))
    with transaction.atomic():
        feedback = Feedback.objects.create(
            organisation=person.organisation, person=person, text=text, created_at=now
        )
        record_audit_event(now, person, "feedback.submitted", feedback)
    return feedback
