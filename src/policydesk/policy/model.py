"""The support policy as frozen dataclasses.

A `Policy` is what `policydesk.policy.loading` builds from a TOML file once it has
validated every key. Nothing here reads files or knows Django; decisions on a
policy live in `triage.py`, and the public page in `render.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from policydesk.sla import AlwaysOpenCalendar, Calendar, Target

#: The languages a policy's texts are written in (every `Text` has each).
LANGUAGES: tuple[str, ...] = ("en", "ja")

Channel = Literal["web", "in-product", "email"]
CHANNELS: tuple[Channel, ...] = ("web", "in-product", "email")

RouteKind = Literal["sales", "account-team", "feedback-form", "community"]
ROUTE_KINDS: tuple[RouteKind, ...] = ("sales", "account-team", "feedback-form", "community")

#: The people of a customer's organisation a role contact can name (C17): the desk keeps
#: one of each on the organisation; the policy names the roles (`contact_roles`).
AccountPerson = Literal["account_executive", "customer_success_manager"]
ACCOUNT_PEOPLE: tuple[AccountPerson, ...] = ("account_executive", "customer_success_manager")

#: The `office` of a ticket handled by no single office (C9: Premium is global).
GLOBAL = "global"

#: The calendar of calendar-time targets (C6); tickets store its id like any other calendar's.
ALWAYS_OPEN = AlwaysOpenCalendar()


@dataclass(frozen=True, slots=True)
class Text:
    """A text shown to customers, in every language policydesk speaks."""

    en: str
    ja: str

    def get(self, lang: str) -> str:
        """The text in `lang`, English for any language we do not have."""
        return self.ja if lang == "ja" else self.en


@dataclass(frozen=True, slots=True)
class Office:
    """A support office: its own hours, zone and holidays (C8)."""

    id: str
    name: Text
    calendar: Calendar
    hours_text: Text


@dataclass(frozen=True, slots=True)
class Region:
    """Where a request is submitted from, and the office that answers it (C9)."""

    id: str
    name: Text
    office: str


@dataclass(frozen=True, slots=True)
class RequestType:
    """An in-scope request type (C11)."""

    id: str
    name: Text
    description: Text | None


@dataclass(frozen=True, slots=True)
class ContactRole:
    """A route contact that is a person of the customer's own organisation, not an address (C17)."""

    id: str
    person: AccountPerson  # which of the organisation's people it names
    name: Text  # "your account executive", as the policy page words it


@dataclass(frozen=True, slots=True)
class DeskNames:
    """The ids and labels the desk gives special treatment, as this policy names them."""

    feedback_topic: str | None  # C18: out-of-scope topic kept as product feedback
    plan_question_topic: str | None  # C17: out-of-scope topic answered per plan on the page
    outage_priority: str | None  # C15, C16: the P0 priority pointed to the status page
    default_priority: str | None  # C15: a new ticket's priority when the customer names none
    email_request_type: str  # C11: the request type of a ticket opened by email
    global_queue: Text  # C9: the queue of tickets handled globally


#: The most outside addresses a policy may let one ticket copy (`[outside_copies] max_per_ticket`).
MAX_OUTSIDE_COPIES = 50
#: How many a ticket may copy when the policy does not say.
DEFAULT_MAX_OUTSIDE_COPIES = 10


@dataclass(frozen=True, slots=True)
class OutsideCopies:
    """Whether a ticket may copy addresses that are nobody's sign-in (a partner, a contractor):
    they receive its public replies by email and never sign in (C14 names who may write).

    `domains`: the only mail domains (and their subdomains) allowed; empty: any domain.
    The seed policy says nothing of outside copies, so the default is not allowed."""

    allowed: bool = False
    domains: tuple[str, ...] = ()
    max_per_ticket: int = DEFAULT_MAX_OUTSIDE_COPIES

    def permits(self, address: str) -> bool:
        """Whether `address` (an addr-spec) may be copied under this policy."""
        if not self.allowed:
            return False
        if not self.domains:
            return True
        domain = address.rpartition("@")[2].lower()
        return any(domain == allowed or domain.endswith("." + allowed) for allowed in self.domains)


@dataclass(frozen=True, slots=True)
class Route:
    """Where an out-of-scope or ineligible request is sent instead (C12, C17-C20)."""

    id: str
    kind: RouteKind
    contacts: tuple[str, ...]
    url: str | None
    text: Text


@dataclass(frozen=True, slots=True)
class OutOfScopeTopic:
    """A topic support does not handle, and where it goes by default (C12)."""

    id: str
    name: Text
    route: str | None


@dataclass(frozen=True, slots=True)
class FirstResponseRule:
    """A target of one SLA metric and the calendar it is counted on (C3, C6).

    First named for the first response; every metric's target has this shape.
    `calendar` is a calendar id, or None for the handling office's own calendar
    (C9), or for calendar-time targets, which run 24x7.
    """

    target: Target
    calendar: str | None
    text: Text


#: One SLA metric's target: the first response's shape, for every metric.
TargetRule = FirstResponseRule

#: The SLA metrics a policy may promise, in the order a ticket meets them:
#: - first_response: from the ticket's creation to the first public agent reply (C3, C6);
#: - next_reply: from the oldest public customer message no agent has answered yet to the
#:   next public agent reply;
#: - periodic_update: from one public agent reply to the next, while the ticket is open;
#: - resolution: business time from creation (or a reopen: a new cycle) to solved.
Metric = Literal["first_response", "next_reply", "periodic_update", "resolution"]
METRICS: tuple[Metric, ...] = ("first_response", "next_reply", "periodic_update", "resolution")

#: The ticket statuses a policy may name as pausing a metric's clock: waiting on the
#: customer (pending) or on a third party or engineering (on-hold). Solved stops the clocks.
PausingStatus = Literal["pending", "on-hold"]
PAUSING_STATUSES: tuple[PausingStatus, ...] = ("pending", "on-hold")

#: Which statuses pause which metric when the policy says nothing (`[sla] pause_on`): the
#: first response and the next reply are owed whatever the status (today's first response is
#: never paused); periodic updates stop while the customer is to answer; resolution time
#: stops while waiting on the customer or on someone else.
DEFAULT_PAUSE_ON: dict[Metric, tuple[PausingStatus, ...]] = {
    "first_response": (),
    "next_reply": (),
    "periodic_update": ("pending",),
    "resolution": ("pending", "on-hold"),
}


@dataclass(frozen=True, slots=True)
class MetricTargets:
    """A target per metric (None = no promise for that metric)."""

    first_response: TargetRule | None = None
    next_reply: TargetRule | None = None
    periodic_update: TargetRule | None = None
    resolution: TargetRule | None = None

    def get(self, metric: Metric) -> TargetRule | None:
        """The target of `metric`, None if not promised."""
        rule: TargetRule | None = getattr(self, metric)
        return rule


@dataclass(frozen=True, slots=True)
class MissionCriticalRule:
    """Which requests of a plan are mission-critical, and their target (C5, C6)."""

    request_types: tuple[str, ...]
    first_response: FirstResponseRule
    page_on_call: bool
    availability: Text


@dataclass(frozen=True, slots=True)
class Plan:
    """A plan and everything the policy promises its customers."""

    id: str
    name: Text
    free: bool
    channels: tuple[Channel, ...]
    request_types: tuple[str, ...]  # eligible request types (C2)
    handled_by: Literal["region", "global"]  # C9
    availability: Text  # C2, as published
    first_response: FirstResponseRule | None  # C3; None = no commitment
    no_commitment_text: Text | None
    mission_critical: MissionCriticalRule | None  # C5, C6
    meetings: bool  # C7
    dedicated_team: Text | None  # C4
    ineligible_route: str  # where requests outside `request_types` go (C2, C20)
    routes: dict[str, str] = field(hash=False)  # out-of-scope topic id -> route id (C17)
    next_reply: TargetRule | None = None  # None = no promise
    periodic_update: TargetRule | None = None
    resolution: TargetRule | None = None
    # priority id -> targets replacing the plan's for tickets of that priority (a vendor whose
    # policy depends on priority; the seed policy's does not, C16). Never the first response:
    # triage decides it, and priority is no input of triage (C16).
    by_priority: dict[str, MetricTargets] = field(default_factory=dict, hash=False)

    def target_for(self, metric: Metric, priority: str | None = None) -> TargetRule | None:
        """The plan's target of `metric` for a ticket of `priority` (its override, if any)."""
        override = self.by_priority.get(priority) if priority is not None else None
        if override is not None and (rule := override.get(metric)) is not None:
            return rule
        plans_rule: TargetRule | None = getattr(self, metric)
        return plans_rule


@dataclass(frozen=True, slots=True)
class Priority:
    """A ticket priority and its published definition (C15)."""

    id: str
    name: Text
    definition: Text


@dataclass(frozen=True, slots=True)
class Policy:
    """A whole, validated support policy."""

    id: str
    version: str
    vendor: str
    domain: str
    source: str  # the file it came from, for messages
    title: Text
    introduction: Text
    offices: dict[str, Office] = field(hash=False)
    calendars: dict[str, Calendar] = field(hash=False)  # office calendars and named ones
    calendar_names: dict[str, Text] = field(hash=False)
    regions: dict[str, Region] = field(hash=False)
    request_types: dict[str, RequestType] = field(hash=False)
    out_of_scope: dict[str, OutOfScopeTopic] = field(hash=False)
    routes: dict[str, Route] = field(hash=False)
    plans: dict[str, Plan] = field(hash=False)
    priorities: dict[str, Priority] = field(hash=False)
    channel_texts: dict[str, Text] = field(hash=False)
    links: dict[str, str] = field(hash=False)  # status_page, free_plans_page, ...
    notes: dict[str, Text] = field(hash=False)  # published paragraphs (C10, C16, C21, ...)
    contact_roles: dict[str, ContactRole] = field(hash=False)  # C17
    desk: DeskNames
    # metric -> the statuses during which its clock does not run (`[sla] pause_on`)
    pause_on: dict[Metric, tuple[PausingStatus, ...]] = field(
        default_factory=lambda: dict(DEFAULT_PAUSE_ON), hash=False
    )
    # Addresses outside the organisation copied on tickets (`[outside_copies]`); off by default.
    outside_copies: OutsideCopies = field(default_factory=OutsideCopies)

    def calendar(self, calendar_id: str) -> Calendar | None:
        """A calendar by the id a ticket stores: an office's, a named one, or the always-open
        calendar of calendar-time targets (C6); None for one the policy no longer has."""
        if calendar_id == ALWAYS_OPEN.id:
            return ALWAYS_OPEN
        return self.calendars.get(calendar_id)

    def first_response_rule(self, plan: Plan, mission_critical: bool) -> FirstResponseRule | None:
        """The first-response rule a ticket of `plan` runs by (C3, C6); None = no commitment."""
        if mission_critical and plan.mission_critical is not None:
            return plan.mission_critical.first_response
        return plan.first_response

    def metric_rule(
        self, plan: Plan, metric: Metric, *, mission_critical: bool = False, priority: str | None = None
    ) -> TargetRule | None:
        """The target of `metric` for a ticket of `plan` (None = no promise for it)."""
        if metric == "first_response":  # decided at triage, which priority does not enter (C16)
            return self.first_response_rule(plan, mission_critical)
        return plan.target_for(metric, priority)

    def route_text(self, route: Route, account_team: Mapping[AccountPerson, str], lang: str) -> str:
        """The route's text, with the customer's own account team named and its URL (C17).

        `account_team` holds the organisation's people by `AccountPerson` ('' = none on record).
        """
        text = route.text.get(lang)
        named = [
            account_team.get(role.person, "")
            for contact in route.contacts
            if (role := self.contact_roles.get(contact)) is not None
        ]
        if any(named):
            text += " (" + ", ".join(name for name in named if name) + ")"
        if route.url:
            text += f" {route.url}"
        return text

    def route_for(self, plan: Plan, topic: str) -> Route:
        """The route an out-of-scope `topic` takes for `plan` (plan override first)."""
        route_id = plan.routes.get(topic) or self.out_of_scope[topic].route
        assert route_id is not None  # guaranteed by validation
        return self.routes[route_id]
