"""Who is told of what (inbox/notices.py): each kind, never the actor, staff only."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from policydesk.inbox.models import Notification
from policydesk.inbox.notices import mentioned_staff, mentioned_words
from policydesk.tickets import actions
from policydesk.tickets.models import Person, Ticket
from tests.conftest import Personas, open_ticket

IN_HOURS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)  # Central Europe is open (09:00-17:00 UTC)


def told(person: Person) -> list[tuple[str, int]]:
    return [(n.kind, n.ticket.number) for n in Notification.objects.filter(recipient=person).order_by("pk")]


def assigned_ticket(personas: Personas, now: datetime = IN_HOURS) -> Ticket:
    ticket = open_ticket(personas.customer, now=now)
    return actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=now)


def test_a_ticket_assigned_to_me_by_someone_else_tells_me(personas: Personas) -> None:
    ticket = assigned_ticket(personas)
    assert told(personas.agent) == [("assigned", ticket.number)]
    notification = Notification.objects.get()
    assert (notification.actor, notification.created_at, notification.read_at) == (
        personas.lead,
        IN_HOURS,
        None,
    )


def test_taking_a_ticket_myself_tells_nobody(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=IN_HOURS)
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.agent, now=IN_HOURS)
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=IN_HOURS)  # no change
    actions.do_assign(ticket=ticket, assignee=None, actor=personas.lead, now=IN_HOURS)
    assert not Notification.objects.exists()


def test_a_customers_reply_on_my_ticket_tells_me_with_the_reply(personas: Personas) -> None:
    ticket = assigned_ticket(personas)
    later = IN_HOURS + timedelta(minutes=5)
    message = actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Still empty", now=later
    )
    reply = Notification.objects.get(kind="customer-reply")
    assert (reply.recipient, reply.actor, reply.message, reply.created_at) == (
        personas.agent, personas.customer, message, later,
    )  # fmt: skip


def test_a_reply_on_an_unassigned_ticket_tells_nobody(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=IN_HOURS)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Hello?", now=IN_HOURS)
    assert not Notification.objects.exists()


def test_a_reply_that_reopens_my_solved_ticket_tells_me_once_that_it_reopened(personas: Personas) -> None:
    ticket = assigned_ticket(personas)
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=IN_HOURS)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Broken again", now=IN_HOURS)
    assert told(personas.agent) == [("assigned", ticket.number), ("reopened", ticket.number)]


def test_my_ticket_reopened_by_someone_else_tells_me_and_by_me_does_not(personas: Personas) -> None:
    ticket = assigned_ticket(personas)
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=IN_HOURS)
    actions.do_set_status(ticket=ticket, status="open", actor=personas.agent, now=IN_HOURS)
    assert told(personas.agent) == [("assigned", ticket.number)]
    actions.do_set_status(ticket=ticket, status="solved", actor=personas.agent, now=IN_HOURS)
    actions.do_set_status(ticket=ticket, status="open", actor=personas.lead, now=IN_HOURS)
    assert told(personas.agent)[-1] == ("reopened", ticket.number)
    # Pending back to open is not a reopen: the ticket was waiting on the customer.
    actions.do_set_status(ticket=ticket, status="pending", actor=personas.lead, now=IN_HOURS)
    actions.do_set_status(ticket=ticket, status="open", actor=personas.lead, now=IN_HOURS)
    assert len(told(personas.agent)) == 2


def test_mention_syntax() -> None:
    assert mentioned_words("@jonas please look; cc @Ava.") == {"jonas", "ava"}
    assert mentioned_words("mail jonas@example.com, not a mention; (@priya-x)") == {"priya-x"}
    assert mentioned_words("@ @. nobody") == set()


def test_a_mention_in_a_note_tells_the_staff_named_who_can_see_the_ticket(personas: Personas) -> None:
    lead = personas.lead
    Person.objects.filter(pk=lead.pk).update(name="Lea Lead")
    ticket = open_ticket(personas.customer, now=IN_HOURS)
    text = "@jonas and @LeaLead: look. @ava cannot see Central Europe; @hanna is a customer; @JONAS again"
    note = actions.do_add_note(ticket=ticket, agent=personas.premium_agent, text=text, now=IN_HOURS)
    mentions = Notification.objects.filter(kind="mention").order_by("recipient_id")
    assert [(n.recipient, n.actor, n.message) for n in mentions] == [
        (personas.agent, personas.premium_agent, note),
        (lead, personas.premium_agent, note),
    ]
    assert [p.email for p in mentioned_staff(text, ticket)] == ["jonas@example.com", "lead@example.com"]


def test_mentioning_myself_tells_nobody(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=IN_HOURS)
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="note to @jonas", now=IN_HOURS)
    assert not Notification.objects.exists()


def test_an_inactive_assignee_is_not_told(personas: Personas) -> None:
    ticket = assigned_ticket(personas)
    Person.objects.filter(pk=personas.agent.pk).update(is_active=False)
    ticket.refresh_from_db()
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="?", now=IN_HOURS)
    assert told(personas.agent) == [("assigned", ticket.number)]
