"""Tickets, their conversation and their files. Every handler: validate (ninja schemas),
find the ticket among those the caller may see (else 404), check the role, call an action."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, QuerySet
from django.http import FileResponse, HttpRequest
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import File, Form, Query, Router, Status, UploadedFile

from policydesk import languages
from policydesk.api.auth import caller
from policydesk.api.cursors import BadCursor, decode_cursor, encode_cursor
from policydesk.api.errors import ApiError, not_found, responses
from policydesk.api.schemas import (
    AttachmentOut,
    DeflectionOut,
    MergeIn,
    MessageIn,
    MessageOut,
    OutsideCopyIn,
    ParticipantIn,
    RowId,
    TagsIn,
    TicketFilters,
    TicketIn,
    TicketNumber,
    TicketOut,
    TicketPage,
    TicketPatch,
    just_opened,
)
from policydesk.compiled_queries import CompiledQuery
from policydesk.desk_policy import get_policy
from policydesk.tickets import actions
from policydesk.tickets.access import is_staff, visible_tickets
from policydesk.tickets.models import Attachment, Message, Person, Ticket, email_is

logger = logging.getLogger(__name__)
router = Router(tags=["tickets"])

# Served with their own type only when a browser cannot run them; everything else is bytes.
SAFE_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "image/gif",
        "image/jpeg",
        "image/png",
        "image/webp",
        "text/csv",
        "text/plain",
    }
)


def _tickets(person: Person) -> QuerySet[Ticket]:
    tickets = (
        visible_tickets(person)
        .select_related("organisation", "requester", "assignee")
        .annotate(merged_into_number=F("merged_into__number"))
        .prefetch_related("participants", "outside_copies")
    )
    # Customers see no tags and no followers: not read for them.
    return tickets.prefetch_related("tags", "followers") if is_staff(person) else tickets


def _ticket(person: Person, number: TicketNumber) -> Ticket:
    ticket = _tickets(person).filter(number=number).first()
    if ticket is None:
        raise not_found()
    return ticket


def _require_staff(person: Person) -> None:
    if not is_staff(person):
        raise ApiError(403, _("Only support staff may do this."))


def _public_only(person: Person) -> bool:
    """Customers never see internal notes, nor anything attached to them."""
    return not is_staff(person)


def _agent(email: str, field: str) -> Person:
    agent = Person.objects.filter(email_is(email), is_active=True).first()
    if agent is None or not is_staff(agent):
        raise ApiError(422, _("No active agent has this email."), loc=("body", field))
    return agent


@router.get("/tickets", response={200: TicketPage, **responses()}, url_name="tickets")
def list_tickets(request: HttpRequest, filters: Query[TicketFilters]) -> dict[str, Any]:
    """The tickets you may see, newest first, a page at a time."""
    person = caller(request)
    tickets = _tickets(person)
    if filters.status:
        tickets = tickets.filter(status=filters.status)
    if filters.office:
        tickets = tickets.filter(office=filters.office)
    if filters.priority:
        tickets = tickets.filter(priority=filters.priority)
    if filters.topic:
        tickets = tickets.filter(topic=filters.topic)
    if filters.assignee == "none":
        tickets = tickets.filter(assignee__isnull=True)
    elif filters.assignee == "me":
        tickets = tickets.filter(assignee=person)
    elif filters.assignee:
        tickets = tickets.filter(email_is(filters.assignee, "assignee__email"))
    if filters.organisation is not None:
        tickets = tickets.filter(organisation_id=filters.organisation)
    if filters.mission_critical is not None:
        tickets = tickets.filter(mission_critical=filters.mission_critical)
    if filters.updated_since is not None:
        tickets = tickets.filter(updated_at__gte=filters.updated_since)
    if filters.cursor:
        try:
            tickets = tickets.filter(pk__lt=decode_cursor(filters.cursor))
        except BadCursor as error:
            raise ApiError(
                422, _("This cursor was not made by this API."), loc=("query", "cursor")
            ) from error
    page = list(tickets.order_by("-pk")[: filters.limit + 1])
    more = len(page) > filters.limit
    page = page[: filters.limit]
    return {"items": page, "next_cursor": encode_cursor(page[-1].pk) if more else None}


#: The customer a staff member names, with the organisation: at most one row (the unique index
#: on the lower-cased email finds it); no ORDER BY, which `.first()` would add and SQLite may then
#: answer by scanning people in id order. Compiled to SQL once per connection (issue 17).
_ACTIVE_CUSTOMER = CompiledQuery(
    lambda email: (
        Person.objects.select_related("organisation")
        .filter(email_is(email), role=Person.Role.CUSTOMER, is_active=True)
        .order_by()[:1]
    ),
    email=str,
)


@router.post("/tickets", response={201: TicketOut, 200: DeflectionOut, **responses(403)})
def create_ticket(request: HttpRequest, payload: TicketIn) -> Any:
    """Open a ticket through the one intake path (C13). Customers open their own; staff and
    integrations name the customer in `requester_email` (C14). An out-of-scope request is
    answered with where to go instead (200, C12, C17-C20)."""
    person = caller(request)
    requester = person
    email = (payload.requester_email or "").strip().lower()
    if is_staff(person):
        if not email:
            raise ApiError(422, _("Name the customer in requester_email."), loc=("body", "requester_email"))
        found: Person | None = _ACTIVE_CUSTOMER.first(email=email)
        if found is None:
            raise ApiError(422, _("No active customer has this email."), loc=("body", "requester_email"))
        requester = found
    elif email and email != person.email.lower():
        raise ApiError(403, _("Customers open tickets for themselves; leave out requester_email."))
    result = actions.do_open_ticket(
        requester=requester,
        topic=payload.topic,
        subject=payload.subject,
        text=payload.text,
        html=payload.html,
        channel=payload.channel,
        priority=payload.priority,
        language=payload.language,
        now=timezone.now(),
        entered_by=person if requester is not person else None,
    )
    if result.ticket is None:
        route = result.route
        assert route is not None  # noqa: S101 - no ticket means a deflection
        assert requester.organisation is not None  # noqa: S101 - do_open_ticket checked it
        lang = languages.choose(payload.language, requester.language, translation.get_language())
        return Status(
            200,
            {
                "outcome": "deflect",
                "route": {
                    "id": route.id,
                    "kind": route.kind,
                    "contacts": list(route.contacts),
                    "url": route.url,
                    "text": get_policy().route_text(route, requester.organisation.account_team(), lang),
                },
            },
        )
    return Status(201, just_opened(result.ticket))


@router.get("/tickets/{number}", response={200: TicketOut, **responses(404)}, url_name="ticket")
def get_ticket(request: HttpRequest, number: TicketNumber) -> Ticket:
    return _ticket(caller(request), number)


@router.patch("/tickets/{number}", response={200: TicketOut, **responses(403, 404)})
def update_ticket(request: HttpRequest, number: TicketNumber, payload: TicketPatch) -> Ticket:
    """Staff change the status, priority (C15; the due time stays, C16) or assignee."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_staff(person)
    given = payload.model_fields_set
    now = timezone.now()
    with transaction.atomic():  # all the changes, or none
        if "assignee_email" in given:
            email = payload.assignee_email
            assignee = _agent(email, "assignee_email") if email else None
            ticket = actions.do_assign(ticket=ticket, assignee=assignee, actor=person, now=now)
        if payload.status is not None:
            ticket = actions.do_set_status(ticket=ticket, status=payload.status, actor=person, now=now)
        if payload.priority is not None:
            ticket = actions.do_set_priority(ticket=ticket, priority=payload.priority, actor=person, now=now)
    return _ticket(person, number)


@router.post("/tickets/{number}/merge", response={200: TicketOut, **responses(403, 404)})
def merge_ticket(request: HttpRequest, number: TicketNumber, payload: MergeIn) -> Ticket:
    """Staff fold this ticket into another of the same organisation (`into`), which goes on: its
    messages, files and people move there, the earliest unmet first-response due is kept, this one
    is closed, and both customers are told. Answers with the ticket that goes on."""
    person = caller(request)
    source = _ticket(person, number)
    _require_staff(person)
    target = _ticket(person, payload.into)
    actions.do_merge_tickets(source=source, target=target, agent=person, now=timezone.now())
    return _ticket(person, payload.into)


@router.post("/tickets/{number}/followers", response={200: TicketOut, **responses(403, 404)})
def follow_ticket(request: HttpRequest, number: TicketNumber) -> Ticket:
    """The calling staff member follows the ticket: told of its customer replies and reopening."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_staff(person)
    actions.do_follow(ticket=ticket, person=person, now=timezone.now())
    return _ticket(person, number)


@router.delete("/tickets/{number}/followers", response={200: TicketOut, **responses(403, 404)})
def unfollow_ticket(request: HttpRequest, number: TicketNumber) -> Ticket:
    """The calling staff member stops following the ticket."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_staff(person)
    actions.do_unfollow(ticket=ticket, person=person, now=timezone.now())
    return _ticket(person, number)


@router.post("/tickets/{number}/participants", response={200: TicketOut, **responses(403, 404)})
def add_participant(request: HttpRequest, number: TicketNumber, payload: ParticipantIn) -> Ticket:
    """The requester or staff copy a customer of the ticket's organisation on it (they receive its
    public replies and may write to it); nobody of another organisation (C14)."""
    person = caller(request)
    ticket = _ticket(person, number)
    actions.do_add_participant(
        ticket=ticket,
        participant=actions.colleague_by_email(ticket, payload.email),
        actor=person,
        now=timezone.now(),
    )
    return _ticket(person, number)


@router.delete("/tickets/{number}/participants/{email}", response={200: TicketOut, **responses(403, 404)})
def remove_participant(request: HttpRequest, number: TicketNumber, email: str) -> Ticket:
    """Stop copying someone: they receive no more of its mail (the requester, staff, or themself)."""
    person = caller(request)
    ticket = _ticket(person, number)
    actions.do_remove_participant(
        ticket=ticket,
        participant=actions.colleague_by_email(ticket, email[:254]),
        actor=person,
        now=timezone.now(),
    )
    return _ticket(person, number)


def _require_copier(person: Person, ticket: Ticket) -> None:
    if not actions.may_change_people(person, ticket):
        raise ApiError(403, _("Only the requester or support staff may do this."))


@router.post("/tickets/{number}/outside-copies", response={200: TicketOut, **responses(403, 404)})
def add_outside_copy(request: HttpRequest, number: TicketNumber, payload: OutsideCopyIn) -> Ticket:
    """The requester or staff who may answer the ticket copy an address outside its organisation
    on it, where the policy allows (`[outside_copies]`): it receives the public replies by email,
    in the ticket's language, and cannot write to the ticket (C14). A refusal is a 400 saying why."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_copier(person, ticket)
    actions.do_add_outside_copy(ticket=ticket, address=payload.address, actor=person, now=timezone.now())
    return _ticket(person, number)


@router.delete("/tickets/{number}/outside-copies/{address}", response={200: TicketOut, **responses(403, 404)})
def remove_outside_copy(request: HttpRequest, number: TicketNumber, address: str) -> Ticket:
    """Stop copying an outside address: it receives no more of the ticket's mail."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_copier(person, ticket)
    actions.do_remove_outside_copy(ticket=ticket, address=address[:1000], actor=person, now=timezone.now())
    return _ticket(person, number)


@router.put("/tickets/{number}/tags", response={200: TicketOut, **responses(403, 404)})
def set_tags(request: HttpRequest, number: TicketNumber, payload: TagsIn) -> Ticket:
    """Staff set a ticket's tags (all of them; each stored in its normal form)."""
    person = caller(request)
    ticket = _ticket(person, number)
    _require_staff(person)
    try:
        actions.do_set_tags(ticket=ticket, tags=payload.tags, actor=person, now=timezone.now())
    except actions.ActionError as refused:
        raise ApiError(422, str(refused), loc=("body", "tags")) from refused
    return _ticket(person, number)


def _messages(ticket: Ticket, person: Person) -> QuerySet[Message]:
    messages = ticket.messages.select_related("author").prefetch_related("attachments")
    if _public_only(person):
        messages = messages.filter(kind=Message.Kind.PUBLIC)
    return messages.order_by("created_at", "id")


@router.get("/tickets/{number}/messages", response={200: list[MessageOut], **responses(404)})
def list_messages(request: HttpRequest, number: TicketNumber) -> QuerySet[Message]:
    """The conversation, oldest first; customers see public replies only."""
    person = caller(request)
    return _messages(_ticket(person, number), person)


@router.post("/tickets/{number}/messages", response={201: MessageOut, **responses(403, 404)})
def add_message(request: HttpRequest, number: TicketNumber, payload: MessageIn) -> Status[Message]:
    """Customers reply; staff reply in public (the first reply stops the clock) or add an internal note."""
    person = caller(request)
    ticket = _ticket(person, number)
    now = timezone.now()
    if not is_staff(person):
        if payload.kind != "public":
            raise ApiError(403, _("Only support staff may add internal notes."))
        message = actions.do_customer_reply(
            ticket=ticket, customer=person, text=payload.text, html=payload.html, now=now
        )
    elif payload.kind == "internal":
        message = actions.do_add_note(ticket=ticket, agent=person, text=payload.text, now=now)
    else:
        message = actions.do_agent_reply(
            ticket=ticket, agent=person, text=payload.text, html=payload.html, now=now
        )
    return Status(201, message)


def _attachments(person: Person) -> QuerySet[Attachment]:
    attachments = Attachment.objects.select_related("message")
    if _public_only(person):
        attachments = attachments.filter(Q(message__isnull=True) | Q(message__kind=Message.Kind.PUBLIC))
    return attachments


@router.get("/tickets/{number}/attachments", response={200: list[AttachmentOut], **responses(404)})
def list_attachments(request: HttpRequest, number: TicketNumber) -> QuerySet[Attachment]:
    person = caller(request)
    ticket = _ticket(person, number)
    return _attachments(person).filter(ticket=ticket).order_by("created_at", "id")


@router.post("/tickets/{number}/attachments", response={201: MessageOut, **responses(403, 404, 413)})
def upload_attachment(
    request: HttpRequest, number: TicketNumber, file: File[UploadedFile], text: Form[str] = ""
) -> Status[Message]:
    """Attach a file with a reply (customers may send it without text; staff say something).
    Files over POLICYDESK_MAX_ATTACHMENT_BYTES are refused."""
    person = caller(request)
    ticket = _ticket(person, number)
    limit = settings.POLICYDESK_MAX_ATTACHMENT_BYTES
    if file.size is None or file.size > limit:
        raise ApiError(
            413,
            _("The file is larger than the limit of %(mb)d MB.") % {"mb": limit // (1024 * 1024)},
            loc=("body", "file"),
        )
    upload = actions.Upload(
        filename=(file.name or "attachment")[:250],
        content_type=file.content_type or "application/octet-stream",
        content=file.read(),
    )
    now = timezone.now()
    if is_staff(person):
        message = actions.do_agent_reply(ticket=ticket, agent=person, text=text, uploads=(upload,), now=now)
    else:
        message = actions.do_customer_reply(
            ticket=ticket, customer=person, text=text, uploads=(upload,), now=now
        )
    return Status(201, message)


@router.get(
    "/attachments/{attachment_id}",
    response={200: None, **responses(404)},
    url_name="attachment",
    openapi_extra={
        "responses": {
            200: {
                "description": "The file, as a download (never shown inline).",
                "content": {
                    content_type: {"schema": {"type": "string", "format": "binary"}}
                    for content_type in ["application/octet-stream", *sorted(SAFE_CONTENT_TYPES)]
                },
            }
        }
    },
)
def download_attachment(request: HttpRequest, attachment_id: RowId) -> FileResponse:
    """The file, to people who may see its ticket (and, for customers, its message)."""
    person = caller(request)
    attachment = _attachments(person).filter(pk=attachment_id).first()
    if attachment is None or not visible_tickets(person).filter(pk=attachment.ticket_id).exists():
        raise not_found()
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError as error:
        logger.warning("attachment %s: file %s is missing from storage", attachment.pk, attachment.file.name)
        raise not_found() from error
    content_type = attachment.content_type if attachment.content_type in SAFE_CONTENT_TYPES else None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
