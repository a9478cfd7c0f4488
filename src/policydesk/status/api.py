"""The status page over the API (C16): anyone may read it; staff post incidents and updates.

Mounted on the v1 API by `policydesk.urls` (`build_api(router)`): the paths
start with /status. Reads take no authentication (`auth=None`); writes use the API's
default authentication (a bearer token or a staff session) and are for agents, leads and
admins. Errors are the API's own body (`policydesk.api.errors`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from policydesk.api.auth import caller
from policydesk.api.errors import ApiError, not_found, responses
from policydesk.status import actions, queries, subscriptions
from policydesk.status.models import Component, Incident
from policydesk.tickets import access
from policydesk.tickets.models import Person

router = Router(tags=["status"])


class ComponentOut(Schema):
    slug: str
    name: str
    name_ja: str
    state: str


class UpdateOut(Schema):
    id: int
    state: str
    body: str
    body_ja: str
    posted_at: datetime


class IncidentOut(Schema):
    id: int
    title: str
    title_ja: str
    severity: str
    state: str
    components: list[str]
    started_at: datetime
    resolved_at: datetime | None
    url: str
    updates: list[UpdateOut]


class StatusOut(Schema):
    components: list[ComponentOut]
    incidents: list[IncidentOut]


class IncidentIn(Schema):
    title: str = Field(max_length=200)
    title_ja: str = Field("", max_length=200)
    severity: Literal["minor", "major", "critical"]
    state: Literal["investigating", "identified", "monitoring"] = "investigating"
    components: list[str] = Field(default_factory=list, description="component slugs")
    body: str
    body_ja: str = ""


class UpdateIn(Schema):
    state: Literal["investigating", "identified", "monitoring", "resolved"]
    body: str
    body_ja: str = ""
    severity: Literal["minor", "major", "critical"] | None = None


class LinkIn(Schema):
    ticket: int = Field(description="ticket number")


class LinkOut(Schema):
    incident: int
    ticket: int


def _incident_out(incident: Incident) -> IncidentOut:
    return IncidentOut(
        id=incident.pk,
        title=incident.title,
        title_ja=incident.title_ja,
        severity=incident.severity,
        state=incident.state,
        components=[c.slug for c in incident.components.all()],
        started_at=incident.started_at,
        resolved_at=incident.resolved_at,
        url=subscriptions.incident_url(incident.pk),
        updates=[
            UpdateOut(id=u.pk, state=u.state, body=u.body, body_ja=u.body_ja, posted_at=u.posted_at)
            for u in incident.updates.all()
        ],
    )


def _staff(request: HttpRequest) -> Person:
    person = caller(request)
    if not access.is_staff(person):
        raise ApiError(403, _("Only support and engineering staff post to the status page."))
    return person


def _incident(incident_id: int) -> Incident:
    found = queries.with_updates(Incident.objects.all()).filter(pk=incident_id).first()
    if found is None:
        raise not_found()
    return found


@router.get(
    "/status", response={200: StatusOut, **responses()}, auth=None, summary="Components and current incidents"
)
def status(request: HttpRequest) -> StatusOut:
    current = list(queries.current_incidents())
    return StatusOut(
        components=[
            ComponentOut(
                slug=s.component.slug, name=s.component.name, name_ja=s.component.name_ja, state=s.state
            )
            for s in queries.component_statuses(current)
        ],
        incidents=[_incident_out(i) for i in current],
    )


@router.get(
    "/status/incidents",
    response={200: list[IncidentOut], **responses()},
    auth=None,
    summary="Incidents, newest first",
)
def incidents(request: HttpRequest, state: Literal["open", "resolved", "all"] = "all") -> list[IncidentOut]:
    found = Incident.objects.all()
    if state == "open":
        found = found.exclude(state=Incident.State.RESOLVED)
    elif state == "resolved":
        found = found.filter(state=Incident.State.RESOLVED)
    return [_incident_out(i) for i in queries.with_updates(found)[: queries.HISTORY_LIMIT]]


@router.get(
    "/status/incidents/{incident_id}",
    response={200: IncidentOut, **responses(404)},
    auth=None,
    summary="One incident",
)
def incident(request: HttpRequest, incident_id: int) -> IncidentOut:
    return _incident_out(_incident(incident_id))


@router.post(
    "/status/incidents",
    response={201: IncidentOut, **responses(400, 403)},
    summary="Open an incident (staff)",
)
def open_incident(request: HttpRequest, payload: IncidentIn) -> Status[IncidentOut]:
    person = _staff(request)
    components = list(Component.objects.filter(slug__in=payload.components))
    unknown = set(payload.components) - {c.slug for c in components}
    if unknown:
        raise ApiError(
            422,
            _("Unknown components: %(slugs)s") % {"slugs": ", ".join(sorted(unknown))},
            loc=("body", "components"),
        )
    created = actions.do_open_incident(
        title=payload.title,
        title_ja=payload.title_ja,
        severity=payload.severity,
        state=payload.state,
        components=components,
        body=payload.body,
        body_ja=payload.body_ja,
        actor=person,
        now=timezone.now(),
    )
    return Status(201, _incident_out(_incident(created.pk)))


@router.post(
    "/status/incidents/{incident_id}/updates",
    response={201: IncidentOut, **responses(400, 403, 404)},
    summary="Post an update (staff)",
)
def post_update(request: HttpRequest, incident_id: int, payload: UpdateIn) -> Status[IncidentOut]:
    person = _staff(request)
    found = _incident(incident_id)
    actions.do_post_incident_update(
        incident=found,
        state=payload.state,
        body=payload.body,
        body_ja=payload.body_ja,
        severity=payload.severity,
        actor=person,
        now=timezone.now(),
    )
    return Status(201, _incident_out(_incident(found.pk)))


@router.post(
    "/status/incidents/{incident_id}/tickets",
    response={201: LinkOut, **responses(400, 403, 404)},
    summary="Link a critical (P0) ticket; its customer is told where updates appear (staff)",
)
def link_ticket(request: HttpRequest, incident_id: int, payload: LinkIn) -> Status[LinkOut]:
    person = _staff(request)
    found = _incident(incident_id)
    ticket = access.visible_tickets(person).filter(number=payload.ticket).first()
    if ticket is None:
        raise not_found()
    actions.do_link_ticket(incident=found, ticket=ticket, actor=person, now=timezone.now())
    return Status(201, LinkOut(incident=found.pk, ticket=ticket.number))
