"""Triage: what the policy decides for one request, as pure functions of (policy, facts).

`triage()` answers every question a new request raises: ticket or deflection (C2,
C12, C17-C20), which office and calendar (C9), mission-critical or not (C6), the
first-response due instant (C3, C6, on `policydesk.sla`), meeting eligibility (C7).
`explain()` says the same in sentences, with the clause behind each part.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from policydesk import sla
from policydesk.policy.model import (
    ALWAYS_OPEN,
    CHANNELS,
    GLOBAL,
    Channel,
    FirstResponseRule,
    Plan,
    Policy,
    Route,
)
from policydesk.sla import Calendar


class RequestError(ValueError):
    """A request the policy cannot decide on: unknown plan, bad date, ..."""


@dataclass(frozen=True, slots=True)
class Request:
    """The facts of a request that triage needs."""

    id: str
    plan: str
    region: str
    topic: str  # request-type id (C11) or out-of-scope topic id (C12)
    created_at: datetime  # aware
    channel: Channel = "web"


@dataclass(frozen=True, slots=True)
class Decision:
    """What the policy decides for a request. `reasons` are (clause, sentence) pairs."""

    request: Request
    outcome: Literal["ticket", "deflect"]
    office: str | None  # an office id, GLOBAL, or None when deflected
    calendar: str | None  # the calendar the first-response clock runs on
    first_response_due: datetime | None
    mission_critical: bool
    meeting_requests: bool
    route: Route | None
    reasons: tuple[tuple[str, str], ...]

    def as_json(self) -> dict[str, Any]:
        """The `policydesk triage` output line (a stable contract)."""
        due = self.first_response_due
        return {
            "id": self.request.id,
            "outcome": self.outcome,
            "office": self.office,
            "first_response_due": due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if due else None,
            "mission_critical": self.mission_critical,
            "meeting_requests": self.meeting_requests,
            "route": (
                {"kind": self.route.kind, "contacts": list(self.route.contacts), "url": self.route.url}
                if self.route
                else None
            ),
        }


def parse_request(policy: Policy, data: object) -> Request:
    """Check a triage input object against the policy; raise `RequestError` saying what is wrong."""
    if not isinstance(data, dict):
        raise RequestError("expected a JSON object")
    problems = []
    ident = data.get("id")
    if not isinstance(ident, str):
        problems.append("id: expected a string")
    plan = data.get("plan")
    if plan not in policy.plans:
        problems.append(f"plan: expected one of {', '.join(policy.plans)}, got {plan!r}")
    region = data.get("region")
    if region not in policy.regions:
        problems.append(f"region: expected one of {', '.join(policy.regions)}, got {region!r}")
    topic = data.get("topic")
    if topic not in policy.request_types and topic not in policy.out_of_scope:
        problems.append(f"topic: not a request type or out-of-scope topic of the policy: {topic!r}")
    channel = data.get("channel", "web")
    if channel not in CHANNELS:
        problems.append(f"channel: expected one of {', '.join(CHANNELS)}, got {channel!r}")
    created_at = data.get("created_at")
    created = None
    if not isinstance(created_at, str):
        problems.append("created_at: expected an ISO-8601 string with an offset")
    else:
        try:
            created = datetime.fromisoformat(created_at)
        except ValueError:
            problems.append(f"created_at: not an ISO-8601 date-time: {created_at!r}")
        else:
            if created.tzinfo is None:
                problems.append(f"created_at: no UTC offset in {created_at!r}")
    if problems:
        raise RequestError("; ".join(problems))
    assert isinstance(ident, str) and isinstance(plan, str) and isinstance(region, str)
    assert isinstance(topic, str) and created is not None
    return Request(id=ident, plan=plan, region=region, topic=topic, created_at=created, channel=channel)


def is_mission_critical(plan: Plan, topic: str) -> bool:
    """C6: only the plan's mission-critical request types (Premium, Bug report – Critical)."""
    return plan.mission_critical is not None and topic in plan.mission_critical.request_types


def handling_office(policy: Policy, plan: Plan, region: str) -> str:
    """C9: the region's office, or GLOBAL for plans handled globally (Premium)."""
    return GLOBAL if plan.handled_by == "global" else policy.regions[region].office


def rule_calendar(policy: Policy, rule: FirstResponseRule, office: str) -> tuple[str, Calendar]:
    """The calendar a first-response rule counts on: its own, else the handling office's."""
    if rule.target.kind == "calendar":
        return ALWAYS_OPEN.id, ALWAYS_OPEN
    if rule.calendar is not None:
        return rule.calendar, policy.calendars[rule.calendar]
    return office, policy.calendars[office]


def triage(policy: Policy, request: Request) -> Decision:
    """Decide a request under the policy (C2, C3, C6, C7, C9, C12, C17-C20)."""
    plan = policy.plans[request.plan]
    reasons: list[tuple[str, str]] = []
    if request.topic in policy.out_of_scope:
        topic = policy.out_of_scope[request.topic]
        route = policy.route_for(plan, request.topic)
        clause = {policy.desk.plan_question_topic: "C17", policy.desk.feedback_topic: "C18"}.get(
            request.topic, "C12"
        )
        reasons.append(("C12", f"{topic.name.en!r} is outside the scope of support"))
        reasons.append((clause, f"sent to {_describe_route(route)}"))
        return _deflection(request, route, reasons)
    if request.topic not in plan.request_types or request.channel not in plan.channels:
        route = policy.routes[plan.ineligible_route]
        what = "request type" if request.topic not in plan.request_types else "channel"
        reasons.append(
            ("C2", f"{plan.name.en} is not eligible for this {what} ({_topic_or_channel(request, what)})")
        )
        reasons.append(("C20" if plan.free else "C2", f"sent to {_describe_route(route)}"))
        return _deflection(request, route, reasons)

    office = handling_office(policy, plan, request.region)
    if office == GLOBAL:
        reasons.append(("C9", f"{plan.name.en} tickets are handled globally"))
    else:
        reasons.append(("C9", f"{plan.name.en} → region {request.region} → office {office}"))
    mission_critical = is_mission_critical(plan, request.topic)
    rule = plan.first_response
    if mission_critical:
        assert plan.mission_critical is not None
        rule = plan.mission_critical.first_response
        reasons.append(("C6", f"mission-critical: {plan.name.en} and {request.topic!r}; target runs 24x7"))
    due = None
    calendar_id = None
    if rule is None:
        reasons.append(("C3", f"{plan.name.en} has no first-response commitment"))
    else:
        calendar_id, calendar = rule_calendar(policy, rule, office)
        due = sla.due(calendar, request.created_at, rule.target)
        reasons.append(("C6" if mission_critical else "C3", _describe_target(rule, calendar_id, calendar)))
    if plan.meetings:
        reasons.append(("C7", "a one-off call may be requested, at support's discretion"))
    return Decision(
        request=request,
        outcome="ticket",
        office=office,
        calendar=calendar_id,
        first_response_due=due,
        mission_critical=mission_critical,
        meeting_requests=plan.meetings,
        route=None,
        reasons=tuple(reasons),
    )


def _deflection(request: Request, route: Route, reasons: list[tuple[str, str]]) -> Decision:
    return Decision(
        request=request,
        outcome="deflect",
        office=None,
        calendar=None,
        first_response_due=None,
        mission_critical=False,
        meeting_requests=False,
        route=route,
        reasons=tuple(reasons),
    )


def _topic_or_channel(request: Request, what: str) -> str:
    return request.topic if what == "request type" else request.channel


def _describe_route(route: Route) -> str:
    where = ", ".join(route.contacts) if route.contacts else (route.url or route.id)
    return f"{route.kind} ({where})"


def _describe_target(rule: FirstResponseRule, calendar_id: str, calendar: Calendar) -> str:
    target = rule.target
    if target.kind == "business_days":
        hours = sla.business_day_seconds_of(calendar) * target.amount / 3600  # cached per calendar
        return f"target {target.describe()} = {hours:g} business hours on calendar {calendar_id}"
    return f"target {target.describe()} on calendar {calendar_id}"


def _clock_start(calendar: Calendar, created: datetime) -> str:
    """'created Sat 2026-12-05 10:00 UTC-08:00, outside hours: the clock starts Mon ... 09:00'."""
    zone = sla.parse_zone(calendar.zone) if isinstance(calendar, sla.OfficeCalendar) else UTC
    label = calendar.zone if isinstance(calendar, sla.OfficeCalendar) else "UTC"
    local = created.astimezone(zone)
    said = f"created {local:%a %Y-%m-%d %H:%M} {label}"
    if sla.is_open(calendar, created):
        return f"{said}, inside business hours: the clock starts at once"
    start = sla.next_open(calendar, created).astimezone(zone)
    return f"{said}, outside business hours: the clock starts {start:%a %Y-%m-%d %H:%M} {label}"


def explain(policy: Policy, request: Request) -> list[str]:
    """The decision for `request` in sentences a support lead reads, each with its clause."""
    decision = triage(policy, request)
    lines = [f"{sentence} ({clause})" for clause, sentence in decision.reasons]
    if decision.outcome == "deflect":
        assert decision.route is not None
        lines.append(f"outcome: deflect; the customer is told: {decision.route.text.en}")
        return lines
    plan = policy.plans[request.plan]
    rule = (
        plan.mission_critical.first_response
        if decision.mission_critical and plan.mission_critical
        else plan.first_response
    )
    if rule is not None and decision.first_response_due is not None:
        assert decision.calendar is not None
        _, calendar = rule_calendar(policy, rule, decision.office or GLOBAL)
        lines.append(_clock_start(calendar, request.created_at))
        explanation = sla.explain(calendar, request.created_at, rule.target)
        lines.extend(explanation.lines())
        lines.append(
            "outcome: ticket, first response due "
            + decision.first_response_due.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    else:
        lines.append("outcome: ticket, no first-response due time")
    return lines
