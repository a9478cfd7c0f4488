"""What every console page has: the viewer (who, in which language, under which policy, when)
and the sidebar of queues and saved views. The console's view modules share these."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.http import HttpRequest
from django.utils import timezone

from policydesk import display, languages
from policydesk.console import queries
from policydesk.desk_policy import get_policy
from policydesk.policy.model import Policy
from policydesk.tickets.models import Person
from policydesk.web import navigation
from policydesk.web.labels import Labels


@dataclass(frozen=True)
class Viewer:
    """The signed-in staff member, with the policy and language the page is rendered in."""

    person: Person
    policy: Policy
    lang: str
    now: datetime
    seen: int | None = None  # the ticket's version the page was loaded at (`actions/stale.py`)

    @classmethod
    def of(cls, request: HttpRequest) -> Viewer:
        return cls(request.user, get_policy(), languages.current(), timezone.now())  # type: ignore[arg-type]

    @property
    def labels(self) -> Labels:
        return Labels(self.policy, self.lang)

    def instant(self, value: datetime | None) -> str:
        return display.format_instant(value, self.person.time_zone, self.lang)


def sidebar(
    viewer: Viewer, queues: list[navigation.Queue], counts: dict[str, int] | None = None
) -> list[tuple[navigation.Queue, int | None]]:
    """The queue navigation beside every console page: with every count when the page has them,
    else with the mission-critical queue's alone (C6: one click away, one query)."""
    if counts is None:
        critical = [q for q in queues if q.kind == "mission-critical"]
        counts = queries.queue_counts(viewer.person, critical)
    return [(q, counts.get(q.slug)) for q in queues]
