"""process_message: every outcome, identity (C14), idempotency, threading, loops, quarantine."""

from __future__ import annotations

from datetime import timedelta
from unittest import mock

import pytest
from django.db import OperationalError

from policydesk.mail import ingest
from policydesk.mail.ingest import Envelope, header_block, message_key, process_message, process_stored
from policydesk.mail.models import InboundMessage, MessageLink, OutgoingMail
from policydesk.mail.threads import reply_address
from policydesk.tickets import actions
from policydesk.tickets.models import Deflection, Ticket
from tests.conftest import NOW, Personas, new_customer
from tests.mail.conftest import rfc5322

pytestmark = pytest.mark.usefixtures("mail_settings")


def new_request(
    sender: str = "hanna@kumo.example", message_id: str = "req-1@kumo.example", **extra: str
) -> bytes:
    headers = "".join(f"{name}: {value}\n" for name, value in extra.items())
    return rfc5322(f"""
From: Hanna <{sender}>
To: support@example.com
Subject: Dashboard export fails
Message-ID: <{message_id}>
Date: Tue, 01 Dec 2026 18:00:00 +0000
{headers}MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8

The CSV export stops at 1000 rows.
""")


def reply_to(
    ticket_message_id: str,
    sender: str = "hanna@kumo.example",
    message_id: str = "re-1@kumo.example",
    subject: str = "Re: Dashboard export fails",
    to: str = "support@example.com",
) -> bytes:
    return rfc5322(f"""
From: {sender}
To: {to}
Subject: {subject}
Message-ID: <{message_id}>
In-Reply-To: <{ticket_message_id}>
References: <{ticket_message_id}>
Content-Type: text/plain; charset=utf-8

Here is the file you asked for.

On Tue, 1 Dec 2026 at 18:00, Support <support@example.com> wrote:
> Could you send the file?
""")


def test_customer_email_opens_a_ticket_on_the_email_channel(personas: Personas) -> None:
    result = process_message(new_request(), mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    ticket = Ticket.objects.get(number=result.ticket_number)
    assert (ticket.channel, ticket.requester, ticket.subject) == (
        "email",
        personas.customer,
        "Dashboard export fails",
    )
    assert ticket.topic == "troubleshooting"
    assert ticket.messages.get().text.strip() == "The CSV export stops at 1000 rows."
    inbound = InboundMessage.objects.get()
    assert (inbound.outcome, inbound.ticket, bytes(inbound.raw)) == ("ticket", ticket, new_request())
    assert MessageLink.objects.filter(message_id="req-1@kumo.example", ticket=ticket, direction="in").exists()


def test_new_ticket_queues_an_acknowledgement_with_the_sla_promise(personas: Personas) -> None:
    result = process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    assert ack.recipient == "hanna@kumo.example"
    assert f"[#{result.ticket_number}]" in ack.subject
    assert "Initial response within 2 business days" in ack.body  # C3: Growth
    assert ack.in_reply_to == "req-1@kumo.example"  # threads under the customer's message


def test_sender_matches_the_login_email_whatever_its_case(personas: Personas) -> None:
    assert (
        process_message(new_request(sender="HANNA@Kumo.Example"), mailbox="smtp", now=NOW).outcome == "ticket"
    )


def test_same_message_twice_is_a_duplicate_and_opens_one_ticket(personas: Personas) -> None:
    first = process_message(new_request(), mailbox="smtp", now=NOW)
    second = process_message(new_request(), mailbox="smtp", now=NOW + timedelta(minutes=1))
    assert (first.outcome, second.outcome) == ("ticket", "duplicate")
    assert second.ticket_number == first.ticket_number
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_the_same_message_through_another_mailbox_reads_its_link_and_ticket_at_once(
    personas: Personas,
) -> None:
    """Issue 17: the duplicate path read the link's ticket id, then the ticket: one read now."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    first = process_message(new_request(), mailbox="smtp", now=NOW)
    with CaptureQueriesContext(connection) as queries:
        again = process_message(new_request(), mailbox="imap", now=NOW + timedelta(minutes=1))
    assert (again.outcome, again.ticket_number) == ("duplicate", first.ticket_number)
    reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("SELECT")]
    links = [sql for sql in reads if "mail_messagelink" in sql]
    assert len(links) == 1 and "tickets_ticket" in links[0]  # the ticket comes with its link
    assert not [sql for sql in reads if sql.split(" FROM ")[1].startswith('"tickets_ticket"')]
    assert Ticket.objects.count() == 1


def test_same_message_id_with_other_bytes_is_a_duplicate(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    resent = new_request(**{"X-Resent": "yes"})
    assert process_message(resent, mailbox="smtp", now=NOW).outcome == "duplicate"
    assert Ticket.objects.count() == 1


def test_message_without_message_id_is_keyed_by_its_bytes(personas: Personas) -> None:
    raw = new_request().replace(b"Message-ID: <req-1@kumo.example>\r\n", b"")
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "ticket"
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "duplicate"
    assert InboundMessage.objects.get().key.startswith("sha256:")
    assert process_message(raw + b"\r\nP.S.\r\n", mailbox="smtp", now=NOW).outcome == "ticket"


def test_unknown_sender_is_rejected_with_one_notice_a_day(personas: Personas) -> None:
    first = process_message(new_request(sender="mallory@elsewhere.example"), mailbox="smtp", now=NOW)
    second = process_message(
        new_request(sender="mallory@elsewhere.example", message_id="req-2@elsewhere.example"), mailbox="smtp",
        now=NOW + timedelta(hours=2),
    )  # fmt: skip
    assert (first.outcome, second.outcome) == ("rejected", "rejected")
    assert "C14" in (first.reason or "")
    notices = OutgoingMail.objects.filter(kind="rejection")
    assert notices.count() == 1
    assert "log in" in notices.get().body
    assert Ticket.objects.count() == 0
    third = process_message(
        new_request(sender="mallory@elsewhere.example", message_id="req-3@elsewhere.example"), mailbox="smtp",
        now=NOW + timedelta(days=1, minutes=1),
    )  # fmt: skip
    assert third.outcome == "rejected" and notices.count() == 2


def test_agent_writing_to_the_support_address_does_not_open_a_ticket(personas: Personas) -> None:
    result = process_message(new_request(sender="jonas@example.com"), mailbox="smtp", now=NOW)
    assert result.outcome == "rejected" and Ticket.objects.count() == 0


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Auto-Submitted", "auto-replied"),
        ("Auto-Submitted", "auto-generated"),
        ("Precedence", "bulk"),
        ("Precedence", "junk"),
        ("Precedence", "list"),
        ("X-Autoreply", "yes"),
        ("X-Auto-Response-Suppress", "All"),
        ("List-Unsubscribe", "<mailto:leave@list.example>"),
        ("Return-Path", "<>"),
        ("X-PolicyDesk-Notification", "ack"),
    ],
)
def test_automatic_mail_is_stored_and_never_answered(personas: Personas, header: str, value: str) -> None:
    result = process_message(new_request(**{header: value}), mailbox="smtp", now=NOW)
    assert result.outcome == "auto"
    assert Ticket.objects.count() == 0 and OutgoingMail.objects.count() == 0
    assert bytes(InboundMessage.objects.get().raw) == new_request(**{header: value})


def test_auto_submitted_no_is_a_person_writing(personas: Personas) -> None:
    assert (
        process_message(new_request(**{"Auto-Submitted": "no"}), mailbox="smtp", now=NOW).outcome == "ticket"
    )


def test_mail_from_mailer_daemon_is_automatic(personas: Personas) -> None:
    result = process_message(new_request(sender="MAILER-DAEMON@mx.kumo.example"), mailbox="smtp", now=NOW)
    assert result.outcome == "auto" and OutgoingMail.objects.count() == 0


def test_empty_envelope_sender_is_a_bounce(personas: Personas) -> None:
    envelope = Envelope(sender="", recipients=("support@example.com",))
    result = process_message(new_request(), mailbox="smtp", envelope=envelope, now=NOW)
    assert result.outcome == "auto"


def test_delivery_status_notification_is_automatic(personas: Personas) -> None:
    raw = rfc5322("""
From: Mail Delivery System <bounces@mx.kumo.example>
To: support@example.com
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-1@mx.kumo.example>
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="B"

--B
Content-Type: text/plain

Your message could not be delivered.
--B
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.kumo.example
Final-Recipient: rfc822; nobody@kumo.example
Action: failed
Status: 5.1.1
--B--
""")
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "auto"


def test_dmarc_fail_from_our_receiving_server_is_quarantined(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    raw = new_request(
        **{"Authentication-Results": "mx.example.com; spf=fail smtp.mailfrom=kumo.example; dmarc=fail"}
    )
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and "DMARC" in (result.reason or "")
    assert Ticket.objects.count() == 0


def test_dmarc_fail_from_another_server_is_ignored_when_our_authserv_id_is_set(
    personas: Personas, settings: object
) -> None:
    settings.POLICYDESK_MAIL_AUTHSERV_ID = "mx.example.com"  # type: ignore[attr-defined]
    raw = new_request(
        **{
            "Authentication-Results": "mx.example.com; dmarc=pass header.from=kumo.example",
            "X-Forged": "x",
        }
    ).replace(b"X-Forged: x\r\n", b"Authentication-Results: evil.example; dmarc=fail\r\n")
    assert process_message(raw, mailbox="smtp", now=NOW).outcome == "ticket"


def test_reply_to_our_acknowledgement_is_added_to_the_ticket(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    result = process_message(reply_to(ack.message_id), mailbox="smtp", now=NOW + timedelta(hours=1))
    assert (result.outcome, result.ticket_number) == ("reply", opened.ticket_number)
    ticket = Ticket.objects.get()
    latest = ticket.messages.order_by("pk").last()
    assert latest is not None and latest.text == "Here is the file you asked for."
    assert latest.channel == "email"
    inbound = InboundMessage.objects.get(message_id="re-1@kumo.example")
    assert "Could you send the file?" in inbound.full_text  # the quoted history is kept ("show quoted")


def test_reply_referencing_the_customers_own_first_message_threads(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    result = process_message(reply_to("req-1@kumo.example"), mailbox="smtp", now=NOW)
    assert (result.outcome, result.ticket_number) == ("reply", opened.ticket_number)


def test_reply_to_an_agent_answer_threads_and_reopens(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=opened.ticket_number)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which browser?", now=NOW)
    answer = OutgoingMail.objects.get(kind="reply")
    assert answer.automatic is False
    result = process_message(reply_to(answer.message_id), mailbox="smtp", now=NOW + timedelta(hours=1))
    assert result.outcome == "reply"
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_signed_reply_address_threads_without_any_references(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=opened.ticket_number)
    address = reply_address(ticket, personas.customer)
    raw = rfc5322(f"""
From: hanna@kumo.example
To: {address}
Subject: something else entirely
Message-ID: <fresh@kumo.example>
Content-Type: text/plain

More details.
""")
    envelope = Envelope(sender="hanna@kumo.example", recipients=(address,))
    result = process_message(raw, mailbox="smtp", envelope=envelope, now=NOW)
    assert (result.outcome, result.ticket_number) == ("reply", ticket.number)


def test_forged_reply_address_is_not_evidence(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    forged = f"support+t{opened.ticket_number}-{personas.customer.pk}-0000000000000000@example.com"
    raw = rfc5322(f"""
From: felix@kumo.example
To: {forged}
Subject: hello
Message-ID: <forged@kumo.example>
Content-Type: text/plain

Let me in.
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket" and result.ticket_number != opened.ticket_number


def test_subject_tag_threads_only_for_the_requester_or_a_participant(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    tag = f"[#{opened.ticket_number}]"
    from_requester = rfc5322(f"""
From: hanna@kumo.example
To: support@example.com
Subject: Re: {tag} Dashboard export fails
Message-ID: <tagged-1@kumo.example>
Content-Type: text/plain

Still broken.
""")
    assert process_message(from_requester, mailbox="smtp", now=NOW).outcome == "reply"
    from_outsider = from_requester.replace(b"hanna@kumo.example", b"olga@other.example").replace(
        b"tagged-1", b"tagged-2"
    )
    result = process_message(from_outsider, mailbox="smtp", now=NOW)
    # Zammad's mistake avoided: a ticket number in the subject is not a key to someone's ticket.
    assert result.outcome == "ticket" and result.ticket_number != opened.ticket_number
    assert Ticket.objects.get(number=opened.ticket_number).messages.count() == 2


def test_reply_from_stranger_is_quarantined(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    ack = OutgoingMail.objects.get(kind="ack")
    result = process_message(
        reply_to(ack.message_id, sender="mallory@elsewhere.example"), mailbox="smtp", now=NOW
    )
    assert result.outcome == "quarantined" and "not a party" in (result.reason or "")
    assert Ticket.objects.get().messages.count() == 1


def test_reply_from_customer_of_another_organisation_is_quarantined(personas: Personas) -> None:
    process_message(new_request(), mailbox="smtp", now=NOW)
    result = process_message(
        reply_to("req-1@kumo.example", sender="olga@other.example"), mailbox="smtp", now=NOW
    )
    assert result.outcome == "quarantined"


def test_reply_to_closed_ticket_opens_a_new_one(personas: Personas) -> None:
    opened = process_message(new_request(), mailbox="smtp", now=NOW)
    ticket = Ticket.objects.get(number=opened.ticket_number)
    actions.do_set_status(ticket=ticket, status="closed", actor=personas.agent, now=NOW)
    result = process_message(reply_to("req-1@kumo.example"), mailbox="smtp", now=NOW + timedelta(days=9))
    assert result.outcome == "ticket" and result.ticket_number != opened.ticket_number
    assert "closed" in (result.reason or "")


def test_starter_email_is_deflected_with_the_route_text(personas: Personas) -> None:
    new_customer("sam@free.example", "starter", "emea", organisation_name="Free Co")
    result = process_message(new_request(sender="sam@free.example"), mailbox="smtp", now=NOW)
    assert result.outcome == "rejected" and "deflected" in (result.reason or "")  # C2
    assert Ticket.objects.count() == 0 and Deflection.objects.get().channel == "email"
    notice = OutgoingMail.objects.get(kind="deflection")
    assert "community" in notice.body.lower()
    assert notice.in_reply_to == "req-1@kumo.example"


def test_internal_error_quarantines_and_replay_takes_the_message(personas: Personas) -> None:
    with mock.patch.object(ingest, "reply_text", side_effect=RuntimeError("parser bug")):
        result = process_message(new_request(), mailbox="smtp", now=NOW)
    assert result.outcome == "quarantined" and result.reason == "internal error: RuntimeError"
    inbound = InboundMessage.objects.get()
    assert bytes(inbound.raw) == new_request() and Ticket.objects.count() == 0
    assert process_message(new_request(), mailbox="smtp", now=NOW).outcome == "duplicate"
    replayed = process_stored(inbound, now=NOW, replay=True)
    assert replayed.outcome == "ticket" and Ticket.objects.count() == 1


def test_database_failure_mid_transaction_leaves_the_message_pending_and_redelivery_takes_it_once(
    personas: Personas,
) -> None:
    real = ingest.do_open_ticket

    def open_then_fail(**kwargs: object) -> object:
        real(**kwargs)  # type: ignore[arg-type]
        raise OperationalError("database is locked")

    with (
        mock.patch.object(ingest, "do_open_ticket", side_effect=open_then_fail),
        pytest.raises(OperationalError),
    ):
        process_message(new_request(), mailbox="smtp", now=NOW)
    assert Ticket.objects.count() == 0
    assert InboundMessage.objects.get().outcome == "pending"
    assert process_message(new_request(), mailbox="smtp", now=NOW).outcome == "ticket"
    assert process_message(new_request(), mailbox="smtp", now=NOW).outcome == "duplicate"
    assert Ticket.objects.count() == 1


def test_same_message_through_two_mailboxes_is_kept_in_each_and_taken_once(personas: Personas) -> None:
    first = process_message(new_request(), mailbox="smtp", now=NOW)
    other = process_message(new_request(), mailbox="imap", now=NOW)
    assert (other.outcome, other.ticket_number) == ("duplicate", first.ticket_number)
    assert InboundMessage.objects.count() == 2 and Ticket.objects.count() == 1
    assert OutgoingMail.objects.filter(kind="ack").count() == 1


def test_attachments_are_stored_on_the_ticket(personas: Personas) -> None:
    raw = rfc5322("""
From: hanna@kumo.example
To: support@example.com
Subject: Screenshot
Message-ID: <att-1@kumo.example>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="XX"

--XX
Content-Type: text/plain; charset=utf-8

See attached.
--XX
Content-Type: image/png
Content-Disposition: attachment; filename*=utf-8''%E7%94%BB%E9%9D%A2.png
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--XX--
""")
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    attachment = Ticket.objects.get().attachments.get()
    assert (attachment.filename, attachment.content_type) == ("画面.png", "image/png")
    with attachment.file.open("rb") as stored:
        assert stored.read() == b"\x89PNG\r\n\x1a\n"
    assert result.as_json("f.eml")["attachments"] == ["画面.png"]


def test_ingest_result_json_has_the_contract_fields(personas: Personas) -> None:
    line = process_message(new_request(), mailbox="smtp", now=NOW).as_json("a.eml")
    assert set(line) == {"file", "outcome", "ticket", "subject", "body_text", "attachments", "reason"}
    assert line["subject"] == "Dashboard export fails" and line["reason"] is None


@pytest.mark.parametrize(
    ("raw", "block"),
    [
        (b"A: 1\r\nB: 2\r\n\r\nbody\r\n\r\nmore", b"A: 1\r\nB: 2\r\n\r\n"),
        (b"A: 1\nB: 2\n\nbody\n\nmore", b"A: 1\nB: 2\n\n"),
        (b"A: 1\r\n", b"A: 1\r\n"),  # no body at all
        (b"\r\n\r\nbody", b"\r\n\r\n"),
    ],
)
def test_the_key_is_read_from_the_header_block_only(raw: bytes, block: bytes) -> None:
    assert header_block(raw) == block


def test_a_message_id_after_the_blank_line_is_body_not_key() -> None:
    key, message_id, _sha = message_key(b"Subject: x\r\n\r\nMessage-ID: <in-body@x>\r\n")
    assert key.startswith("sha256:") and message_id == ""
    key, message_id, _sha = message_key(b"Message-ID: <head@x>\r\n\r\n" + b"x\r\n" * 100_000)
    assert key == "mid:head@x" and message_id == "head@x"
