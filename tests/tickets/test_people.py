"""Followers and copied customers (issue 13): who may add whom, who is told, and mail that
stops when someone is removed; Cc'd colleagues of a new emailed request are copied on it."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client

from policydesk.inbox.models import Notification
from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    return open_ticket(personas.customer)


def replies_to(ticket: Ticket) -> list[str]:
    return sorted(
        OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.AGENT_REPLY).values_list(
            "recipient", flat=True
        )
    )


def test_a_follower_is_told_of_customer_replies_as_the_assignee_is(
    personas: Personas, ticket: Ticket
) -> None:
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=NOW)
    actions.do_follow(ticket=ticket, person=personas.lead, now=NOW)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Any news?", now=LATER)
    told = sorted(
        Notification.objects.filter(kind="customer-reply").values_list("recipient__email", flat=True)
    )
    assert told == ["jonas@example.com", "lead@example.com"]
    assert AuditEvent.objects.filter(action="ticket.followed").count() == 1
    actions.do_unfollow(ticket=ticket, person=personas.lead, now=LATER)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Hello?", now=LATER)
    assert Notification.objects.filter(kind="customer-reply", recipient=personas.lead).count() == 1


def test_only_staff_who_may_answer_can_follow(personas: Personas, ticket: Ticket) -> None:
    for outsider in (personas.other_office_agent, personas.customer):
        with pytest.raises(ActionError):
            actions.do_follow(ticket=ticket, person=outsider, now=NOW)
    assert not ticket.followers.exists()


def test_a_copied_colleague_receives_replies_until_removed(personas: Personas, ticket: Ticket) -> None:
    actions.do_add_participant(
        ticket=ticket, participant=personas.same_org_customer, actor=personas.customer, now=NOW
    )
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="First", now=NOW)
    assert replies_to(ticket) == ["felix@kumo.example", "hanna@kumo.example"]
    actions.do_remove_participant(
        ticket=ticket, participant=personas.same_org_customer, actor=personas.agent, now=LATER
    )
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Second", now=LATER)
    assert replies_to(ticket) == ["felix@kumo.example", "hanna@kumo.example", "hanna@kumo.example"]
    actions_done = list(
        AuditEvent.objects.filter(action__startswith="ticket.participant").values_list("action", flat=True)
    )
    assert actions_done == ["ticket.participant_added", "ticket.participant_removed"]


def test_nobody_of_another_organisation_can_be_copied(personas: Personas, ticket: Ticket) -> None:
    for actor in (personas.customer, personas.agent):
        with pytest.raises(ActionError, match="not a customer of this ticket's organisation"):
            actions.do_add_participant(
                ticket=ticket, participant=personas.other_org_customer, actor=actor, now=NOW
            )
    with pytest.raises(ActionError):  # staff are followers, not participants
        actions.do_add_participant(
            ticket=ticket, participant=personas.agent, actor=personas.customer, now=NOW
        )
    with pytest.raises(ActionError):  # a colleague who is not the requester cannot copy people
        actions.do_add_participant(
            ticket=ticket, participant=personas.same_org_customer, actor=personas.same_org_customer, now=NOW
        )
    assert not ticket.participants.exists()


def test_the_requester_copies_a_colleague_in_the_portal_and_not_a_stranger(
    personas: Personas, ticket: Ticket
) -> None:
    hanna = signed_in(personas.customer)
    url = f"/tickets/{ticket.number}/people/"
    assert hanna.post(url, {"email": "FELIX@kumo.example"}).status_code == 302
    assert list(ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
    refused = hanna.post(url, {"email": "olga@other.example"})
    assert refused.status_code == 400 and "not a customer of this ticket" in refused.content.decode()
    felix = signed_in(personas.same_org_customer)
    assert felix.post(url, {"email": "felix@kumo.example", "remove": "on"}).status_code == 302  # leaves
    assert not ticket.participants.exists()
    assert (
        signed_in(personas.other_org_customer).post(url, {"email": "olga@other.example"}).status_code == 404
    )


def test_the_console_follows_and_copies_in_place(personas: Personas, ticket: Ticket) -> None:
    jonas = signed_in(personas.agent)
    base = f"/console/tickets/{ticket.number}/"
    answer = jonas.post(base + "follow/", {"follow": "yes"}, HTTP_HX_REQUEST="true")
    assert answer.status_code == 200 and 'data-testid="unfollow"' in answer.content.decode()
    copied = jonas.post(base + "participants/", {"email": "felix@kumo.example"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="ticket-participants">felix@kumo.example<' in copied.content.decode()
    other = Client()
    other.force_login(personas.other_office_agent)
    assert other.post(base + "follow/", {"follow": "yes"}).status_code == 404
    assert list(ticket.followers.all()) == [personas.agent]
