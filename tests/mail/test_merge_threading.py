"""Merged tickets and mail (issue 13): a customer's reply to the merged ticket's old thread, by
its Message-ID or its signed reply address, arrives in the surviving ticket (literal messages)."""

from __future__ import annotations

from datetime import timedelta

from policydesk.mail.ingest import Envelope, process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.threads import reply_address
from policydesk.tickets import actions
from tests.conftest import NOW, Personas, open_ticket
from tests.mail.conftest import rfc5322

LATER = NOW + timedelta(hours=3)


def test_mail_to_the_merged_tickets_old_thread_arrives_in_the_surviving_one(
    personas: Personas, mail_settings: None
) -> None:
    target = open_ticket(personas.customer, subject="Export stops at 1000 rows", now=NOW)
    source = open_ticket(personas.same_org_customer, subject="CSV export truncated", now=NOW)
    actions.do_merge_tickets(source=source, target=target, agent=personas.agent, now=LATER)
    old_ack = OutgoingMail.objects.get(kind=OutgoingMail.Kind.ACKNOWLEDGEMENT, ticket=source)
    raw = rfc5322(f"""
From: Felix <felix@kumo.example>
To: support@example.com
Subject: Re: [#{source.number}] CSV export truncated
Message-ID: <felix-re-1@kumo.example>
In-Reply-To: <{old_ack.message_id}>
References: <{old_ack.message_id}>
Content-Type: text/plain; charset=utf-8

It still stops at 1000 rows after the update.
""")
    result = process_message(raw, mailbox="smtp", now=LATER + timedelta(hours=1))
    assert (result.outcome, result.ticket_number) == ("reply", target.number)
    assert target.messages.filter(text="It still stops at 1000 rows after the update.").exists()
    # The merged ticket's signed reply address too.
    address = reply_address(source, personas.same_org_customer)
    signed = rfc5322(f"""
From: felix@kumo.example
To: {address}
Subject: one more thing
Message-ID: <felix-re-2@kumo.example>
Content-Type: text/plain

Attached nothing.
""")
    envelope = Envelope(sender="felix@kumo.example", recipients=(address,))
    again = process_message(signed, mailbox="smtp", envelope=envelope, now=LATER + timedelta(hours=2))
    assert (again.outcome, again.ticket_number) == ("reply", target.number)
