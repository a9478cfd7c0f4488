"""Cc'd colleagues of a new emailed request are copied on its ticket (issue 13); strangers are not."""

from __future__ import annotations

from policydesk.mail.ingest import process_message
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322


def test_known_colleagues_in_cc_of_a_new_email_are_copied(personas: Personas, mail_settings: None) -> None:
    raw = rfc5322("""
From: Hanna <hanna@kumo.example>
To: support@example.com
Cc: Felix <Felix@Kumo.example>, Olga <olga@other.example>, nobody@nowhere.example
Subject: Export fails for both of us
Message-ID: <cc-1@kumo.example>
Content-Type: text/plain; charset=utf-8

The export stops at 1000 rows.
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=result.ticket_number)
    assert list(ticket.participants.values_list("email", flat=True)) == ["felix@kumo.example"]
