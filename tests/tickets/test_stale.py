"""The stale-write guard (`tickets/actions/stale.py`): an action given the ticket's version as the
agent loaded it is held when the ticket changed since, and the customer gets one reply."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import StaleTicket, ticket_version
from policydesk.tickets.models import Message, Ticket
from tests.conftest import NOW, Personas, at_once, open_ticket
from tests.watch.test_delivery_once import ON_POSTGRES

LATER = NOW + timedelta(minutes=5)


def test_every_change_moves_the_version(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    seen = [ticket_version(ticket)]
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Looking", now=LATER)
    seen.append(ticket_version(ticket))
    actions.do_set_priority(ticket=ticket, priority="high", actor=personas.agent, now=LATER)
    seen.append(ticket_version(ticket))
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Any news?", now=LATER)
    seen.append(ticket_version(ticket))
    assert seen == sorted(set(seen)) and seen[0] > 0


def test_a_reply_on_a_ticket_answered_since_is_held_with_what_changed(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    loaded = ticket_version(ticket)
    actions.do_agent_reply(
        ticket=ticket, agent=personas.lead, text="First answer", now=LATER, expected_version=loaded
    )
    mails = OutgoingMail.objects.count()
    with pytest.raises(StaleTicket) as held:
        actions.do_agent_reply(
            ticket=ticket, agent=personas.agent, text="Second answer", now=LATER, expected_version=loaded
        )
    assert [event.action for event in held.value.since] == ["ticket.replied"]
    assert held.value.since[0].actor == personas.lead and held.value.version == ticket_version(ticket)
    assert not Message.objects.filter(text="Second answer").exists()
    assert OutgoingMail.objects.count() == mails
    # Confirmed: sent again with the version the warning showed.
    actions.do_agent_reply(
        ticket=ticket,
        agent=personas.agent,
        text="Second answer",
        now=LATER,
        expected_version=held.value.version,
    )
    assert Message.objects.filter(text="Second answer").count() == 1


@pytest.mark.parametrize("change", ["status", "priority", "assign", "note", "request_type", "deflect"])
def test_every_console_change_is_held_on_a_stale_version(personas: Personas, change: str) -> None:
    ticket = open_ticket(personas.customer)
    loaded = ticket_version(ticket)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="More detail", now=LATER)
    agent, kw = personas.agent, {"now": LATER, "expected_version": loaded, "ticket": ticket}
    run = {
        "status": lambda: actions.do_set_status(status="solved", actor=agent, **kw),
        "priority": lambda: actions.do_set_priority(priority="high", actor=agent, **kw),
        "assign": lambda: actions.do_assign(assignee=agent, actor=agent, **kw),
        "note": lambda: actions.do_add_note(agent=agent, text="Note", **kw),
        "request_type": lambda: actions.do_change_request_type(topic="concepts", agent=agent, **kw),
        "deflect": lambda: actions.do_deflect(topic="product-training", agent=agent, **kw),
    }[change]
    before = Ticket.objects.values().get(pk=ticket.pk)
    with pytest.raises(StaleTicket) as held:
        run()
    assert [event.action for event in held.value.since] == ["ticket.customer_replied"]
    assert Ticket.objects.values().get(pk=ticket.pk) == before


def test_without_a_version_nothing_is_checked(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="More", now=LATER)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="By email or API", now=LATER)
    assert Message.objects.filter(text="By email or API").exists()


@pytest.mark.skipif(not ON_POSTGRES, reason="threads racing on one database need PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_two_agents_replying_in_the_same_second_send_the_customer_one_reply(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    loaded = ticket_version(ticket)
    mails = OutgoingMail.objects.count()
    agents = iter([personas.agent, personas.lead])

    def reply() -> str:
        agent = next(agents)
        try:
            actions.do_agent_reply(
                ticket=ticket, agent=agent, text=f"From {agent.email}", now=LATER, expected_version=loaded
            )
        except StaleTicket:
            return "held"
        return "sent"

    assert sorted(at_once(2, reply)) == ["held", "sent"]
    assert Message.objects.filter(ticket=ticket, author__role__in=["agent", "lead"]).count() == 1
    assert OutgoingMail.objects.count() == mails + 1
