"""What the portal tells a customer: the promise of a ticket (C3, C6, C10) and where a
deflected request goes (C12, C17-C20), in the viewer's language and time zone."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk.display import format_instant
from policydesk.policy.model import GLOBAL, Policy, Route
from policydesk.tickets.models import Deflection, Organisation, Ticket


@dataclass(frozen=True)
class Promise:
    kind: str  # "due", "mission-critical", "no-commitment", "answered", "closed"
    text: str
    details: tuple[str, ...] = ()


def promise_for(ticket: Ticket, policy: Policy, time_zone: str, lang: str) -> Promise:
    """The sentence a customer reads about when support will answer their ticket."""
    plan = policy.plans.get(ticket.organisation.plan)
    targets_note = policy.notes["targets"].get(lang) if "targets" in policy.notes else ""  # C10
    if ticket.first_responded_at is not None:
        when = format_instant(ticket.first_responded_at, time_zone, lang)
        return Promise("answered", _("Support first answered on %(when)s.") % {"when": when})
    if ticket.status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED):
        return Promise("closed", _("Status: %(status)s.") % {"status": ticket.get_status_display()})
    due = ticket.first_response_due
    if due is not None:
        when = format_instant(due, time_zone, lang)
        rule = plan.mission_critical if plan is not None else None
        if ticket.mission_critical and rule is not None:  # C5, C6
            target = rule.first_response.target
            hours = round(target.amount / 3600) if target.kind == "calendar" else 0
            within = ngettext("%(n)d hour", "%(n)d hours", hours) % {"n": hours} if hours else ""
            paged = _("On-call has been paged.") if rule.page_on_call else ""
            text = (
                _("Mission-critical: we will answer within %(within)s, by %(when)s.")
                % {"within": within, "when": when}
                if within
                else _("Mission-critical: we will answer by %(when)s.") % {"when": when}
            )
            details = (rule.first_response.text.get(lang), targets_note)
            return Promise("mission-critical", f"{paged} {text}".strip(), tuple(filter(None, details)))
        detail = plan.first_response.text.get(lang) if plan and plan.first_response else ""
        text = _("We will answer by %(when)s.") % {"when": when}
        return Promise("due", text, tuple(filter(None, (detail, targets_note))))
    # C3: no commitment (Plus, and the free plans).
    office = policy.offices.get(ticket.office)
    if office is not None:
        support_hours = office.hours_text.get(lang)
    elif ticket.office == GLOBAL and plan is not None:
        support_hours = plan.availability.get(lang)
    else:
        support_hours = ""
    plan_name = plan.name.get(lang) if plan else ticket.organisation.plan
    text = _("Your plan (%(plan)s) has no first-response time commitment: we answer as soon as we can.") % {
        "plan": plan_name
    }
    hours_line = _("Support hours: %(hours)s") % {"hours": support_hours} if support_hours else ""
    return Promise("no-commitment", text, tuple(filter(None, (hours_line,))))


@dataclass(frozen=True)
class Contact:
    label: str
    email: str  # empty when the organisation has no address on record


@dataclass(frozen=True)
class RouteView:
    kind: str
    text: str
    contacts: tuple[Contact, ...]
    url: str | None


def route_view(route: Route, organisation: Organisation, lang: str) -> RouteView:
    """The route's text and contacts, with the organisation's own account team (C17)."""
    roles = {
        "account-executive": (_("Your account executive"), organisation.account_executive),
        "customer-success-manager": (
            _("Your customer success manager"),
            organisation.customer_success_manager,
        ),
    }
    contacts = tuple(
        Contact(*roles[contact]) if contact in roles else Contact(contact, contact)
        for contact in route.contacts
    )
    return RouteView(kind=route.kind, text=route.text.get(lang), contacts=contacts, url=route.url)


@dataclass(frozen=True)
class DeflectionView:
    topic_name: str
    reason: str
    route: RouteView
    recorded_as_feedback: bool
    free_plans_page: str | None


def deflection_view(deflection: Deflection, policy: Policy, lang: str) -> DeflectionView:
    """Why a request was not made a ticket, and where to go instead (C2, C12, C17-C20)."""
    organisation = deflection.organisation
    plan = policy.plans.get(organisation.plan)
    if deflection.topic in policy.out_of_scope:
        topic_name = policy.out_of_scope[deflection.topic].name.get(lang)
        reason = _("“%(topic)s” is outside the scope of support.") % {"topic": topic_name}
    else:
        request_type = policy.request_types.get(deflection.topic)
        topic_name = request_type.name.get(lang) if request_type else deflection.topic
        reason = _("Your plan (%(plan)s) does not include support for “%(topic)s”: %(availability)s.") % {
            "plan": plan.name.get(lang) if plan else organisation.plan,
            "topic": topic_name,
            "availability": plan.availability.get(lang) if plan else "",
        }
    route = policy.routes.get(deflection.route)
    if route is None:  # the policy changed since; show what was recorded
        shown = RouteView(kind=deflection.route_kind, text="", contacts=(), url=None)
    else:
        shown = route_view(route, organisation, lang)
    return DeflectionView(
        topic_name=topic_name,
        reason=reason,
        route=shown,
        recorded_as_feedback=deflection.topic == "feature-request",  # C18
        free_plans_page=policy.links.get("free_plans_page") if plan and plan.free else None,  # C20
    )
