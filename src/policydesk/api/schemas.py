"""What the API reads and writes. Times are UTC, ISO-8601 (`2026-12-03T17:00:00Z`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from django.urls import reverse
from ninja import Field, Schema
from pydantic import AwareDatetime, BeforeValidator, field_serializer, field_validator, model_validator
from pydantic.json_schema import SkipJsonSchema

from policydesk.tickets.access import is_staff
from policydesk.tickets.models import Attachment, Message, Person, Ticket

TicketStatus = Literal["new", "open", "pending", "on-hold", "solved", "closed"]
#: A ticket's channel as the API shows it (agents also enter requests by phone, chat, ...).
ChannelName = Literal["web", "in-product", "email", "phone", "forwarded-email", "chat", "other"]
#: The channels a request may come in by through the API (C13).
IntakeChannel = Literal["web", "in-product", "email"]
MessageKind = Literal["public", "internal"]
# Bounded so that no number reaches the database as an integer it cannot hold.
RowId = Annotated[int, Field(ge=1, le=2**63 - 1)]
TicketNumber = Annotated[int, Field(ge=1, le=2**31 - 1)]


def utc_iso(value: datetime) -> str:
    """`2026-12-03T17:00:00Z`: every time the API writes is UTC."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


class UtcTimes(Schema):
    """Serialises every datetime field as UTC with a Z."""

    @field_serializer("*", when_used="json", check_fields=False)
    def _utc(self, value: Any) -> Any:
        if isinstance(value, datetime):
            return utc_iso(value)
        return value


def _iso_datetime(value: object) -> object:
    # pydantic would also take a number as a Unix time; the API speaks ISO-8601 only.
    return datetime.fromisoformat(value) if isinstance(value, str) else value


class JsonObject(Schema):
    """A request body: a JSON object, never a list or a bare value (ninja's schemas would
    otherwise read the fields off any value, and a body of all-optional fields would pass)."""

    @model_validator(mode="before")
    @classmethod
    def _an_object(cls, value: object) -> object:
        # ninja hands validators its DjangoGetter wrapper; what it wraps is the parsed body.
        if not isinstance(getattr(value, "_obj", value), dict):
            raise ValueError("expected a JSON object")
        return value


class PersonRef(Schema):
    email: str
    name: str


class OrganisationRef(Schema):
    id: int
    name: str
    plan: str
    region: str


class TicketOut(UtcTimes):
    number: int
    subject: str
    status: TicketStatus
    priority: str
    topic: str
    channel: ChannelName
    office: str = Field(description="Office id, or 'global' for the Premium queue (C9).")
    organisation: OrganisationRef
    requester: PersonRef
    assignee: PersonRef | None
    first_response_due: datetime | None = Field(description="The first-response promise (C3, C6), UTC.")
    first_responded_at: datetime | None
    mission_critical: bool
    language: str
    policy_version: str
    created_at: datetime
    updated_at: datetime
    tags: list[str] = Field(
        description="The ticket's tags, in their normal form, by name; staff only (empty for customers)."
    )

    @staticmethod
    def resolve_tags(ticket: Ticket, context: dict[str, Any]) -> list[str]:
        request = context.get("request")
        person = getattr(request, "auth", None)
        if not isinstance(person, Person) or not is_staff(person):
            return []  # tags are the desk's own labels, never shown to customers
        return sorted(tag.name for tag in ticket.tags.all())

    merged_into: int | None = Field(
        description="The number of the ticket this one was merged into (it is then closed), or null."
    )
    followers: list[PersonRef] = Field(
        description="Staff who follow the ticket (told of its replies); staff only (empty for customers)."
    )
    participants: list[PersonRef] = Field(
        description="Customers copied on the ticket (they receive its public replies), by email."
    )
    outside_copies: list[str] = Field(
        description="Addresses outside the organisation copied on the ticket, where the policy allows:"
        " they receive its public replies by email and cannot sign in or write to it."
    )

    @staticmethod
    def resolve_merged_into(ticket: Ticket) -> int | None:
        if ticket.merged_into_id is None:
            return None
        # The list and detail endpoints read the number with the ticket (api/tickets.py: _tickets).
        number = getattr(ticket, "merged_into_number", None)
        return number if number is not None else ticket.merged_into.number  # type: ignore[union-attr]

    @staticmethod
    def resolve_followers(ticket: Ticket, context: dict[str, Any]) -> list[Person]:
        person = getattr(context.get("request"), "auth", None)
        if not isinstance(person, Person) or not is_staff(person):
            return []  # who on staff follows a ticket is the desk's own business
        return sorted(ticket.followers.all(), key=lambda p: p.email)

    @staticmethod
    def resolve_participants(ticket: Ticket) -> list[Person]:
        return sorted(ticket.participants.all(), key=lambda p: p.email)

    @staticmethod
    def resolve_outside_copies(ticket: Ticket) -> list[str]:
        return sorted(copy.address for copy in ticket.outside_copies.all())


#: What a ticket opened a moment ago cannot have yet (its receivers add none of them).
_NOTHING_YET: dict[str, Any] = {
    "tags": [], "merged_into": None, "followers": [], "participants": [], "outside_copies": [],
}  # fmt: skip


def just_opened(ticket: Ticket) -> TicketOut:
    """The `TicketOut` of a ticket opened in this request, built from the ticket in hand without
    validating it again (ninja then only serialises it): the same fields, values and JSON as
    validating the ticket, for staff and customers alike (no tags, followers, copies yet), at a
    fraction of the CPU (issue 17). Only for the answer to an intake."""
    organisation, requester, assignee = ticket.organisation, ticket.requester, ticket.assignee
    special: dict[str, Any] = {
        **_NOTHING_YET,
        "organisation": OrganisationRef.model_construct(
            id=organisation.pk, name=organisation.name, plan=organisation.plan, region=organisation.region
        ),
        "requester": PersonRef.model_construct(email=requester.email, name=requester.name),
        "assignee": None
        if assignee is None
        else PersonRef.model_construct(email=assignee.email, name=assignee.name),
    }
    values = {
        # A model's choices are str enums: the plain value, as validation would give it.
        name: special[name] if name in special else _plain(getattr(ticket, name))
        for name in TicketOut.model_fields
    }
    return TicketOut.model_construct(**values)


def _plain(value: Any) -> Any:
    return str(value) if isinstance(value, str) else value


class TagsIn(JsonObject):
    """A ticket's tags, all of them: those left out are taken off."""

    tags: list[Annotated[str, Field(max_length=200)]] = Field(
        max_length=50, description="Tag names; each is stored in its normal form (NFKC, lower case)."
    )


class TicketPage(Schema):
    items: list[TicketOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")


class TicketFilters(Schema):
    # SkipJsonSchema: a query parameter is left out, never null; the schema says so.
    status: TicketStatus | SkipJsonSchema[None] = None
    office: str | SkipJsonSchema[None] = Field(None, max_length=64)
    priority: str | SkipJsonSchema[None] = Field(None, max_length=64)
    topic: str | SkipJsonSchema[None] = Field(None, max_length=64)
    assignee: str | SkipJsonSchema[None] = Field(
        None, max_length=254, description="An agent's email, `me`, or `none` for unassigned tickets."
    )
    organisation: RowId | SkipJsonSchema[None] = Field(None, description="Organisation id.")
    mission_critical: bool | SkipJsonSchema[None] = None
    updated_since: Annotated[AwareDatetime, BeforeValidator(_iso_datetime)] | SkipJsonSchema[None] = Field(
        None, description="ISO-8601 with an offset."
    )
    cursor: str | SkipJsonSchema[None] = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=100)


class TicketIn(JsonObject):
    topic: str = Field(max_length=64, description="A request type (C11) or out-of-scope topic (C12).")
    subject: str = Field(min_length=1, max_length=250)
    text: str = Field(max_length=100_000)
    html: str = Field("", max_length=200_000)
    priority: str = Field(
        "", max_length=64, description="C15 ('' = the policy's default); it never changes the due time (C16)."
    )
    channel: IntakeChannel = "web"
    language: Literal["", "en", "ja"] = ""
    requester_email: str | None = Field(
        None, max_length=254, description="Staff only: the customer this ticket is opened for (C14)."
    )


class TicketPatch(JsonObject):
    """Only the fields given change."""

    status: TicketStatus | SkipJsonSchema[None] = None
    priority: str | SkipJsonSchema[None] = Field(None, max_length=64)
    assignee_email: str | None = Field(
        None, max_length=254, description="An agent's email; null unassigns. Leave out to keep."
    )

    @field_validator("status", "priority", mode="before")
    @classmethod
    def _not_null(cls, value: object) -> object:
        if value is None:
            raise ValueError("may be left out, but not null")
        return value


class RouteOut(Schema):
    id: str
    kind: str
    contacts: list[str]
    url: str | None
    text: str = Field(description="What to tell the customer, in their language.")


class DeflectionOut(Schema):
    outcome: Literal["deflect"]
    route: RouteOut


class AttachmentOut(UtcTimes):
    id: int
    filename: str
    content_type: str
    size: int
    created_at: datetime
    url: str

    @staticmethod
    def resolve_url(attachment: Attachment) -> str:
        return reverse("api:attachment", kwargs={"attachment_id": attachment.pk})


class MessageOut(UtcTimes):
    id: int
    kind: MessageKind
    author: PersonRef | None
    text: str
    html: str
    channel: ChannelName
    created_at: datetime
    attachments: list[AttachmentOut]

    @staticmethod
    def resolve_attachments(message: Message) -> list[Attachment]:
        return list(message.attachments.all())


class MessageIn(JsonObject):
    text: str = Field(max_length=100_000)
    html: str = Field("", max_length=200_000)
    kind: MessageKind = Field("public", description="Staff only: `internal` adds a note.")


class MergeIn(JsonObject):
    into: int = Field(
        ge=1, le=2_147_483_647, description="The number of the ticket that goes on (same organisation)."
    )


class ParticipantIn(JsonObject):
    email: str = Field(
        max_length=254, description="The sign-in email of a customer of the ticket's organisation."
    )


class OutsideCopyIn(JsonObject):
    address: str = Field(
        max_length=254,
        description="One bare email address (name@example.com) that is nobody's sign-in here; the"
        " policy decides whether, which domains and how many (`[outside_copies]`).",
    )


class TriageIn(JsonObject):
    """One `policydesk triage` input line."""

    id: str = Field(max_length=200)
    plan: str = Field(max_length=64)
    region: str = Field(max_length=64)
    topic: str = Field(max_length=64)
    created_at: str = Field(max_length=64, description="ISO-8601 with an offset.")
    channel: str = Field("web", max_length=32)


class TriageRoute(Schema):
    kind: str
    contacts: list[str]
    url: str | None


class TriageOut(Schema):
    """One `policydesk triage` output line."""

    id: str
    outcome: Literal["ticket", "deflect"]
    office: str | None
    first_response_due: str | None
    mission_critical: bool
    meeting_requests: bool
    route: TriageRoute | None


class MetricEventOut(UtcTimes):
    kind: Literal["activated", "paused", "resumed", "fulfilled", "breached"]
    at: datetime


class PauseOut(UtcTimes):
    start: datetime
    end: datetime | None = Field(description="Null while the pause goes on.")


class MetricOut(UtcTimes):
    """One SLA metric instance of a ticket (docs/policy-format.md defines the metrics)."""

    metric: Literal["first_response", "next_reply", "periodic_update", "resolution"]
    cycle: int = Field(description="1, 2, ...: the how-manieth instance of this metric on the ticket.")
    state: Literal["running", "paused", "met", "breached"]
    activated_at: datetime
    due: datetime | None = Field(
        description="When the clock runs out under the target in force; null while paused, or when no "
        "target applies to the ticket's priority."
    )
    fulfilled_at: datetime | None
    breached_at: datetime | None
    target_seconds: int | None = Field(
        description="The target in business seconds on its calendar (calendar seconds for a calendar-time "
        "target); null when none applies."
    )
    elapsed_seconds: int = Field(description="Business seconds counted from activation to now or the "
                                 "fulfilment, less the pauses.")  # fmt: skip
    target_text: str = Field(
        description="The policy's published wording of the target, in the caller's language."
    )
    pauses: list[PauseOut]
    events: list[MetricEventOut] = Field(description="The clock's events, oldest first.")
