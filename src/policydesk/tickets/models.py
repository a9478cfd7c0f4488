"""The desk's records: organisations, people, teams, tickets and their conversation,
meeting requests (C7), feedback (C18), deflections (C12), and the audit log (API tokens are
the api app's).

Every write goes through `actions/`; nothing here decides policy (that is `policydesk.policy`).
"""

from __future__ import annotations

import uuid
from typing import Any, ClassVar

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import connections, models
from django.db.models.expressions import RawSQL
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from policydesk.policy.model import AccountPerson


class Team(models.Model):
    """An office team (C8, C9) or a Premium regional team of named agents (C4)."""

    class Kind(models.TextChoices):
        OFFICE = "office", _("Office team")
        PREMIUM = "premium", _("Premium team")

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    office = models.CharField(_("office"), max_length=64, help_text=_("Policy office id."))

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A customer organisation of the vendor, on one plan, in one region (C1, C9)."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    plan = models.CharField(_("plan"), max_length=64, help_text=_("Policy plan id (C1)."))
    region = models.CharField(_("region"), max_length=64, help_text=_("Policy region id (C9)."))
    account_executive = models.EmailField(_("account executive"), blank=True)
    customer_success_manager = models.EmailField(_("customer success manager"), blank=True)
    dedicated_team = models.ForeignKey(
        Team, verbose_name=_("dedicated team"), null=True, blank=True, on_delete=models.SET_NULL
    )  # C4
    shares_tickets = models.BooleanField(_("members see each other's tickets"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    def __str__(self) -> str:
        return self.name

    def account_team(self) -> dict[AccountPerson, str]:
        """The organisation's own people a route's contact roles name (C17); '' = none on record."""
        return {
            "account_executive": self.account_executive,
            "customer_success_manager": self.customer_success_manager,
        }


class Notification(models.TextChoices):
    """What a staff member can be told of (issue 11), each with its own email choice on Person."""

    CUSTOMER_REPLY = "customer-reply", _("A customer replied to my ticket")
    ASSIGNED = "assigned", _("A ticket was assigned to me")
    MENTION = "mention", _("I was @mentioned in an internal note")
    REOPENED = "reopened", _("My ticket was reopened")


#: Each notification's email switch on Person.
NOTIFICATION_FIELDS: dict[str, str] = {
    Notification.CUSTOMER_REPLY: "notify_customer_reply",
    Notification.ASSIGNED: "notify_assigned",
    Notification.MENTION: "notify_mention",
    Notification.REOPENED: "notify_reopened",
}


class Delivery(models.TextChoices):
    """How a staff member's notification emails go out; off-hours mail waits for their office hours
    either way, as the SLA watch's does."""

    IMMEDIATE = "immediate", _("As they happen (several together come as one digest)")
    DIGEST = "digest", _("Collected into a digest")


# `email__lower=...`: LOWER(email) = ..., the expression the unique index below is built on.
# `email__iexact` cannot use that index (LIKE on SQLite, UPPER() on PostgreSQL): with a million
# people it scans them all on every intake (issue 17).
models.EmailField.register_lookup(Lower)


def email_is(address: str, field: str = "email") -> models.Q:
    """People (or rows through `field`, e.g. "person__email") whose email is `address` in any
    case, found through the `person_email_ci_unique` index (C14: one login per email)."""
    return models.Q(**{f"{field}__lower": Lower(models.Value(address.strip()))})


#: The shortest search `person_text_contains` reads from SQLite's people index (trigrams).
PERSON_INDEX_MIN = 3


def person_text_contains(text: str, using: str = "default") -> models.Q:
    """People whose email or name contains `text`, in any case (the console's customer search).
    PostgreSQL answers from its trigram indexes on UPPER(email) and UPPER(name) (migration 0019);
    SQLite, for three characters or more, narrows first by its FTS5 table over both
    (`tickets_person_fts`, migration 0021: a phrase of trigrams), and the LIKE of `icontains`
    decides, so the table can propose a person but never make one match. Shorter: a scan."""
    contains = models.Q(email__icontains=text) | models.Q(name__icontains=text)
    if connections[using].vendor != "sqlite" or len(text) < PERSON_INDEX_MIN:
        return contains
    phrase = '"' + text.replace('"', '""') + '"'
    indexed = RawSQL("SELECT rowid FROM tickets_person_fts WHERE tickets_person_fts MATCH %s", (phrase,))
    return models.Q(pk__in=indexed) & contains


class PersonManager(BaseUserManager["Person"]):
    def create_user(self, email: str, password: str | None = None, **fields: Any) -> Person:
        person = self.model(email=self.normalize_email(email).lower(), **fields)
        person.set_password(password)
        person.save(using=self._db)
        return person

    def create_superuser(self, email: str, password: str | None = None, **fields: Any) -> Person:
        fields.update(is_staff=True, is_superuser=True, role=Person.Role.ADMIN)
        return self.create_user(email, password, **fields)


class Person(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: customers by their product login email (C14), agents, leads."""

    class Role(models.TextChoices):
        CUSTOMER = "customer", _("Customer")
        AGENT = "agent", _("Agent")
        LEAD = "lead", _("Lead")
        ADMIN = "admin", _("Admin")

    email = models.EmailField(_("email"), max_length=254, unique=True)
    name = models.CharField(_("name"), max_length=200, blank=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CUSTOMER)
    organisation = models.ForeignKey(
        Organisation,
        verbose_name=_("organisation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="people",
    )
    teams = models.ManyToManyField(Team, verbose_name=_("teams"), blank=True, related_name="members")
    language = models.CharField(_("language"), max_length=8, blank=True)
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True)
    # What a staff member wants by email (the console shows every notification regardless);
    # set on the profile page (actions.do_update_profile), read through `emails_wanted`.
    notify_customer_reply = models.BooleanField(_("email when a customer replies to my ticket"), default=True)
    notify_assigned = models.BooleanField(_("email when a ticket is assigned to me"), default=True)
    notify_mention = models.BooleanField(_("email when I am @mentioned in a note"), default=True)
    notify_reopened = models.BooleanField(_("email when my ticket is reopened"), default=True)
    notify_delivery = models.CharField(
        _("notification emails"), max_length=20, choices=Delivery.choices, default=Delivery.IMMEDIATE
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(_("staff"), default=False)
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects: ClassVar[PersonManager] = PersonManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        constraints: ClassVar[list[models.BaseConstraint]] = [
            # C14: one login email each, whatever its case.
            models.UniqueConstraint(Lower("email"), name="person_email_ci_unique"),
        ]
        # Staff lists (assignees, SLA alert recipients, the inbox's notices) read the few
        # hundred staff among a million customers by role (issue 17).
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["role"], name="person_role")]

    def __str__(self) -> str:
        return self.email

    def emails_wanted(self) -> set[str]:
        """The notifications (Notification values) this person wants by email."""
        return {event for event, field in NOTIFICATION_FIELDS.items() if getattr(self, field)}


class Counter(models.Model):
    """Named sequences, advanced with an UPDATE inside the writer's transaction: the ticket
    numbers on SQLite (on PostgreSQL a database sequence gives them: `actions/intake.py`)."""

    name = models.CharField(max_length=32, primary_key=True)
    value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}={self.value}"


class AuditEvent(models.Model):
    """One row per change, written by the action that made it."""

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    action = models.CharField(_("action"), max_length=64)
    subject_type = models.CharField(max_length=64)
    subject_id = models.CharField(max_length=64)
    data = models.JSONField(default=dict)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["subject_type", "subject_id"])]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.action} {self.subject_type}:{self.subject_id}"


#: The statuses of a ticket still being worked (new, open, pending, on-hold), in the order the
#: partial indexes spell them (see Ticket.Meta): the one list of them.
OPEN_STATUSES: tuple[str, ...] = ("new", "open", "pending", "on-hold")
OPEN_TICKET = models.Q(status__in=list(OPEN_STATUSES))
#: Open, no public reply yet, and a promise to keep (C3, C6): what the SLA timers watch.
AWAITING_FIRST_RESPONSE = OPEN_TICKET & models.Q(
    first_responded_at__isnull=True, first_response_due__isnull=False
)


#: The channels of a request an agent enters in the console on a customer's behalf.
AGENT_CHANNELS: tuple[str, ...] = ("phone", "forwarded-email", "chat", "other")


def triage_channel(channel: str) -> str:
    """The policy channel (C13) triage sees for a request that came by `channel`.

    The policy knows only its published channels. A request an agent enters is filed through the
    desk's own form on the customer's behalf, so triage sees the help-center form ("web"); a
    forwarded email came by email, and is triaged as email. Eligibility by plan and request type
    (C2) applies as for any other request."""
    if channel == "forwarded-email":
        return "email"
    return "web" if channel in AGENT_CHANNELS else channel


class Tag(models.Model):
    """A free label on tickets ("billing", "請求"), written in its normal form (`tickets/tags.py`
    `normalise_tag`: NFKC, trimmed, lower-case, no spaces or commas), unique whatever its case."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    created_at = models.DateTimeField(_("created"))

    class Meta:
        verbose_name = _("tag")
        verbose_name_plural = _("tags")
        ordering = ("name",)
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(Lower("name"), name="tag_name_ci_unique"),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    """A request the policy accepted: its office, clock and promise come from triage."""

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        PENDING = "pending", _("Pending (waiting on the customer)")
        # Waiting on a third party or on engineering: open, but the resolution clock stops
        # (docs/policy-format.md `[sla.pause_on]`); the customer sees "waiting on us" (portal).
        ON_HOLD = "on-hold", _("On hold (waiting on a third party)")
        SOLVED = "solved", _("Solved")
        CLOSED = "closed", _("Closed")

    class Channel(models.TextChoices):  # C13, and the ways an agent takes a request down
        WEB = "web", _("Help center form")
        IN_PRODUCT = "in-product", _("In-product form")
        EMAIL = "email", _("Email")
        PHONE = "phone", _("Phone")
        FORWARDED_EMAIL = "forwarded-email", _("Forwarded email")
        CHAT = "chat", _("Chat")
        OTHER = "other", _("Other")

    number = models.PositiveIntegerField(_("number"), unique=True)
    # No index of their own: organisation, requester and assignee lead the indexes in Meta, which
    # serve every look-up by them; an index is one more page written by every new ticket (issue 17).
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tickets", db_index=False
    )
    requester = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="requested_tickets", db_index=False
    )
    participants = models.ManyToManyField(Person, blank=True, related_name="participating_tickets")
    followers = models.ManyToManyField(Person, blank=True, related_name="followed_tickets")  # staff
    tags = models.ManyToManyField(Tag, blank=True, related_name="tickets", verbose_name=_("tags"))
    channel = models.CharField(_("channel"), max_length=20, choices=Channel.choices)
    topic = models.CharField(_("request type"), max_length=64)  # C11
    subject = models.CharField(_("subject"), max_length=250)
    priority = models.CharField(_("priority"), max_length=20)  # C15
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.NEW)
    office = models.CharField(_("queue"), max_length=64)  # an office id or "global" (C9)
    calendar = models.CharField(max_length=64, blank=True)  # the calendar of the first-response clock
    assignee = models.ForeignKey(
        Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_tickets",
        db_index=False,
    )  # fmt: skip
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded"), null=True, blank=True)
    mission_critical = models.BooleanField(_("mission-critical"), default=False)  # C6
    policy_id = models.CharField(max_length=64)
    policy_version = models.CharField(max_length=64)
    language = models.CharField(_("language"), max_length=8, default="en")
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_tickets",
        verbose_name=_("merged into"),
    )  # fmt: skip  # set by do_merge_tickets; the ticket is closed
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))
    # True while the search index waits for the ticket's entries: the search app sets it on a
    # new ticket whose entries the worker writes, and clears it when they are written
    # (search/indexing.py, docs/search.md); None otherwise. Nothing in this app reads it.
    # Nullable without a default, so adding it was no copy of the table on SQLite.
    search_pending = models.BooleanField(null=True, editable=False)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            # The worker's search indexer finds the tickets waiting for their entries.
            models.Index(
                fields=["id"], condition=models.Q(search_pending=True), name="ticket_search_pending"
            ),
            models.Index(fields=["office", "status", "first_response_due"]),
            models.Index(fields=["assignee", "status", "first_response_due"]),
            models.Index(fields=["organisation", "created_at"]),
            models.Index(fields=["requester", "created_at"]),
            # The console's queues read open tickets in due order; SQLite matches these partial
            # indexes only when the query spells the same IN list in the same order
            # (console/queries.py InlinedIn).
            models.Index(
                fields=["office", "first_response_due", "created_at", "id"],
                condition=OPEN_TICKET,
                name="ticket_open_office_due",
            ),
            models.Index(
                fields=["assignee", "first_response_due", "created_at", "id"],
                condition=OPEN_TICKET,
                name="ticket_open_assignee_due",
            ),
            models.Index(
                fields=["first_response_due", "created_at", "id"],
                condition=OPEN_TICKET & models.Q(mission_critical=True),
                name="ticket_open_critical_due",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number} {self.subject}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    @property
    def awaiting_first_response(self) -> bool:
        """Open, no public reply yet, and a promise to keep (C3, C6); as AWAITING_FIRST_RESPONSE."""
        return self.is_open and self.first_responded_at is None and self.first_response_due is not None


class OutsideCopy(models.Model):
    """An address outside the ticket's organisation copied on it, where the policy allows
    (`[outside_copies]`): it receives the ticket's public replies by email, in the ticket's
    language. It is no Person and can never sign in; mail it sends is not taken as a reply (C14).
    Written by `tickets.actions.copies`."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="outside_copies")
    address = models.EmailField(_("address"), max_length=254)  # the addr-spec, in lower case
    added_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("added"))

    class Meta:
        verbose_name = _("outside copy")
        verbose_name_plural = _("outside copies")
        ordering = ("address",)
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["ticket", "address"], name="outside_copy_once_per_ticket"),
        ]

    def __str__(self) -> str:
        return self.address


class Message(models.Model):
    """One entry of a ticket's conversation: a public reply or an internal note."""

    class Kind(models.TextChoices):
        PUBLIC = "public", _("Public reply")
        INTERNAL = "internal", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PUBLIC)
    text = models.TextField(_("text"))
    html = models.TextField(blank=True)  # sanitised with nh3 before it is stored
    channel = models.CharField(max_length=20, choices=Ticket.Channel.choices)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ("created_at", "id")

    def __str__(self) -> str:
        return f"{self.ticket} message {self.pk}"

    @property
    def is_from_the_desk(self) -> bool:
        """Written by the desk itself (`do_report_undelivered_mail`): an internal note with no
        author on the email channel; a deleted agent's notes are on the web channel."""
        return (
            self.author_id is None
            and self.kind == self.Kind.INTERNAL
            and self.channel == Ticket.Channel.EMAIL
        )


def attachment_path(instance: Attachment, filename: str) -> str:
    # Never the customer's file name on disk: it is kept in `filename` for display only.
    return f"attachments/{instance.ticket_id}/{uuid.uuid4().hex}"


class Attachment(models.Model):
    """A file on a ticket; served only to people who may see the ticket, never inline as HTML."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="attachments")
    message = models.ForeignKey(Message, null=True, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=attachment_path, max_length=300)
    filename = models.CharField(max_length=250)
    content_type = models.CharField(max_length=120)
    size = models.PositiveBigIntegerField()
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return self.filename


class MeetingRequest(models.Model):
    """C7: a customer asks for a call; support may propose a one-off call or decline."""

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested")
        PROPOSED = "proposed", _("Call proposed")
        DECLINED = "declined", _("Declined")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="meeting_requests")
    requested_by = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("reason"))
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    note = models.TextField(_("note"), blank=True)
    decided_by = models.ForeignKey(Person, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField()
    decided_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"meeting request {self.pk} on {self.ticket}"


class Feedback(models.Model):
    """C18: a feature request, kept for product (never a ticket)."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="feedback")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("feedback"))
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"feedback {self.pk}"


class Deflection(models.Model):
    """A request sent elsewhere (C12, C17-C20): by triage at intake, or by an agent later."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="deflections")
    person = models.ForeignKey(Person, null=True, on_delete=models.SET_NULL, related_name="+")
    ticket = models.OneToOneField(Ticket, null=True, blank=True, on_delete=models.SET_NULL)
    topic = models.CharField(max_length=64)
    channel = models.CharField(max_length=20, choices=Ticket.Channel.choices)
    route = models.CharField(max_length=64)  # policy route id
    route_kind = models.CharField(max_length=32)
    policy_version = models.CharField(max_length=64)
    created_at = models.DateTimeField(db_index=True)
    # What the customer wrote, kept so that it does not disappear: shown to them under "My
    # requests" with where it went (C12, C17-C20). Blank for a ticket an agent deflected later
    # (its messages are the text) and for deflections recorded before it was kept.
    subject = models.CharField(max_length=250, blank=True)
    text = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"deflection {self.pk} ({self.topic} → {self.route})"


class SubmittedForm(models.Model):
    """A form's one-time key, once its action has run: a second submit of the same form (a double
    click, a resubmit) finds it and lands on what the first made (`actions/once.py`)."""

    key = models.CharField(max_length=64)
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    action = models.CharField(max_length=64)  # e.g. "ticket.opened"
    result_type = models.CharField(max_length=64, blank=True)  # model label of what it made
    result_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["key", "person"], name="submitted_form_once_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.key}"


class Presence(models.Model):
    """Who has a ticket open in the console, and whether they are typing a reply, until `until`
    (`tickets/workspace.py`: each open page renews its row by short polling). A table, not the
    cache: every process of the desk must see the same rows."""

    class State(models.TextChoices):
        VIEWING = "viewing", _("viewing")
        TYPING = "typing", _("typing a reply")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    state = models.CharField(max_length=16, choices=State.choices)
    until = models.DateTimeField(db_index=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["ticket", "person"], name="presence_one_per_person")
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.state} #{self.ticket_id}"


class Draft(models.Model):
    """Text typed into a reply or note box and not sent yet, per ticket and person, saved as they
    type so it survives a reload, an expired session and signing in again; deleted when sent."""

    class Kind(models.TextChoices):
        REPLY = "reply", _("reply")
        NOTE = "note", _("note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField()
    updated_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["ticket", "person", "kind"], name="draft_one_per_box")
        ]

    def __str__(self) -> str:
        return f"{self.kind} draft of {self.person_id} on #{self.ticket_id}"


class BulkJob(models.Model):
    """One change asked for many tickets at once (`tickets/bulk.py`): each ticket goes through the
    same action, with its own audit row, as a single change would; what could not be done is kept
    with the reason. Small jobs run at once, large ones in the worker, with progress."""

    class Action(models.TextChoices):
        ASSIGN = "assign", _("Assign")
        STATUS = "status", _("Set status")
        PRIORITY = "priority", _("Set priority")
        TAGS = "tags", _("Add tags")
        MACRO = "macro", _("Apply a macro")
        MERGE = "merge", _("Merge into one ticket")

    class State(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")

    actor = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="bulk_jobs")
    action = models.CharField(max_length=20, choices=Action.choices)
    # a person's id, a status, a priority, tags (comma-separated), a macro's id, a ticket number
    value = models.CharField(max_length=500, blank=True)
    numbers = models.JSONField(default=list)  # the tickets chosen, by number, in the order shown
    state = models.CharField(max_length=20, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    failed = models.JSONField(default=list)  # [{"number": n, "reason": "..."}]
    created_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.action} × {len(self.numbers)}"

    @property
    def total(self) -> int:
        return len(self.numbers)


class SavedView(models.Model):
    """A queue page's filters under a name, in the sidebar of its owner, or of every staff member
    when shared. It stores the queue and the page's GET parameters; opening it runs the queue's
    own query, so a shared view shows each person only the tickets they may see."""

    name = models.CharField(_("name"), max_length=80)
    owner = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="saved_views")
    shared = models.BooleanField(_("shared with the team"), default=False)
    queue = models.CharField(_("queue"), max_length=64)  # a web.navigation.Queue slug
    query = models.CharField(max_length=500, blank=True)  # the queue page's GET parameters
    created_at = models.DateTimeField(_("created"))
    updated_at = models.DateTimeField(_("updated"))

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.name


class MetricEvent(models.Model):
    """A moment of one SLA metric instance on a ticket, as `policydesk.sla.metrics` computes it from
    the ticket's timeline: the audit of the clock, written by the ticket actions in their own
    transaction (`tickets/sla_metrics.py` record_metric_events). Rows are only ever added."""

    class Kind(models.TextChoices):
        ACTIVATED = "activated", _("Started")
        PAUSED = "paused", _("Paused")
        RESUMED = "resumed", _("Resumed")
        FULFILLED = "fulfilled", _("Fulfilled")
        BREACHED = "breached", _("Breached")

    # Its index is the unique constraint's, which the ticket leads (issue 17).
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="metric_events", db_index=False)
    metric = models.CharField(max_length=32)  # first_response, next_reply, periodic_update, resolution
    cycle = models.PositiveSmallIntegerField()  # the how-manieth instance of the metric on the ticket
    kind = models.CharField(max_length=16, choices=Kind.choices)
    at = models.DateTimeField()
    policy_version = models.CharField(max_length=64)  # the policy the event was computed under

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["ticket", "metric", "cycle", "kind", "at"], name="metric_event_once"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.ticket_id} {self.metric} {self.cycle} {self.kind} {self.at:%Y-%m-%d %H:%M:%S}"
