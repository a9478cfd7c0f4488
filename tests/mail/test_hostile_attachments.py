"""Issue 9, findings 7 and 10 (part): a file over the limit, or beyond the per-message caps, is
left out, but the ticket is opened (or the reply added), the ticket says which files were
left out and why, and the customer is told by email in their language."""

from __future__ import annotations

import base64

import pytest

from policydesk.mail.ingest import process_message
from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.tickets.models import Attachment, Ticket
from tests.conftest import NOW, Personas

pytestmark = pytest.mark.usefixtures("mail_settings")


def with_files(
    files: list[tuple[str, bytes]], *, text: str = "See the attached files.", extra: str = "", mid: str = "f1"
) -> bytes:
    parts = [f"--B\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n".encode()] if text else []
    for name, content in files:
        parts.append(
            b"--B\r\nContent-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
            + f'Content-Disposition: attachment; filename="{name}"\r\n\r\n'.encode()
            + base64.encodebytes(content).replace(b"\n", b"\r\n")
        )
    head = (
        "From: hanna@kumo.example\r\nTo: support@example.com\r\nSubject: Logs\r\n"
        f"Message-ID: <{mid}@kumo.example>\r\n{extra}MIME-Version: 1.0\r\n"
        "Content-Type: multipart/mixed; boundary=B\r\n\r\n"
    )
    return head.encode() + b"".join(parts) + b"--B--\r\n"


@pytest.fixture
def small_limit(settings: object) -> None:
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 2 * 1024 * 1024  # type: ignore[attr-defined]


BIG = b"\x00" * (3 * 1024 * 1024)


@pytest.mark.usefixtures("small_limit")
def test_oversized_attachment_is_left_out_and_the_ticket_opened(personas: Personas) -> None:
    result = process_message(with_files([("screen.png", b"png"), ("dump.zip", BIG)]), mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    assert result.reason == "1 file(s) not attached: dump.zip"
    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.attachments.all()] == ["screen.png"]
    assert result.as_json("f.eml")["attachments"] == ["screen.png"]
    # On the ticket, in the customer's message: seen by agents and the customer alike.
    text = ticket.messages.get().text
    assert text.startswith("See the attached files.\n\nNot attached by the support desk:\n")
    assert "- dump.zip (3.0 MB): larger than the limit of 2 MB per file" in text
    assert "Please send these files another way" in text
    # The customer is told by email, through the recorded, rate-limited outgoing path.
    notice = OutgoingMail.objects.get(kind="left_out")
    assert (notice.recipient, notice.automatic, notice.ticket, notice.language) == (
        "hanna@kumo.example",
        True,
        ticket,
        "en",
    )
    assert notice.subject == f"Re: [#{ticket.number}] Logs"
    assert "some files could not be attached" in notice.body and "dump.zip" in notice.body
    assert OutgoingMail.objects.filter(kind="ack").count() == 1  # the acknowledgement as ever


@pytest.mark.usefixtures("small_limit")
def test_japanese_customer_is_told_in_japanese(personas: Personas) -> None:
    personas.customer.language = "ja"
    personas.customer.save(update_fields=["language"])
    process_message(with_files([("ログ.zip", BIG)]), mailbox="smtp", now=NOW)
    text = Ticket.objects.get().messages.get().text
    assert "サポートデスクで添付されなかったファイル:" in text
    assert "ログ.zip（3.0 MB）: 1ファイルあたりの上限 2 MB を超えています" in text
    notice = OutgoingMail.objects.get(kind="left_out")
    assert notice.language == "ja" and "一部のファイルを添付できませんでした" in notice.body


@pytest.mark.usefixtures("small_limit")
def test_oversized_attachment_in_a_reply_is_left_out_and_the_reply_added(personas: Personas) -> None:
    opened = process_message(with_files([], mid="first"), mailbox="smtp", now=NOW)
    reply = with_files(
        [("dump.zip", BIG)], text="", extra="In-Reply-To: <first@kumo.example>\r\n", mid="second"
    )
    result = process_message(reply, mailbox="smtp", now=NOW)
    assert (result.outcome, result.ticket_number) == ("reply", opened.ticket_number)
    added = Ticket.objects.get().messages.order_by("pk").last()
    assert added is not None and added.text.startswith("Not attached by the support desk:\n- dump.zip")
    notice = OutgoingMail.objects.get(kind="left_out")
    assert notice.ticket_message == added and notice.in_reply_to == "second@kumo.example"


def test_files_beyond_the_cap_are_listed_by_name(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_MAX_ATTACHMENTS = 3  # type: ignore[attr-defined]
    files = [(f"f{n}.txt", b"x") for n in range(30)]
    result = process_message(with_files(files), mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    ticket = Ticket.objects.get()
    assert [a.filename for a in ticket.attachments.order_by("pk")] == ["f0.txt", "f1.txt", "f2.txt"]
    text = ticket.messages.get().text
    listed = ", ".join(f"f{n}.txt" for n in range(3, 23))
    assert f"- 27 files ({listed}, …): a message brings at most 3 files" in text
    assert result.reason == "27 file(s) not attached: f3.txt, f4.txt, f5.txt, f6.txt, f7.txt and 22 more"


def test_thirty_thousand_tiny_parts_make_a_hundred_files_and_say_the_rest(personas: Personas) -> None:
    """The issue's 3 MB message with 30,000 parts: 100 files kept, the parts after the first
    2,000 not read, all said on the ticket."""
    parts = b"".join(
        b"--B\r\nContent-Type: text/csv\r\nContent-Disposition: attachment; filename=p%d.csv\r\n\r\n%d\r\n"
        % (n, n)
        for n in range(30_000)
    )
    raw = (
        b"From: hanna@kumo.example\r\nTo: support@example.com\r\nSubject: Parts\r\nMIME-Version: 1.0\r\n"
        b"Content-Type: multipart/mixed; boundary=B\r\n\r\n"
        + b"--B\r\nContent-Type: text/plain\r\n\r\nMany files.\r\n"
        + parts
        + b"--B--\r\n"
    )
    assert len(raw) > 2_500_000
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    assert Attachment.objects.count() == 100
    text = Ticket.objects.get().messages.get().text
    assert "- 1899 files (p100.csv, p101.csv," in text and "a message brings at most 100 files" in text
    assert "- 28001 more parts of the message were not read: at most 2000 parts are read" in text
    assert len(InboundMessage.objects.get().attachment_names) == 100


def test_a_message_without_left_out_files_has_no_note(personas: Personas) -> None:
    result = process_message(with_files([("a.txt", b"a")]), mailbox="smtp", now=NOW)
    assert result.reason is None
    assert Ticket.objects.get().messages.get().text == "See the attached files."
    assert not OutgoingMail.objects.filter(kind="left_out").exists()


def test_the_notice_is_rate_limited_like_all_automatic_mail(personas: Personas, settings: object) -> None:
    settings.POLICYDESK_MAIL_RATE_LIMIT = (2, 3600)  # type: ignore[attr-defined]
    settings.POLICYDESK_MAX_ATTACHMENT_BYTES = 10  # type: ignore[attr-defined]
    for n in range(3):
        process_message(with_files([("big.bin", b"y" * 20)], mid=f"r{n}"), mailbox="smtp", now=NOW)
    statuses = list(OutgoingMail.objects.filter(kind="left_out").values_list("status", flat=True))
    assert len(statuses) == 3 and statuses.count("suppressed") >= 1
