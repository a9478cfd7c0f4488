"""Who may see and do what: one place, used by the portal, the console and the API."""

from __future__ import annotations

from django.db.models import QuerySet

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
    memo: frozenset[str] | bool | None = getattr(person, MEMO, None)
    if isinstance(memo, frozenset):
        return set(memo)
    queues: set[str] = set()
    for kind, office in person.teams.values_list("kind", "office"):
        queues.add(GLOBAL if kind == Team.Kind.PREMIUM else office)
    if getattr(person, MEMO, None) is False:
        setattr(person, MEMO, frozenset(queues))
    return queues


#: Where one request's answer of `agent_queues` is kept on the signed-in person (`remember_queues`).
MEMO = "_policydesk_agent_queues"


def remember_queues(person: Person) -> None:
    """Read the person's teams once for the rest of this request (a page asks several times:
    visibility, the queue list, the side panel). Only for the request's own `request.user`,
    which lives as long as the request; a team change reaches their next request."""
    setattr(person, MEMO, False)


def visible_tickets(person: Person) -> QuerySet[Ticket]:
    """Every ticket `person` may see; nothing for anonymous or inactive people."""
    tickets = Ticket.objects.all()
    if not person.is_authenticated or not person.is_active:
        return tickets.none()
    if sees_all_queues(person):
        return tickets
    if person.role == Person.Role.AGENT:
        return tickets.filter(office__in=agent_queues(person))
    # A customer's: their own, those they take part in, their organisation's where it shares. As
    # one id subquery, a UNION of three index reads: an OR across the participants join made
    # PostgreSQL scan every ticket (and needed DISTINCT).
    own = (
        tickets.filter(requester=person)
        .values("pk")
        .union(Ticket.participants.through.objects.filter(person=person).values("ticket_id"))
    )
    if person.organisation_id and person.organisation and person.organisation.shares_tickets:
        own = own.union(tickets.filter(organisation_id=person.organisation_id).values("pk"))
    return tickets.filter(pk__in=own)


def can_view(person: Person, ticket: Ticket) -> bool:
    """Whether `ticket` is among `visible_tickets(person)`. For staff that is a fact of the ticket
    in hand (its queue), decided without a query, as `visible_tickets` filters: a bulk job asks
    it for every ticket."""
    if person.is_authenticated and person.is_active and person.role != Person.Role.CUSTOMER:
        if sees_all_queues(person):
            return True
        if person.role == Person.Role.AGENT:
            return ticket.office in agent_queues(person)
    return visible_tickets(person).filter(pk=ticket.pk).exists()


def can_answer(person: Person, ticket: Ticket) -> bool:
    """Staff who see a ticket may reply, note, assign and change it."""
    return is_staff(person) and can_view(person, ticket)
