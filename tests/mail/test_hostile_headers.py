"""Issue 9, findings 3 and 4: no header stops a message from being stored, and ordinary
decoding quirks are read leniently or refused with a reason a person understands, never
"internal error"."""

from __future__ import annotations

import json
from collections.abc import Callable
from io import StringIO
from pathlib import Path
from unittest import mock

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from policydesk.mail import imap as imap_module
from policydesk.mail.decoding import parse_message, scan_structure
from policydesk.mail.ingest import message_key, process_message, process_stored
from policydesk.mail.models import InboundMessage, OutgoingMail
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas
from tests.mail.test_imap import DOVECOT, client, dovecot, poller, request
from tests.mail.test_smtp import listener, send

pytestmark = pytest.mark.usefixtures("mail_settings")

__all__ = ["dovecot", "listener"]  # the IMAP server and SMTP listener fixtures of test_imap/test_smtp


def from_hanna(headers: bytes, body: bytes = b"The export fails.\r\n") -> bytes:
    return b"From: hanna@kumo.example\r\nTo: support@example.com\r\n" + headers + b"\r\n" + body


# The literal headers (finding 3).
EMPTY_RFC2231_PARAM = from_hanna(
    b"Subject: Export\r\nMessage-ID: <p1@kumo.example>\r\n"
    b"Content-Type: text/plain; charset=us-ascii;\r\n title*\r\n"
)
TRUNCATED_ENCODED_WORD_ID = from_hanna(b"Subject: Export\r\nMessage-ID: <=?utf-8?b?QUJDR?=@x>\r\n")
NUL_IN_RFC2231_VALUE = from_hanna(
    b"Subject: Export\r\nMessage-ID: <p3@kumo.example>\r\n"
    b"Content-Type: text/plain; charset*=us-ascii''a%00b; title*=utf-8''x\x00y\r\n"
)
LITERAL_HEADERS = [EMPTY_RFC2231_PARAM, TRUNCATED_ENCODED_WORD_ID, NUL_IN_RFC2231_VALUE]


@pytest.mark.parametrize("raw", LITERAL_HEADERS, ids=["empty-rfc2231", "truncated-id", "nul-rfc2231"])
def test_headers_that_crashed_are_stored_and_taken(personas: Personas, raw: bytes) -> None:
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket"
    row = InboundMessage.objects.get()
    assert bytes(row.raw) == raw and row.outcome == "ticket"
    assert Ticket.objects.get().messages.get().text == "The export fails."


@pytest.mark.django_db(transaction=True)
def test_smtp_answers_250_to_the_literal_headers_not_451_forever(
    personas: Personas,
    listener: tuple[str, int],
) -> None:
    for raw in LITERAL_HEADERS:
        code, _reply = send(listener, raw)
        assert code == 250
    assert sorted(bytes(row.raw) for row in InboundMessage.objects.all()) == sorted(LITERAL_HEADERS)


def test_a_message_id_is_read_as_written_never_decoded() -> None:
    assert message_key(TRUNCATED_ENCODED_WORD_ID)[:2] == ("mid:=?utf-8?b?QUJDR?=@x", "=?utf-8?b?QUJDR?=@x")


@pytest.mark.parametrize(
    "message_id",
    [b"<a\x00b@x>", b"<a\x01b@x>", b"<caf\xe9@x>", b"<\xff\xfe@x>"],
    ids=["nul", "ctl", "latin1", "ff"],
)
def test_an_unreadable_message_id_falls_back_to_the_sha256(message_id: bytes) -> None:
    raw = from_hanna(b"Message-ID: " + message_id + b"\r\n")
    key, stored_id, sha256 = message_key(raw)
    assert (key, stored_id) == (f"sha256:{sha256}", "")


def test_message_key_never_depends_on_the_parser() -> None:
    with mock.patch("email.parser.BytesHeaderParser.parsebytes", side_effect=IndexError("stdlib bug")):
        key, _id, sha256 = message_key(EMPTY_RFC2231_PARAM)
    assert key == f"sha256:{sha256}"


def test_mail_ingest_prints_a_json_line_for_every_file_always(personas: Personas, tmp_path: Path) -> None:
    paths = []
    for n, raw in enumerate([*LITERAL_HEADERS, b"\x00\xff", b""]):
        paths.append(tmp_path / f"{n}.eml")
        paths[-1].write_bytes(raw)
    out = StringIO()
    call_command("mail", "ingest", *map(str, paths), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [line["file"] for line in lines] == [str(p) for p in paths]
    assert all(line["outcome"] in ("ticket", "quarantined") for line in lines)


def fails_the_first_time(real: Callable[..., object]) -> Callable[..., object]:
    """`real`, except that its first call raises: a bug of ours on one message, not on the next."""
    calls = 0

    def flaky(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise RuntimeError("a bug")
        return real(*args, **kwargs)

    return flaky


def test_mail_ingest_reports_our_own_failure_on_its_line_and_goes_on(
    personas: Personas, tmp_path: Path
) -> None:
    first, second = tmp_path / "a.eml", tmp_path / "b.eml"
    first.write_bytes(EMPTY_RFC2231_PARAM)
    second.write_bytes(NUL_IN_RFC2231_VALUE)
    out = StringIO()
    with (
        mock.patch(
            "policydesk.mail.management.commands.mail.process_message",
            side_effect=fails_the_first_time(process_message),
        ),
        pytest.raises(CommandError, match="not taken"),
    ):
        call_command("mail", "ingest", str(first), str(second), stdout=out)
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    assert lines[0] == {
        "file": str(first),
        "outcome": "error",
        "ticket": None,
        "subject": None,
        "body_text": None,
        "attachments": [],
        "reason": "internal error: RuntimeError",
    }
    assert lines[1]["outcome"] == "ticket"


# -- finding 4: decoding quirks -----------------------------------------------------------------


def test_truncated_base64_encoded_word_in_subject_is_read_leniently() -> None:
    assert parse_message(from_hanna(b"Subject: Re: =?utf-8?b?QUJDR?= export\r\n")).subject == "Re: ABC export"


def test_raw_8bit_bytes_in_an_rfc2231_filename_are_decoded() -> None:
    raw = from_hanna(
        b"MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=B\r\n",
        b"--B\r\nContent-Type: text/plain\r\n\r\nSee attached.\r\n"
        b"--B\r\nContent-Type: application/pdf\r\n"
        b"Content-Disposition: attachment; filename*=utf-8''"
        + "請求書.pdf".encode()
        + b"\r\n\r\n%PDF\r\n--B--\r\n",
    )
    assert [a.filename for a in parse_message(raw).attachments] == ["請求書.pdf"]


@pytest.mark.parametrize("charset", [b'"utf\x00-8"', b"base64", b"rot13", b"idna", b"\xff\xfe", b"x" * 500])
def test_odd_charset_names_fall_back_to_detection(charset: bytes) -> None:
    body = "こんにちは、エクスポートが失敗します。".encode()
    raw = from_hanna(b"Content-Type: text/plain; charset=" + charset + b"\r\n", body)
    assert parse_message(raw).text == body.decode()


def deeply_nested(levels: int) -> bytes:
    opening = b"".join(
        b"--b%d\r\nContent-Type: multipart/mixed; boundary=b%d\r\n\r\n" % (n, n + 1)
        for n in range(levels - 1)
    )
    return from_hanna(
        b"Subject: Deep\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b0\r\n",
        opening + b"--b%d\r\nContent-Type: text/plain\r\n\r\ndeep text\r\n" % (levels - 1),
    )


def test_a_thousand_nested_multiparts_are_quarantined_with_a_reason_and_replay_says_the_same(
    personas: Personas,
) -> None:
    result = process_message(deeply_nested(1000), mailbox="smtp", now=NOW)
    assert (result.outcome, result.reason) == ("quarantined", "MIME nesting deeper than 50 levels")
    row = InboundMessage.objects.get()
    assert (row.subject, row.sender) == ("Deep", "hanna@kumo.example")  # for the quarantine list
    replayed = process_stored(row, now=NOW, replay=True)
    assert (replayed.outcome, replayed.reason) == ("quarantined", "MIME nesting deeper than 50 levels")


def test_nesting_within_the_limit_is_read() -> None:
    assert parse_message(deeply_nested(45)).text.strip() == "deep text"
    assert scan_structure(deeply_nested(45)).depth == 45


def test_nested_attached_messages_count_as_levels() -> None:
    raw = from_hanna(
        b"Content-Type: message/rfc822\r\n", b"Content-Type: message/rfc822\r\n\r\n" * 80 + b"x\r\n"
    )
    assert scan_structure(raw).depth > 50


# -- the IMAP poller ---------------------------------------------------------------------------


@pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)")
def test_imap_poller_takes_the_literal_headers_and_goes_on(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    for raw in [*LITERAL_HEADERS, deeply_nested(1000), request(9)]:
        seed.append("INBOX", raw)
    imap = poller(dovecot).connect()
    report = poller(dovecot).poll_once(imap)
    assert len(report.taken) == 5 and report.outcomes == {"ticket": 4, "quarantined": 1}
    assert poller(dovecot).poll_once(imap).taken == []  # nothing is fetched again
    imap.logout()
    seed.logout()


@pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)")
def test_imap_poller_leaves_a_message_it_cannot_store_and_goes_on(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    seed.append("INBOX", request(1))
    seed.append("INBOX", request(2))
    imap = poller(dovecot).connect()
    with mock.patch.object(
        imap_module, "process_message", side_effect=fails_the_first_time(imap_module.process_message)
    ):
        report = poller(dovecot).poll_once(imap)
    assert (report.left, len(report.taken)) == ([1], 1)
    seed.select_folder("INBOX")
    assert seed.get_flags([1])[1] == ()  # on the server, unflagged, for a person
    assert poller(dovecot).poll_once(imap).taken == []  # and the poller does not loop on it
    imap.logout()
    seed.logout()


def test_a_message_id_too_long_to_thread_by_still_opens_a_ticket_and_is_acknowledged(
    personas: Personas,
) -> None:
    long_id = "x" * 300 + "@kumo.example"
    raw = from_hanna(f"Subject: Export\r\nMessage-ID: <{long_id}>\r\nReferences: <{long_id}>\r\n".encode())
    result = process_message(raw, mailbox="smtp", now=NOW)
    assert result.outcome == "ticket" and result.inbound.message_id == long_id
    ack = OutgoingMail.objects.get(kind="ack")
    assert (ack.in_reply_to, ack.references) == ("", [])  # nothing to thread by, nothing too long stored


@pytest.mark.parametrize("subject", [b"\x01\x02", b"\x1b", "\u2028".encode(), b"=?utf-8?q?=0B=0C?="])
def test_a_subject_of_control_characters_only_opens_a_ticket_without_subject(
    personas: Personas, subject: bytes
) -> None:
    result = process_message(from_hanna(b"Subject: " + subject + b"\r\n"), mailbox="smtp", now=NOW)
    assert result.outcome == "ticket" and Ticket.objects.get().subject == "(no subject)"
