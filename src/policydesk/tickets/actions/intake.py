"""Intake: the one path by which a request becomes a ticket or a recorded deflection, for
every channel (C13), and the feedback form (C18)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.compiled_queries import (
    PreparedInsert,
    connection_of,
    fetch_all,
    new_row,
    one_cursor,
    prepare_insert,
    statement_cursor,
)
from policydesk.desk_policy import get_policy
from policydesk.oneline import one_line
from policydesk.policy.model import Policy, Route
from policydesk.policy.triage import Decision, Request, triage
from policydesk.tickets import signals
from policydesk.tickets.access import is_staff
from policydesk.tickets.actions import once
from policydesk.tickets.actions.shared import ActionError, Upload, attach, check_uploads, customer_message
from policydesk.tickets.audit import PreparedAuditEvent, prepare_audit_event, record_audit_event
from policydesk.tickets.models import (
    Counter,
    Deflection,
    Feedback,
    Message,
    MetricEvent,
    Organisation,
    Person,
    Ticket,
    triage_channel,
)
from policydesk.tickets.sla_metrics import opening_metric_events, prepare_metric_events

#: Blocks around the writes of every new ticket, inside its transaction (`register_opening_context`).
OPENING_CONTEXTS: dict[str, Callable[[], AbstractContextManager[object]]] = {}
#: Blocks around the working out of its rows, before the transaction.
OPENING_PREPARATIONS: dict[str, Callable[[], AbstractContextManager[object]]] = {}


def register_opening_context(
    name: str,
    make: Callable[[], AbstractContextManager[object]],
    preparing: Callable[[], AbstractContextManager[object]] | None = None,
) -> None:
    """Let an app above `tickets` wrap the writes of each new ticket (its rows, its signals) in
    a block of its own, inside the intake's transaction: the search index leaves the ticket's
    entries to the worker, or writes them there in one statement (`search.indexing.opening`).
    Each must nest as `together.done_together` does: an inner block leaves its work to the
    outer one and, when it raises, takes back what it added. `preparing`: a block around the
    working out of the rows, before the transaction, when their `pre_save` is sent (the search
    index marks the ticket it will leave to the worker then, `search.indexing.preparing`)."""
    OPENING_CONTEXTS[name] = make
    if preparing is not None:
        OPENING_PREPARATIONS[name] = preparing


@contextmanager
def _all_of(blocks: dict[str, Callable[[], AbstractContextManager[object]]]) -> Iterator[None]:
    """Every registered block, entered together."""
    with ExitStack() as around:
        for make in blocks.values():
            around.enter_context(make())
        yield


@contextmanager
def opening_together() -> Iterator[None]:
    """Every registered opening block, entered together. Around one intake's writes; or around a
    batch of intakes in one transaction, each intake in a savepoint and a nested block of its
    own (`mail.ingest`), so that their work is done once, at the batch's end. Its statements
    share one cursor (`compiled_queries.one_cursor`)."""
    with one_cursor(), _all_of(OPENING_CONTEXTS):
        yield


@dataclass(frozen=True)
class IntakeResult:
    """What `do_open_ticket` did: a ticket, or a deflection with its route."""

    decision: Decision
    ticket: Ticket | None
    deflection: Deflection | None
    message: Message | None = None  # the ticket's first message (the request itself)
    repeated: bool = False  # a second submit of the same form (`once_key`): nothing new was made

    @property
    def route(self) -> Route | None:
        return self.decision.route


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
    once_key: str = "",
    entered_by: Person | None = None,
) -> IntakeResult:
    """The one intake path for every channel (C13): triage by the policy, then a ticket
    (office, queue and first-response clock from the decision) or a recorded deflection.

    `inbound`: the email the request came in, for the mail sent about it (threading).
    `once_key`: the form's one-time key; a second submit with it returns the first result
    (`actions/once.py`).
    `entered_by`: the staff member who took the request down for the customer (phone, chat, a
    forwarded email): the audit row's actor, and an internal note on the ticket says so."""
    organisation = _requesting_organisation(requester)
    _check_entered_by(entered_by)
    policy = get_policy()
    priority = _checked_priority(policy, priority)
    subject = _checked_subject(subject)
    check_uploads(uploads)  # before a ticket number is taken: PostgreSQL's would be lost
    decision = _triage(policy, organisation, topic, channel, now)
    # Everything that needs no row of this intake is done before the transaction (issue 17): on
    # SQLite its first statement takes the one write lock, and every other intake waits for it.
    # The rows of a new ticket are worked out here too, their INSERTs only run in it.
    ticket, message = None, None
    events: list[MetricEvent] = []
    writes: _OpeningWrites | None = None
    prepared: tuple[object, ...] = ()
    if decision.route is None:
        ticket = _new_ticket(
            policy, decision, requester, organisation, topic=topic, subject=subject, priority=priority,
            channel=channel, language=language, now=now,
        )  # fmt: skip
        message = customer_message(ticket, requester, text=text, html=html, channel=channel, now=now)
        events = opening_metric_events(ticket, now, policy)
        note = None if entered_by is None else _entered_by_note(ticket, entered_by, channel, now)
        with _all_of(OPENING_PREPARATIONS):
            writes = _OpeningWrites(
                ticket=_prepare_numbered(ticket),
                messages=prepare_insert([message, *([note] if note else [])], read_keys=True, signals=True),
                audit=_prepare_opening_audit(policy, decision, ticket, now, actor=entered_by or requester),
                events=prepare_metric_events(events),
            )
        prepared = tuple(
            response
            for _, response in signals.ticket_opening.send(
                Ticket, ticket=ticket, policy=policy, inbound=inbound, metric_events=events
            )
            if response is not None
        )
    with transaction.atomic():
        submit = once.claim(once_key, entered_by or requester, "ticket.opened", now)
        if submit.repeated:
            return _repeated_intake(decision, submit.earlier)
        if decision.route is not None:  # outcome "deflect"
            deflection = _record_deflection(
                policy,
                decision.route,
                requester,
                organisation,
                topic=topic,
                channel=channel,
                subject=subject,
                text=text,
                now=now,
                actor=entered_by or requester,
            )
            signals.request_deflected.send(
                Deflection, deflection=deflection, decision=decision, inbound=inbound
            )
            submit.remember(deflection)
            return IntakeResult(decision=decision, ticket=None, deflection=deflection)
        assert ticket is not None and message is not None and writes is not None  # noqa: S101 - made above for a ticket
        with opening_together():
            _write_numbered(ticket, writes.ticket)
            writes.messages.write()
            attach(ticket, message, uploads, now)
            writes.audit.write()
            for statement in writes.events:
                statement.write()
            signals.ticket_opened.send(
                Ticket, ticket=ticket, message=message, decision=decision, inbound=inbound, policy=policy,
                metric_events=events, prepared=prepared,
            )  # fmt: skip
        submit.remember(ticket)
    return IntakeResult(decision=decision, ticket=ticket, deflection=None, message=message)


def _repeated_intake(decision: Decision, earlier: object) -> IntakeResult:
    """What the first submit of the same form made, again (nothing new is written)."""
    if isinstance(earlier, Ticket):
        first = earlier.messages.order_by("created_at", "id").first()
        return IntakeResult(decision=decision, ticket=earlier, deflection=None, message=first, repeated=True)
    deflection = earlier if isinstance(earlier, Deflection) else None
    return IntakeResult(decision=decision, ticket=None, deflection=deflection, repeated=True)


# -- the steps of an intake, in order -------------------------------------------------


def _requesting_organisation(requester: Person) -> Organisation:
    """C14: tickets come from customers, on behalf of their organisation."""
    organisation = requester.organisation
    if requester.role != Person.Role.CUSTOMER or organisation is None:
        raise ActionError(_("only a customer of an organisation can open a ticket (C14)"))
    return organisation


def _check_entered_by(entered_by: Person | None) -> None:
    """Only staff take a request down for a customer."""
    if entered_by is not None and not is_staff(entered_by):
        raise ActionError(_("only staff can open a ticket on a customer's behalf"))


def _checked_priority(policy: Policy, priority: str) -> str:
    """The chosen priority, or the policy's default where none was chosen (email, API; C15)."""
    priority = priority or policy.desk.default_priority or ""
    if priority not in policy.priorities:
        raise ActionError(_("unknown priority %(priority)r") % {"priority": priority})
    return priority


def _checked_subject(subject: str) -> str:
    subject = one_line(subject)[:250]  # no line break reaches a mail header (issue 9)
    if not subject:
        raise ActionError(_("a ticket needs a subject"))
    return subject


def _triage(policy: Policy, organisation: Organisation, topic: str, channel: str, now: datetime) -> Decision:
    """The policy's decision for this request: a ticket (office, calendar, due time) or a route."""
    if topic not in policy.request_types and topic not in policy.out_of_scope:
        raise ActionError(_("unknown request type %(topic)r") % {"topic": topic})
    request = Request(
        id=f"{organisation.pk}",
        plan=organisation.plan,
        region=organisation.region,
        topic=topic,
        created_at=now,
        channel=triage_channel(channel),  # type: ignore[arg-type]
    )
    return triage(policy, request)


def _record_deflection(
    policy: Policy,
    route: Route,
    requester: Person,
    organisation: Organisation,
    *,
    topic: str,
    channel: str,
    subject: str,
    text: str,
    now: datetime,
    actor: Person,
) -> Deflection:
    """No ticket: the deflection, with what the customer wrote (shown to them under "My
    requests"), and, for the feedback topic, what they asked for, with its audit row."""
    deflection = Deflection.objects.create(
        organisation=organisation,
        person=requester,
        topic=topic,
        channel=channel,
        subject=subject,
        text=text,
        route=route.id,
        route_kind=route.kind,
        policy_version=policy.version,
        created_at=now,
    )
    if topic == policy.desk.feedback_topic and text.strip():  # C18: keep what they asked for
        Feedback.objects.create(organisation=organisation, person=requester, text=text, created_at=now)
    record_audit_event(
        now, actor, "request.deflected", deflection, topic=topic, route=route.id, channel=channel
    )
    return deflection


def _new_ticket(
    policy: Policy,
    decision: Decision,
    requester: Person,
    organisation: Organisation,
    *,
    topic: str,
    subject: str,
    priority: str,
    channel: str,
    language: str,
    now: datetime,
) -> Ticket:
    """The ticket, unsaved and without its number (taken in the transaction): its office, calendar
    and first-response due from the decision."""
    return new_row(
        Ticket,
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


def _entered_by_note(ticket: Ticket, agent: Person, channel: str, now: datetime) -> Message:
    """An internal note saying who took the request down and how it came (staff only; no clock
    moves); unsaved."""
    # Staff read it, in the words of who wrote it.
    text = _entered_by_text(languages.choose(agent.language), agent.name or agent.email, channel)
    return new_row(
        Message, ticket=ticket, author=agent, kind=Message.Kind.INTERNAL, text=text,
        channel=Ticket.Channel.WEB, created_at=now,
    )  # fmt: skip


_CHANNELS = frozenset(Ticket.Channel.values)


@lru_cache(maxsize=1024)
def _entered_by_text(lang: str, agent: str, channel: str) -> str:
    """The entered-by note's words: the same for every request one agent takes down in one
    channel, worked out once (issue 17: a twentieth of an API intake's view went to them)."""
    with translation.override(lang):
        return _("Entered by %(agent)s on the customer's behalf (%(channel)s).") % {
            "agent": agent,
            "channel": Ticket.Channel(channel).label if channel in _CHANNELS else channel,
        }


@dataclass(frozen=True)
class _OpeningWrites:
    """The INSERTs of a new ticket's rows, worked out before the intake's transaction (issue 17):
    the ticket, its first message (and the note saying who took it down), its audit row, its
    metric events."""

    ticket: PreparedInsert  # its number given when written (`_write_numbered`)
    messages: PreparedInsert
    audit: PreparedAuditEvent
    events: list[PreparedInsert]


def _prepare_opening_audit(
    policy: Policy, decision: Decision, ticket: Ticket, now: datetime, actor: Person
) -> PreparedAuditEvent:
    """The audit row of a new ticket, with the reasons of its triage (clause by clause); the actor is
    the requester, or the staff member who entered it for them."""
    return prepare_audit_event(
        now,
        actor,
        "ticket.opened",
        ticket,
        requester=ticket.requester.email,
        channel=ticket.channel,
        office=ticket.office,
        first_response_due=ticket.first_response_due.isoformat() if ticket.first_response_due else None,
        mission_critical=ticket.mission_critical,
        policy_version=policy.version,
        reasons=[f"{clause}: {why}" for clause, why in decision.reasons],
    )


#: PostgreSQL's source of ticket numbers (migration tickets 0023).
NUMBER_SEQUENCE = "tickets_ticket_number_seq"


def _prepare_numbered(ticket: Ticket) -> PreparedInsert:
    """The new ticket's INSERT, with the next ticket number (written by `_write_numbered`).

    PostgreSQL: `nextval` of a sequence, which no other intake waits for (issue 17: the counter
    row's lock was held to the commit, so intakes ran one at a time), worked out by the INSERT
    itself and read back with the key: one statement, one round trip. An intake that rolls back
    leaves a gap. SQLite: the `Counter` row, advanced first, under the write lock the
    transaction holds anyway."""
    if connection_of().vendor == "postgresql":
        computed = {"number": f"nextval('{NUMBER_SEQUENCE}')"}
        return prepare_insert([ticket], computed=computed, read_keys=True, signals=True)
    return prepare_insert([ticket], late=("number",), read_keys=True, signals=True)


def _write_numbered(ticket: Ticket, statement: PreparedInsert) -> None:
    if connection_of().vendor != "postgresql":
        ticket.number = _next_counter_number()
    statement.write()


def _next_counter_number() -> int:
    """The `Counter` row advanced with UPDATE ... RETURNING (SQLite 3.35+): the next number."""
    connection = connection_of()
    with statement_cursor(connection) as cursor:
        quote = connection.ops.quote_name
        cursor.execute(
            f"UPDATE {quote(Counter._meta.db_table)} SET {quote('value')} = {quote('value')} + 1 "  # noqa: S608 - quoted identifiers, bound value
            f"WHERE {quote('name')} = %s RETURNING {quote('value')}",
            ["ticket"],
        )
        rows = fetch_all(cursor)
    if not rows:  # the very first ticket of this database
        Counter.objects.get_or_create(name="ticket")
        return _next_counter_number()
    return int(rows[0][0])


# -- feedback ---------------------------------------------------------------------------


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
