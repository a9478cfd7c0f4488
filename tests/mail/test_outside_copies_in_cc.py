"""Outside addresses in the `Cc:` of a new emailed request (issue 13), with literal messages: they
become outside copies where the policy allows, within its domains and number; never where it
does not; and mail an outside copy sends back is quarantined like any stranger's (C14)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from policydesk.mail.ingest import process_message
from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, OutsideCopy, Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322

Allow = Callable[..., None]

NEW_REQUEST = """
From: Hanna <hanna@kumo.example>
To: support@example.com
Cc: Felix <Felix@Kumo.example>, "Anna (consultant)" <Anna@Partner.example>,
 olga@other.example, support@example.com, Bob <bob@agency.example>
Subject: Export fails for our consultant too
Message-ID: <cc-out-1@kumo.example>
Content-Type: text/plain; charset=utf-8

The export stops at 1000 rows.
"""


def copies(ticket: Ticket) -> list[str]:
    return list(OutsideCopy.objects.filter(ticket=ticket).values_list("address", flat=True))


def test_outside_addresses_in_cc_become_copies_where_the_policy_allows(
    personas: Personas, mail_settings: None, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    result = process_message(rfc5322(NEW_REQUEST), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    assert list(ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
    # Not olga (a customer of another organisation), not our own address.
    assert copies(ticket) == ["anna@partner.example", "bob@agency.example"]
    added = AuditEvent.objects.filter(action="ticket.outside_copy_added").values_list("actor", flat=True)
    assert set(added) == {personas.customer.pk}  # copied by the requester who wrote them in
    assert (result.outcome, result.reason) == ("ticket", None)


def test_the_seed_policy_copies_no_outside_address_from_cc(personas: Personas, mail_settings: None) -> None:
    result = process_message(rfc5322(NEW_REQUEST), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    assert copies(ticket) == []
    assert list(ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
    assert (result.outcome, result.reason) == ("ticket", None)


def test_addresses_past_the_policys_domains_and_number_are_named_and_the_request_kept(
    personas: Personas, mail_settings: None, allow_outside_copies: Allow
) -> None:
    allow_outside_copies(domains=("partner.example",), max_per_ticket=2)
    crowd = ",\n ".join(f"p{i:03}@partner.example" for i in range(500))
    raw = rfc5322(f"""
From: hanna@kumo.example
To: support@example.com
Cc: x@elsewhere.example,
 {crowd}
Subject: Everyone look at this
Message-ID: <cc-out-2@kumo.example>
Content-Type: text/plain; charset=utf-8

Five hundred people in Cc.
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    assert result.outcome == "ticket" and ticket.messages.get().text.startswith("Five hundred people in Cc.")
    assert copies(ticket) == ["p000@partner.example", "p001@partner.example"]
    # Only the first 20 addresses of a huge Cc: are looked at; the rest are not even named.
    assert result.reason == (
        "Cc not copied: x@elsewhere.example (The policy allows outside copies only of addresses at "
        "partner.example.); "
        + ", ".join(f"p{i:03}@partner.example" for i in range(2, 19))
        + " (This ticket copies 2 outside addresses already, the most the policy allows.)"
    )


def test_a_reply_from_an_outside_copy_is_quarantined_not_appended(
    personas: Personas, mail_settings: None, allow_outside_copies: Allow
) -> None:
    allow_outside_copies()
    first = process_message(rfc5322(NEW_REQUEST), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=first.ticket_number)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Please try again.", now=NOW)
    sent = OutgoingMail.objects.get(kind=OutgoingMail.Kind.AGENT_REPLY, recipient="anna@partner.example")
    raw = rfc5322(f"""
From: Anna <anna@partner.example>
To: support@example.com
Subject: Re: [#{ticket.number}] Export fails for our consultant too
Message-ID: <anna-re-1@partner.example>
In-Reply-To: <{sent.message_id}>
References: <{sent.message_id}>
Content-Type: text/plain; charset=utf-8

Still broken here.
""")
    result = process_message(raw, mailbox="smtp", now=NOW + timedelta(hours=1))
    assert (result.outcome, result.ticket_number) == ("quarantined", ticket.number)
    assert "who is not a party of it" in (result.reason or "")
    assert not ticket.messages.filter(text__contains="Still broken here").exists()
    assert InboundMessage.objects.get(message_id="anna-re-1@partner.example").outcome == "quarantined"
