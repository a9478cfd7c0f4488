"""Who may see and do what: one place, used by the portal, the console and the API."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from policydesk.policy.model import GLOBAL
from policydesk.tickets.models import Person, Team, Ticket

STAFF_ROLES = (Person.Role.AGENT, Person.Role.LEAD, Person.Role.ADMIN)


def is_staff(person: Person) -> bool:
    """Agents, leads and admins: people who answer tickets."""
    return person.is_authenticated and person.is_active and person.role in STAFF_ROLES


def sees_all_queues(person: Person) -> bool:
    return person.role in (Person.Role.LEAD, Person.Role.ADMIN)


def agent_queues(person: Person) -> set[str]:
    """The queues an agent works: their office teams' offices, and global if on a Premium team (C4, C9)."""
    if sees_all_queues(person):
        return set()  # unrestricted; callers check sees_all_queues first
    queues: set[str] = set()
    for kind, office in person.teams.values_list("kind", "office"):
        queues.add(GLOBAL if kind == Team.Kind.PREMIUM else office)
    return queues


def visible_tickets(person: Person) -> QuerySet[Ticket]:
    """Every ticket `person` may see; nothing for anonymous or inactive people."""
    tickets = Ticket.objects.all()
    if not person.is_authenticated or not person.is_active:
        return tickets.none()
    if sees_all_queues(person):
        return tickets
    if person.role == Person.Role.AGENT:
        return tickets.filter(office__in=agent_queues(person))
    own = Q(requester=person) | Q(participants=person)
    if person.organisation_id and person.organisation and person.organisation.shares_tickets:
        own |= Q(organisation_id=person.organisation_id)
    return tickets.filter(own).distinct()


def can_view(person: Person, ticket: Ticket) -> bool:
    return visible_tickets(person).filter(pk=ticket.pk).exists()


def can_answer(person: Person, ticket: Ticket) -> bool:
    """Staff who see a ticket may reply, note, assign and change it."""
    return is_staff(person) and can_view(person, ticket)
