"""What the portal tells a customer about a deflected request: why, and where it goes
instead (C12, C17-C20), in the viewer's language. The promise of a ticket is `policydesk.promises`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from policydesk.policy.model import Policy, Route
from policydesk.tickets.models import Deflection, Organisation


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


def route_view(policy: Policy, route: Route, organisation: Organisation, lang: str) -> RouteView:
    """The route's text and contacts, with the organisation's own account team (C17)."""
    team = organisation.account_team()
    contacts = tuple(
        Contact(str(capfirst(role.name.get(lang))), team[role.person])
        if (role := policy.contact_roles.get(contact)) is not None
        else Contact(contact, contact)
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
        shown = route_view(policy, route, organisation, lang)
    return DeflectionView(
        topic_name=topic_name,
        reason=reason,
        route=shown,
        recorded_as_feedback=deflection.topic == policy.desk.feedback_topic,  # C18
        free_plans_page=policy.links.get("free_plans_page") if plan and plan.free else None,  # C20
    )
