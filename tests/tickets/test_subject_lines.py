"""A line break in a subject never breaks mail about the ticket (issue 9, finding 5).

Subjects are made one line at every entry (portal, widget, API, email: all through
`do_open_ticket`) and again wherever a header is built; a mail that still cannot be built is
said on the ticket, where the agent looks, instead of failing silently after five attempts.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.test import Client, override_settings

from policydesk.api.tokens import do_create_api_token
from policydesk.mail.ingest import process_message
from policydesk.mail.models import OutgoingMail
from policydesk.mail.sending import build_email, send
from policydesk.portal import widget
from policydesk.tickets import actions
from policydesk.tickets.models import Message, Ticket
from tests.conftest import NOW, Personas
from tests.mail.conftest import rfc5322

WIDGET_SECRET = "widget-test-secret-for-subjects"
# Every character that ends a line for CR/LF-splitting code, Python's str.splitlines or the
# email package's header folding, plus NUL.
BREAKS = ["\r\n", "\n", "\r", "\x0b", "\x0c", "\x1c", "\x85", "\u2028", "\u2029", "\x00"]


@pytest.fixture(autouse=True)
def _desk(settings: Any) -> Iterator[None]:
    settings.POLICYDESK_MAIL_DOMAIN = "example.com"
    settings.POLICYDESK_WIDGET_SECRET = WIDGET_SECRET
    settings.POLICYDESK_WIDGET_ORIGINS = ["https://app.example.com"]
    cache.clear()
    with time_machine.travel(NOW, tick=False):
        yield
    cache.clear()


def send_all() -> list[str]:
    """Send every queued mail as the worker would; the outcome of each."""
    return [
        send(pk, now=NOW) for pk in OutgoingMail.objects.filter(status="queued").values_list("pk", flat=True)
    ]


def assert_mail_about(ticket: Ticket) -> None:
    """Every mail about the ticket went out, with a one-line subject and no injected header."""
    outcomes = send_all()
    assert outcomes and set(outcomes) == {"sent"}
    assert not OutgoingMail.objects.filter(ticket=ticket).exclude(status="sent").exists()
    assert mail.outbox
    for message in mail.outbox:
        headers = message.message().as_bytes().split(b"\n\n", 1)[0].split(b"\n")
        assert not [line for line in headers if line.lower().startswith(b"bcc:")]
        assert message.subject == message.subject.strip() and "\n" not in message.subject


def web_ticket(personas: Personas) -> actions.IntakeResult:
    """A ticket the customer opened on the web, subject "Export fails"."""
    result = actions.do_open_ticket(
        requester=personas.customer, topic="troubleshooting", subject="Export fails", text="t",
        channel="web", now=NOW,
    )  # fmt: skip
    assert result.ticket is not None
    return result


def request_form(subject: str, **extra: str) -> dict[str, str]:
    """The fields of the request form (portal and widget alike) with this subject."""
    return {
        "topic": "troubleshooting",
        "priority": "normal",
        "subject": subject,
        "description": "Slow.",
        **extra,
    }


def test_portal_subject_with_crlf_is_one_line_and_its_mail_goes_out(personas: Personas) -> None:
    client = Client()
    client.force_login(personas.customer)
    client.post("/tickets/new/", request_form("Export fails\r\nBcc: victim@evil.example"))
    ticket = Ticket.objects.get()
    assert ticket.subject == "Export fails Bcc: victim@evil.example"
    assert_mail_about(ticket)
    assert mail.outbox[0].subject == f"[#{ticket.number}] Export fails Bcc: victim@evil.example"


def test_api_subject_with_line_breaks_is_one_line(personas: Personas) -> None:
    token = do_create_api_token(person=personas.customer, name="t", actor=None, now=NOW).secret
    response = Client().post(
        "/api/v1/tickets",
        json.dumps(
            {"topic": "troubleshooting", "subject": "Export\nfails\r\n\r\nagain\x00", "text": "Slow."}
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.content
    assert response.json()["subject"] == "Export fails again"
    assert_mail_about(Ticket.objects.get())


def test_widget_subject_with_crlf_is_one_line(personas: Personas) -> None:
    client = Client()
    token = widget.mint_token(
        {"email": personas.customer.email, "org": "Kumo", "exp": int(time.time()) + 300, "nonce": "n-1"},
        WIDGET_SECRET,
    )
    page = client.get("/widget/", {"token": token})
    client.post("/widget/", request_form("Export\r\nfails", widget_session=page.context["widget_session"]))
    ticket = Ticket.objects.get()
    assert ticket.subject == "Export fails"
    assert_mail_about(ticket)


@pytest.mark.parametrize(
    ("encoded", "separator"),
    [
        ("=?utf-8?q?Export=0Bfails?=", "VT"),
        ("=?utf-8?q?Export=0Cfails?=", "FF"),
        ("=?utf-8?q?Export=C2=85fails?=", "NEL"),
        ("=?utf-8?b?RXhwb3J04oCoZmFpbHM=?=", "U+2028"),
        ("=?utf-8?b?RXhwb3J04oCpZmFpbHM=?=", "U+2029"),
    ],
)
def test_email_subject_with_a_unicode_line_separator_is_one_line(
    personas: Personas, encoded: str, separator: str
) -> None:
    raw = rfc5322(f"""
From: hanna@kumo.example
To: support@example.com
Subject: {encoded}
Message-ID: <sep-{separator}@kumo.example>
Content-Type: text/plain; charset=utf-8

The CSV export stops.
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket", result.reason
    ticket = Ticket.objects.get()
    assert ticket.subject == "Export fails", separator
    assert_mail_about(ticket)


# PostgreSQL cannot store a NUL at all: the entry rule (the API test) is what keeps it out.
@pytest.mark.parametrize("separator", [b for b in BREAKS if b != "\x00"])
def test_agent_reply_goes_out_whatever_the_stored_subject_holds(personas: Personas, separator: str) -> None:
    """Even a subject stored before the rule (a migration, the admin) cannot break a reply."""
    result = web_ticket(personas)
    Ticket.objects.filter(pk=result.ticket.pk).update(subject=f"Export{separator}fails")
    ticket = Ticket.objects.get()
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Fixed.", now=NOW)
    assert set(send_all()) == {"sent"}
    reply = next(m for m in mail.outbox if m.subject.startswith("Re:"))
    assert reply.subject == f"Re: [#{ticket.number}] Export fails"
    assert reply.message().as_bytes().count(b"\nSubject:") == 1


def test_a_mail_that_cannot_be_built_is_said_on_the_ticket_not_retried(personas: Personas) -> None:
    result = web_ticket(personas)
    # A recipient with a line break in it (a row written by hand): no header can carry it.
    ack = OutgoingMail.objects.get(kind="ack")
    OutgoingMail.objects.filter(pk=ack.pk).update(recipient="hanna@kumo.example\nBcc: x@evil.example")
    with pytest.raises(ValueError, match="newline"):
        build_email(OutgoingMail.objects.get(pk=ack.pk)).message()

    assert send(ack.pk, now=NOW) == "failed"
    ack.refresh_from_db()
    assert ack.status == "failed" and "could not be built" in ack.last_error and ack.attempts == 1
    note = Message.objects.get(ticket=result.ticket, kind="internal")
    assert note.author is None and "could not be sent" in note.text and "acknowledgement" in note.text
    assert mail.outbox == []
    assert send(ack.pk, now=NOW) == "not queued"  # not retried: it would fail the same way
    # The agent sees it in the conversation, from the desk itself.
    agent = Client()
    agent.force_login(personas.agent)
    page = agent.get(f"/console/tickets/{result.ticket.number}/", {"lang": "ja"}).content.decode()
    assert "サポートデスク（自動）" in page and "could not be sent" in page


class RefusingBackend:
    def __init__(self, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: list[Any]) -> int:
        raise OSError("550 mailbox unavailable")


@override_settings(
    EMAIL_BACKEND="tests.tickets.test_subject_lines.RefusingBackend", POLICYDESK_MAIL_SEND_ATTEMPTS=2
)
def test_an_agent_reply_the_server_keeps_refusing_is_said_on_the_ticket(personas: Personas) -> None:
    result = web_ticket(personas)
    OutgoingMail.objects.all().delete()
    actions.do_agent_reply(ticket=result.ticket, agent=personas.agent, text="Fixed.", now=NOW)
    reply = OutgoingMail.objects.get(kind="reply")
    for _attempt in range(2):
        OutgoingMail.objects.filter(pk=reply.pk).update(status="queued")
        with pytest.raises(Exception, match="failed"):
            send(reply.pk, now=NOW)
    reply.refresh_from_db()
    assert reply.status == "failed"
    note = Message.objects.get(ticket=result.ticket, kind="internal")
    assert "agent reply" in note.text and "refused it 2 times" in note.text
