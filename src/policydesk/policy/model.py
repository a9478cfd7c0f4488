"""The support policy as frozen dataclasses.

A `Policy` is what `policydesk.policy.loading` builds from a TOML file once it has
validated every key. Nothing here reads files or knows Django; decisions on a
policy live in `triage.py`, and the public page in `render.py`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from policydesk.sla import Calendar, Target

LANGUAGES: tuple[str, ...] = ("en", "ja")

Channel = Literal["web", "in-product", "email"]
CHANNELS: tuple[Channel, ...] = ("web", "in-product", "email")

RouteKind = Literal["sales", "account-team", "feedback-form", "community"]
ROUTE_KINDS: tuple[RouteKind, ...] = ("sales", "account-team", "feedback-form", "community")

# Contacts that are people of the customer's own organisation, not addresses (C17).
ROLE_CONTACTS: tuple[str, ...] = ("account-executive", "customer-success-manager")

#: The `office` of a ticket handled by no single office (C9: Premium is global).
GLOBAL = "global"


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
    """A first-response target and the calendar it is counted on (C3, C6).

    `calendar` is a calendar id, or None for the handling office's own calendar
    (C9), or for calendar-time targets, which run 24x7.
    """

    target: Target
    calendar: str | None
    text: Text


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

    def route_for(self, plan: Plan, topic: str) -> Route:
        """The route an out-of-scope `topic` takes for `plan` (plan override first)."""
        route_id = plan.routes.get(topic) or self.out_of_scope[topic].route
        assert route_id is not None  # guaranteed by validation
        return self.routes[route_id]
