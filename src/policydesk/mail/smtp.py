"""The SMTP listener (aiosmtpd): 250 only once the message is committed, 451 for anything of ours.

aiosmtpd answers an exception in a handler with a permanent 500, which bounces the
customer's mail; here every failure on our side is a temporary 451 (the sender retries)
and the reply never names the internal error.

Processing (parsing, reply text, the ticket) never runs in the listener's process by
default: CPU-bound Python there holds the interpreter lock, and one hard message once
delayed the next client's greeting by 17 s (issue 9, finding 2). The listener stores the
raw bytes, answers, and a child process (`ProcessorProcess`, running `follow_pending`)
turns the stored messages into tickets.
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import MISSING, SMTP, Envelope, Session
from django.db import close_old_connections, connection
from django.utils import timezone

from policydesk.mail import conf
from policydesk.mail import ingest as ingest_module
from policydesk.mail.threads import read_reply_address

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"
ACCEPTED = "250 2.0.0 OK: message accepted"
RECIPIENT_ACCEPTED = "250 2.1.5 OK"
UNKNOWN_RECIPIENT = "550 5.1.1 Recipient address rejected: not a support address here"
# RFC 5321 4.5.3.1.10: the client sends the other recipients in another transaction.
TOO_MANY_RECIPIENTS = "452 4.5.3 Too many recipients"


def accepts(address: str, accepted: set[str]) -> bool:
    """An accepted address, or a signed reply address (`support+<token>@domain`) for one.

    A plus-address counts only when its signature verifies (`threads.read_reply_address`):
    `support+anything@` is a stranger's invention and is refused like any unknown address.
    """
    local, _, domain = address.lower().strip().strip("<>").partition("@")
    if f"{local}@{domain}" in accepted:
        return True
    base, plus, _token = local.partition("+")
    return (
        bool(plus) and f"{base}@{domain}" in accepted and read_reply_address(f"{local}@{domain}") is not None
    )


class DeskHandler:
    """aiosmtpd handler: checks recipients, hands DATA to the ingest in a worker thread.

    `inline=False` (the listener's default): the raw bytes commit before the 250; the
    listener's processor, a separate process (`ProcessorProcess`), takes the pending
    messages in order; after a crash, the next start takes what was left.
    `inline=True` (tests and debugging): the whole of `process_message` (ticket, reply, ...)
    commits before the 250, in this process, so a hard message delays other clients' answers.
    Either way a 250 means the message is durable.
    """

    def __init__(
        self,
        *,
        mailbox: str = "smtp",
        accepted: set[str] | None = None,
        workers: int = 4,
        inline: bool = True,
        max_recipients: int | None = None,
    ) -> None:
        self.mailbox = mailbox
        self.accepted = accepted if accepted is not None else conf.accepted_recipients()
        self.max_recipients = max_recipients if max_recipients is not None else conf.max_recipients()
        self.inline = inline
        self.ingest_threads = 0
        self.lock = threading.Lock()
        self.executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="smtp-ingest", initializer=self._count_thread
        )

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if len(envelope.rcpt_tos) >= self.max_recipients:
            return TOO_MANY_RECIPIENTS
        if not accepts(address, self.accepted):
            return UNKNOWN_RECIPIENT
        envelope.rcpt_tos.append(address)
        return RECIPIENT_ACCEPTED

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        recipients = tuple(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self.executor, self.ingest, bytes(raw), sender, recipients)
        except Exception:
            log.exception("SMTP delivery from %s answered 451", sender)
            return TEMPORARY_FAILURE
        return ACCEPTED

    async def handle_exception(self, error: Exception) -> str:
        log.exception("SMTP session error answered 451", exc_info=error)
        return TEMPORARY_FAILURE

    def ingest(self, raw: bytes, sender: str, recipients: tuple[str, ...]) -> None:
        close_old_connections()
        envelope = ingest_module.Envelope(sender=sender, recipients=recipients)
        try:
            if self.inline:
                ingest_module.process_message(
                    raw, mailbox=self.mailbox, envelope=envelope, now=timezone.now()
                )
            else:
                ingest_module.store_raw(raw, mailbox=self.mailbox, envelope=envelope, now=timezone.now())
        except Exception:
            # A broken connection must not poison the next delivery on this thread.
            connection.close()
            raise

    def drain(self) -> None:
        """Process everything pending now, in the caller's thread (tests)."""
        while ingest_module.process_pending(mailbox=self.mailbox, limit=50):
            pass

    def _count_thread(self) -> None:
        with self.lock:
            self.ingest_threads += 1

    def _close_thread_connections(self) -> None:
        """Each ingest thread closes its own database connection (Django's connections are
        per thread and may only be closed by their thread): one job per thread, held at a
        barrier so that no thread takes two."""
        with self.lock:
            threads = self.ingest_threads
        if not threads:
            return
        barrier = threading.Barrier(threads)

        def close_own_connection() -> None:
            barrier.wait(timeout=10)
            connection.close()

        for job in [self.executor.submit(close_own_connection) for _ in range(threads)]:
            job.result(timeout=15)

    def close(self) -> None:
        self._close_thread_connections()
        self.executor.shutdown(wait=True)


#: The most time one batch of the processor may hold the database (SQLite has one writer:
#: deliveries wait for it), and how often an idle processor looks for new messages.
BATCH_SECONDS = 0.05
POLL_SECONDS = 0.2


def follow_pending(
    *,
    mailbox: str,
    stop: threading.Event,
    parent_pid: int | None = None,
    share: ingest_module.Share = ingest_module.WHOLE,
) -> None:
    """The listener's processor: take pending messages (its `share` of them), oldest first,
    until `stop` is set or the listener (`parent_pid`) is gone. Safe beside other processors
    (rows are locked and re-checked); a database failure is retried with backoff."""
    backoff = 0.5
    try:
        while not stop.is_set():
            if parent_pid is not None and os.getppid() != parent_pid:
                log.warning("the SMTP listener %s is gone; its processor stops", parent_pid)
                return
            try:
                done = ingest_module.process_pending(
                    mailbox=mailbox, limit=50, batch=20, batch_seconds=BATCH_SECONDS, share=share
                )
            except Exception:
                log.exception("processing stored messages failed; retrying in %.1f s", backoff)
                connection.close()
                stop.wait(backoff)
                backoff = min(backoff * 2, 30)
                continue
            backoff = 0.5
            if not done:
                stop.wait(POLL_SECONDS)
    finally:
        connection.close()


class ProcessorProcess:
    """The listener's processor as a child process (`policydesk smtpd --processor-for PID`),
    restarted if it dies; it ends by itself when the listener does, even on SIGKILL."""

    #: The least time between two starts, so that a processor failing at start-up (a
    #: broken configuration) is not restarted in a tight loop.
    RESTART_SECONDS = 5.0

    def __init__(self, mailbox: str, share: ingest_module.Share = ingest_module.WHOLE) -> None:
        self.command = [
            sys.executable,
            "-m",
            "policydesk.cli",
            "smtpd",
            "--mailbox",
            mailbox,
            "--processor-for",
            str(os.getpid()),
            "--processor-share",
            f"{share[0]}/{share[1]}",
        ]
        self.process: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def start(self) -> None:
        self.started = time.monotonic()
        self.process = subprocess.Popen(self.command)  # noqa: S603 - our own command, no shell

    def check(self) -> None:
        """Start the processor again if it has ended (called by the listener's main loop)."""
        if self.process is None or self.process.poll() is None:
            return
        if time.monotonic() - self.started < self.RESTART_SECONDS:
            return
        log.error("the SMTP processor ended with status %s; starting it again", self.process.returncode)
        self.start()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


class DeskSMTP(SMTP):
    # RFC 5321 limits lines to 1000 octets; real mailers send longer ones, and losing a
    # customer's message over it helps nobody.
    line_length_limit = 1024 * 1024
    #: DATA gives the other clients a turn every so many lines (see smtp_DATA).
    LINES_PER_TURN = 500

    async def smtp_DATA(self, arg: str) -> None:
        """aiosmtpd's DATA (same answers: 503, 501, 354, 500 for a line over the limit, 552
        over the size, then the handler's), in time linear in the message and giving way.

        aiosmtpd's own reads a line already in the buffer without giving way and keeps one
        object per line, unstuffed one by one after the final dot: a fast sender's message of
        millions of short lines held every other client's greeting up for seconds. Here the
        other clients get a turn every LINES_PER_TURN lines, the lines go into one buffer,
        and the dots are unstuffed in one pass.
        """
        if await self.check_helo_needed() or await self.check_auth_needed("DATA"):
            return
        if self.envelope is None or not self.envelope.rcpt_tos:
            await self.push("503 Error: need RCPT command")
            return
        if arg:
            await self.push("501 Syntax: DATA")
            return
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        content = bytearray()
        size = 0
        too_long = too_much = in_long_line = False
        lines = 0
        while self.transport is not None:
            lines += 1
            if lines % self.LINES_PER_TURN == 0:
                await asyncio.sleep(0)
            try:
                line = await self._reader.readuntil(b"\r\n")
            except asyncio.CancelledError:
                log.info("connection lost during DATA")
                self._writer.close()
                raise
            except asyncio.LimitOverrunError as error:
                # A line longer than the limit: read on, refuse at the end (RFC 5321 4.2.5).
                too_long = too_long or not too_much
                content.clear()
                line = await self._reader.read(error.consumed)
            if not in_long_line and line == b".\r\n":
                break
            in_long_line = not line.endswith(b"\r\n")
            size += len(line)
            if not (too_long or too_much) and self.data_size_limit and size > self.data_size_limit:
                too_much = True
                content.clear()
            if not (too_long or too_much):
                content += line
        if too_long or too_much:
            await self.push(
                "500 Line too long (see RFC5321 4.5.3.1.6)" if too_long else "552 Error: Too much mail data"
            )
            self._set_post_data_state()  # type: ignore[no-untyped-call]  # aiosmtpd's own, untyped
            return
        # RFC 5321 4.5.2: a line's leading dot was doubled by the client. Every CRLF ends a line.
        if content.startswith(b"."):
            del content[0]
        original_content = bytes(content.replace(b"\r\n.", b"\r\n"))
        del content
        self.envelope.original_content = self.envelope.content = original_content  # decode_data=False
        status = await self._call_handler_hook("DATA")
        self._set_post_data_state()  # type: ignore[no-untyped-call]  # aiosmtpd's own, untyped
        await self.push("250 OK" if status is MISSING else status)


class DeskController(Controller):
    """Controller whose sessions allow long lines and announce the size limit (EHLO SIZE)."""

    def __init__(self, handler: DeskHandler, *, hostname: str, port: int, **kwargs: Any) -> None:
        super().__init__(
            handler,
            hostname=hostname,
            port=port,
            data_size_limit=conf.max_message_bytes(),
            enable_SMTPUTF8=True,
            decode_data=False,
            **kwargs,
        )

    def factory(self) -> SMTP:
        return DeskSMTP(self.handler, **self.SMTP_kwargs)
