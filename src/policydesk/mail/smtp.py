"""The SMTP listener (aiosmtpd): 250 only once the message is committed, 451 for anything of ours.

aiosmtpd answers an exception in a handler with a permanent 500, which bounces the
customer's mail; here every failure on our side is a temporary 451 (the sender retries)
and the reply never names the internal error.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import close_old_connections, connection
from django.utils import timezone

from policydesk.mail import conf
from policydesk.mail import ingest as ingest_module

log = logging.getLogger(__name__)

TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please try again later"
ACCEPTED = "250 2.0.0 OK: message accepted"


def accepts(address: str, accepted: set[str]) -> bool:
    """An accepted address, or its plus-addressed variant (`support+<token>@domain`)."""
    local, _, domain = address.lower().strip("<>").partition("@")
    base = local.split("+", 1)[0]
    return f"{local}@{domain}" in accepted or f"{base}@{domain}" in accepted


class DeskHandler:
    """aiosmtpd handler: checks recipients, hands DATA to the ingest in a worker thread.

    `inline=True`: the whole of `process_message` (ticket, reply, ...) commits before the 250.
    `inline=False` (the listener's default): the raw bytes commit before the 250 and a
    background thread of this process takes the pending messages, in order; after a crash,
    the next start takes what was left. Either way a 250 means the message is durable.
    """

    def __init__(
        self,
        *,
        mailbox: str = "smtp",
        accepted: set[str] | None = None,
        workers: int = 4,
        inline: bool = True,
        processor: bool = True,
    ) -> None:
        self.mailbox = mailbox
        self.accepted = accepted if accepted is not None else conf.accepted_recipients()
        self.inline = inline
        self.ingest_threads = 0
        self.executor = ThreadPoolExecutor(
            max_workers=workers, thread_name_prefix="smtp-ingest", initializer=self._count_thread
        )
        self.wake = threading.Event()
        self.stopping = threading.Event()
        # Deliveries between DATA and their answer: the background processor gives way to
        # them (a client waits on a socket for its 250; a stored message can wait a moment).
        self.delivering = 0
        self.idle = threading.Condition()
        self.processor: threading.Thread | None = None
        if not inline and processor:  # without it, `policydesk mail process --follow` takes them
            self.processor = threading.Thread(target=self._process_loop, name="smtp-process", daemon=True)
            self.processor.start()

    async def handle_RCPT(
        self, server: SMTP, session: Session, envelope: Envelope, address: str, rcpt_options: list[str]
    ) -> str:
        if not accepts(address, self.accepted):
            return "550 5.1.1 Recipient address rejected: not a support address here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or b""
        sender = envelope.mail_from or ""
        recipients = tuple(envelope.rcpt_tos)
        loop = asyncio.get_running_loop()
        with self.idle:
            self.delivering += 1
        try:
            await loop.run_in_executor(self.executor, self.ingest, bytes(raw), sender, recipients)
        except Exception:
            log.exception("SMTP delivery from %s answered 451", sender)
            return TEMPORARY_FAILURE
        finally:
            with self.idle:
                self.delivering -= 1
                self.idle.notify_all()
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
                self.wake.set()
        except Exception:
            # A broken connection must not poison the next delivery on this thread.
            connection.close()
            raise

    def _process_loop(self) -> None:
        backoff = 0.5
        try:
            while not self.stopping.is_set():
                try:
                    while self._process_some():
                        if self.stopping.is_set():
                            return
                    backoff = 0.5
                except Exception:
                    log.exception("processing stored messages failed; retrying in %.1f s", backoff)
                    connection.close()
                    self.stopping.wait(backoff)
                    backoff = min(backoff * 2, 30)
                    continue
                self.wake.wait(timeout=5)
                self.wake.clear()
        finally:
            connection.close()

    #: The longest the processor waits for deliveries to pause before taking a batch anyway
    #: (so that processing keeps up under sustained load), and the most time one batch may
    #: hold the database (SQLite has one writer: deliveries wait for it).
    GIVE_WAY_SECONDS = 0.2
    BATCH_SECONDS = 0.05

    def _process_some(self) -> int:
        with self.idle:
            self.idle.wait_for(lambda: self.delivering == 0, timeout=self.GIVE_WAY_SECONDS)
        return ingest_module.process_pending(
            mailbox=self.mailbox, limit=50, batch=20, batch_seconds=self.BATCH_SECONDS
        )

    def drain(self) -> None:
        """Process everything pending now, in the caller's thread (tests, shutdown)."""
        while ingest_module.process_pending(mailbox=self.mailbox, limit=50):
            pass

    def _count_thread(self) -> None:
        with self.idle:
            self.ingest_threads += 1

    def _close_thread_connections(self) -> None:
        """Each ingest thread closes its own database connection (Django's connections are
        per thread and may only be closed by their thread): one job per thread, held at a
        barrier so that no thread takes two."""
        with self.idle:
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
        self.stopping.set()
        self.wake.set()
        if self.processor is not None:
            self.processor.join(timeout=30)


class DeskSMTP(SMTP):
    # RFC 5321 limits lines to 1000 octets; real mailers send longer ones, and losing a
    # customer's message over it helps nobody.
    line_length_limit = 1024 * 1024


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
