"""What the portal tells a customer about a deflected request: why, and where it goes
instead (C12, C17-C20), in the viewer's language. The promise of a ticket is `policydesk.promises`."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.text import capfirst
from django.utils.translation import gettext as _

from policydesk.policy.model import Policy, Route
from policydesk.tickets.models import Deflection, Organisation, Person


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


#: How many of a customer's deflected requests "My tickets" lists (the newest; each has its page).
DEFLECTED_LISTED = 20


@dataclass(frozen=True)
class DeflectedRequest:
    """A request of the customer's that went elsewhere: what they wrote, and the answer they got."""

    deflection: Deflection
    view: DeflectionView


def deflected_requests(person: Person, policy: Policy, lang: str) -> list[DeflectedRequest]:
    """The customer's own deflected requests, newest first (one query): nothing they wrote
    disappears. A ticket an agent deflected later stays in the ticket list instead."""
    rows = (
        Deflection.objects.filter(person=person, ticket__isnull=True)
        .select_related("organisation")
        .order_by("-created_at", "-pk")[:DEFLECTED_LISTED]
    )
    return [DeflectedRequest(row, deflection_view(row, policy, lang)) for row in rows]


@dataclass(frozen=True)
class RouteForTopics:
    """Topics the plan sends elsewhere, and the one place they go."""

    topics: str  # their names, listed in the reader's language
    route: RouteView


@dataclass(frozen=True)
class PlanScope:
    """What a plan that does not cover every request type covers, and where the rest goes (C2,
    C12, C17-C20): shown on the request form before anything is typed. All from the policy file."""

    plan_name: str
    availability: str
    covered: tuple[str, ...]  # the request types the plan may send
    elsewhere: tuple[RouteForTopics, ...]  # the plan's other request types, then the out-of-scope topics
    free_plans_page: str | None


def plan_scope(policy: Policy, organisation: Organisation, lang: str) -> PlanScope | None:
    """What the organisation's plan covers, or None where it covers every request type (the form
    as it always was: out-of-scope topics are explained after sending, C12)."""
    plan = policy.plans.get(organisation.plan)
    if plan is None or set(policy.request_types) <= set(plan.request_types):
        return None
    by_route: dict[str, list[str]] = {}
    for topic_id, request_type in policy.request_types.items():
        if topic_id not in plan.request_types:  # C2: goes to the plan's route (C19, C20)
            by_route.setdefault(plan.ineligible_route, []).append(request_type.name.get(lang))
    for topic_id, topic in policy.out_of_scope.items():  # C12, C17, C18
        by_route.setdefault(policy.route_for(plan, topic_id).id, []).append(topic.name.get(lang))
    return PlanScope(
        plan_name=plan.name.get(lang),
        availability=plan.availability.get(lang),
        covered=tuple(policy.request_types[t].name.get(lang) for t in plan.request_types),
        elsewhere=tuple(
            RouteForTopics(
                ("、" if lang == "ja" else ", ").join(names),
                route_view(policy, policy.routes[route_id], organisation, lang),
            )
            for route_id, names in by_route.items()
        ),
        free_plans_page=policy.links.get("free_plans_page") if plan.free else None,  # C20
    )
