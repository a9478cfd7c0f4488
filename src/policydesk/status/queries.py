"""What the status page shows: components with their current state, incidents with updates."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Prefetch, QuerySet

from policydesk.status.models import (
    SEVERITY_RANK,
    STATE_FOR_SEVERITY,
    Component,
    ComponentState,
    Incident,
    IncidentUpdate,
    Severity,
)

HISTORY_DAYS = 90
HISTORY_LIMIT = 50


@dataclass(frozen=True)
class ComponentStatus:
    component: Component
    state: ComponentState


def component_state(incidents: Iterable[Incident]) -> ComponentState:
    """The state an unresolved set of incidents gives a component: its worst one decides."""
    worst = max(
        (i for i in incidents if not i.is_resolved),
        key=lambda i: SEVERITY_RANK[Severity(i.severity)],
        default=None,
    )
    return ComponentState.OPERATIONAL if worst is None else STATE_FOR_SEVERITY[Severity(worst.severity)]


def with_updates(incidents: QuerySet[Incident]) -> QuerySet[Incident]:
    return incidents.prefetch_related(
        "components", Prefetch("updates", queryset=IncidentUpdate.objects.order_by("-posted_at", "-id"))
    )


def current_incidents() -> QuerySet[Incident]:
    return with_updates(Incident.objects.exclude(state=Incident.State.RESOLVED))


def recent_history(now: datetime) -> QuerySet[Incident]:
    """Resolved incidents of the last HISTORY_DAYS days, newest first."""
    since = now - timedelta(days=HISTORY_DAYS)
    return with_updates(Incident.objects.filter(state=Incident.State.RESOLVED, resolved_at__gte=since))[
        :HISTORY_LIMIT
    ]


def component_statuses(current: Iterable[Incident]) -> list[ComponentStatus]:
    """Every component with the state the current incidents give it (one query)."""
    affecting: dict[int, list[Incident]] = {}
    for incident in current:
        for component in incident.components.all():
            affecting.setdefault(component.pk, []).append(incident)
    return [
        ComponentStatus(component, component_state(affecting.get(component.pk, [])))
        for component in Component.objects.all()
    ]
