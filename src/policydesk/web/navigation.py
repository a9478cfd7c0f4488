"""The staff navigation: the queues a person works, shown beside every staff page (console,
reports, status back office)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from django.db.models import Q
from django.utils.translation import gettext as _

from policydesk.policy.model import GLOBAL, Policy
from policydesk.tickets import access
from policydesk.tickets.models import Person

# Queue slugs that are not offices (an office id of the policy never takes one of these names).
MISSION_CRITICAL = "mission-critical"
UNASSIGNED = "unassigned"
MINE = "mine"

QueueKind = Literal["office", "premium", "mission-critical", "unassigned", "mine"]

# -- queues ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Queue:
    """One queue of the console: an office's (C9), Premium global (C4), or a cross-cutting view."""

    slug: str
    kind: QueueKind
    name: str

    def condition(self, person: Person) -> Q:
        if self.kind in ("office", "premium"):
            return Q(office=self.slug)
        if self.kind == "mission-critical":
            return Q(mission_critical=True)  # C6
        if self.kind == "unassigned":
            return Q(assignee__isnull=True)
        return Q(assignee=person)


def queues_for(person: Person, policy: Policy, lang: str) -> list[Queue]:
    """The queues `person` works, in the console's order: offices as the policy lists them, Premium
    global, then mission-critical, unassigned and mine. Agents get their own offices' queues and the
    Premium queue when on a Premium team (C4, C9); leads and admins get every queue."""
    everything = access.sees_all_queues(person)
    mine = set() if everything else access.agent_queues(person)
    queues = [
        Queue(office_id, "office", office.name.get(lang))
        for office_id, office in policy.offices.items()
        if everything or office_id in mine
    ]
    if everything or GLOBAL in mine:
        queues.append(Queue(GLOBAL, "premium", policy.desk.global_queue.get(lang)))  # C9
    queues += [
        Queue(MISSION_CRITICAL, "mission-critical", _("Mission-critical")),
        Queue(UNASSIGNED, "unassigned", _("Unassigned")),
        Queue(MINE, "mine", _("Mine")),
    ]
    return queues


def landing(person: Person, queues: list[Queue]) -> Queue | None:
    """Where `person` lands in the console (issue 11): an agent on a Premium team on its queue
    (C4), another agent on their office's queue; a lead or admin (or an agent with no office) on
    the overview of every queue, which is None here."""
    if access.sees_all_queues(person):
        return None
    return next((q for q in queues if q.kind == "premium"), None) or next(
        (q for q in queues if q.kind == "office"), None
    )
