"""The SMTP listener over a real socket (smtplib): 250 after commit, 451 on our failures, never 5xx
for our own faults, 550 for strangers' addresses, 552 over the size limit, long lines allowed."""

from __future__ import annotations

import contextlib
import os
import smtplib
import socket
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

import pytest
from django.db import OperationalError
from django.db.backends.utils import CursorWrapper

from policydesk.mail import ingest
from policydesk.mail.models import InboundMessage
from policydesk.mail.smtp import DeskController, DeskHandler, follow_pending
from policydesk.mail.threads import reply_address
from policydesk.tickets.models import Ticket
from tests.conftest import Personas
from tests.mail.conftest import rfc5322

pytestmark = [pytest.mark.usefixtures("mail_settings"), pytest.mark.django_db(transaction=True)]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def running_listener() -> Iterator[tuple[str, int]]:
    """A listener on a free loopback port that makes tickets before its 250 (inline)."""
    handler = DeskHandler(mailbox="smtp", workers=2)
    port = free_port()
    controller = DeskController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield "127.0.0.1", port
    finally:
        controller.stop()
        handler.close()


@pytest.fixture
def listener(mail_settings: object) -> Iterator[tuple[str, int]]:
    mail_settings.POLICYDESK_MAIL_MAX_BYTES = 200_000  # type: ignore[attr-defined]
    with running_listener() as address:
        yield address


def request(message_id: str = "smtp-1@kumo.example", body: str = "The export fails.") -> bytes:
    return rfc5322(f"""
From: hanna@kumo.example
To: support@example.com
Subject: Export fails
Message-ID: <{message_id}>
Content-Type: text/plain; charset=utf-8

{body}
""")


def send(address: tuple[str, int], raw: bytes, to: str = "support@example.com") -> tuple[int, bytes]:
    with smtplib.SMTP(*address, timeout=30) as client:
        client.ehlo("client.kumo.example")
        code, reply = client.mail("hanna@kumo.example")
        assert code == 250
        code, reply = client.rcpt(to)
        if code != 250:
            return code, reply
        return client.data(raw)


def test_message_is_answered_250_only_once_committed(personas: Personas, listener: tuple[str, int]) -> None:
    code, _reply = send(listener, request())
    assert code == 250
    # The 250 came after the commit: the ticket is visible to another connection right away.
    inbound = InboundMessage.objects.get()
    assert (inbound.outcome, bytes(inbound.raw)) == ("ticket", request())
    assert inbound.envelope_sender == "hanna@kumo.example"
    assert inbound.envelope_recipients == ["support@example.com"]
    assert Ticket.objects.get().channel == "email"


def test_database_unavailable_mid_transaction_answers_451_and_the_retry_arrives_once(
    personas: Personas, listener: tuple[str, int]
) -> None:
    real = ingest.do_open_ticket
    calls: list[int] = []

    def open_then_lose_the_database(**kwargs: object) -> object:
        calls.append(1)
        result = real(**kwargs)  # type: ignore[arg-type]
        if len(calls) == 1:  # the ticket row is written, the transaction not yet committed
            raise OperationalError("server closed the connection unexpectedly")
        return result

    with mock.patch.object(ingest, "do_open_ticket", side_effect=open_then_lose_the_database):
        code, reply = send(listener, request())
        assert code == 451
        assert b"OperationalError" not in reply and b"server closed" not in reply  # no internal details
        assert Ticket.objects.count() == 0  # the half-done transaction was rolled back
        code, _reply = send(listener, request())  # the sender's MTA retries
    assert code == 250
    code, _reply = send(listener, request())  # and retries once more, as MTAs do after a lost reply
    assert code == 250
    assert Ticket.objects.count() == 1
    assert InboundMessage.objects.get().outcome == "ticket"


def test_any_internal_error_before_storing_is_a_temporary_451(
    personas: Personas, listener: tuple[str, int]
) -> None:
    with mock.patch.object(ingest, "store_raw", side_effect=OperationalError("database is locked")):
        code, _reply = send(listener, request())
    assert code == 451
    assert send(listener, request())[0] == 250
    assert Ticket.objects.count() == 1


def test_duplicate_delivery_gives_one_ticket(personas: Personas, listener: tuple[str, int]) -> None:
    results: list[int] = []

    def deliver() -> None:
        for _attempt in range(20):  # an MTA retries a 451 until it gets an answer
            code, _ = send(listener, request())
            if code == 250:
                results.append(code)
                return

    threads = [threading.Thread(target=deliver) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [250, 250, 250]
    assert Ticket.objects.count() == 1 and InboundMessage.objects.count() == 1


def test_unknown_recipient_is_refused_with_550(personas: Personas, listener: tuple[str, int]) -> None:
    code, _reply = send(listener, request(), to="sales@example.com")
    assert code == 550
    assert InboundMessage.objects.count() == 0


def test_signed_reply_address_is_accepted_and_threads(personas: Personas, listener: tuple[str, int]) -> None:
    assert send(listener, request())[0] == 250
    ticket = Ticket.objects.get()
    answer = request("smtp-2@kumo.example", body="Chrome, version 131.")
    assert send(listener, answer, to=reply_address(ticket, personas.customer))[0] == 250
    assert InboundMessage.objects.get(message_id="smtp-2@kumo.example").outcome == "reply"
    assert Ticket.objects.count() == 1


def test_size_limit_is_announced_and_enforced_with_552(personas: Personas, listener: tuple[str, int]) -> None:
    with smtplib.SMTP(*listener, timeout=30) as client:
        client.ehlo("client.kumo.example")
        assert client.has_extn("size") and client.esmtp_features["size"] == "200000"
        client.mail("hanna@kumo.example")
        client.rcpt("support@example.com")
        code, _reply = client.data(request(body="x" * 900 + "\n" + ("y" * 900 + "\n") * 300))
    assert code == 552
    assert InboundMessage.objects.count() == 0


def test_long_lines_are_accepted(personas: Personas, listener: tuple[str, int]) -> None:
    long_line = "z" * 5000
    assert send(listener, request(body=long_line))[0] == 250
    assert long_line in Ticket.objects.get().messages.get().text


@pytest.fixture
def storing_listener(mail_settings: object) -> Iterator[tuple[tuple[str, int], DeskHandler]]:
    """The listener's default mode: store, answer 250, process later (drained by the test;
    `policydesk smtpd` runs a processor process, see test_smtp_hostile.py)."""
    handler = DeskHandler(mailbox="smtp", workers=2, inline=False)
    port = free_port()
    controller = DeskController(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield ("127.0.0.1", port), handler
    finally:
        controller.stop()
        handler.close()


def test_storing_mode_answers_250_once_the_raw_bytes_are_committed(
    personas: Personas, storing_listener: tuple[tuple[str, int], DeskHandler]
) -> None:
    address, handler = storing_listener
    assert send(address, request())[0] == 250
    assert InboundMessage.objects.get().outcome == "pending"  # durable, not yet a ticket
    handler.drain()
    assert InboundMessage.objects.get().outcome == "ticket" and Ticket.objects.count() == 1
    assert send(address, request())[0] == 250  # a retry after a lost reply
    handler.drain()
    assert Ticket.objects.count() == 1


def test_storing_mode_database_lost_mid_transaction_answers_451_and_the_retry_is_stored_once(
    personas: Personas, storing_listener: tuple[tuple[str, int], DeskHandler]
) -> None:
    address, handler = storing_listener
    real = CursorWrapper._execute_with_wrappers
    failures: list[str] = []

    def insert_then_fail(self: CursorWrapper, sql: str, *args: Any, **kwargs: Any) -> Any:
        result = real(self, sql, *args, **kwargs)
        if 'INSERT INTO "mail_inboundmessage"' in sql and not failures:
            failures.append(sql)  # the row is written inside the transaction; the commit never comes
            raise OperationalError("the database went away")
        return result

    with mock.patch.object(CursorWrapper, "_execute_with_wrappers", insert_then_fail):
        code, reply = send(address, request())
        assert (code, failures != []) == (451, True)
        assert b"went away" not in reply
        assert InboundMessage.objects.count() == 0  # rolled back with the transaction
        assert send(address, request())[0] == 250
    handler.drain()
    assert InboundMessage.objects.count() == 1 and Ticket.objects.count() == 1


def test_processor_takes_what_is_pending_and_stops_when_told(
    personas: Personas, storing_listener: tuple[tuple[str, int], DeskHandler]
) -> None:
    address, _handler = storing_listener
    assert send(address, request())[0] == 250
    assert send(address, request("smtp-2@kumo.example"))[0] == 250
    stop = threading.Event()

    def process_then_stop(**kwargs: Any) -> int:
        taken = real_process_pending(**kwargs)
        if not taken:
            stop.set()  # nothing left: the processor would now wait for new messages
        return taken

    real_process_pending = ingest.process_pending
    with mock.patch.object(ingest, "process_pending", side_effect=process_then_stop):
        follow_pending(mailbox="smtp", stop=stop)
    assert [m.outcome for m in InboundMessage.objects.order_by("pk")] == ["ticket", "ticket"]
    assert Ticket.objects.count() == 2


def test_processor_ends_when_its_listener_is_gone(personas: Personas) -> None:
    # The listener's pid is not our parent's: as after a SIGKILL of the listener.
    with mock.patch.object(ingest, "process_pending") as process_pending:
        follow_pending(mailbox="smtp", stop=threading.Event(), parent_pid=os.getppid() + 1_000_000)
    process_pending.assert_not_called()
