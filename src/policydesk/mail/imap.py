"""The IMAP poller (imapclient): fetch with BODY.PEEK, commit, then flag (or move).

UIDs are tracked per folder with UIDVALIDITY (a new UIDVALIDITY starts over; the inbound
unique key turns re-fetched messages into duplicates). Batches are bounded. A message our
code cannot read is stored and quarantined by `process_message` (storing never depends
on parsing) and the batch goes on; a database failure stops the batch before that
message, which stays unflagged for the next round.
Connections are re-opened with backoff; IDLE is used where the server offers it.
"""

from __future__ import annotations

import contextlib
import logging
import ssl
import threading
from dataclasses import dataclass, field
from typing import Any

from django.db import close_old_connections, connection, transaction
from django.utils import timezone
from imapclient import IMAPClient

from policydesk.mail import conf
from policydesk.mail.ingest import TEMPORARY_ERRORS, process_message
from policydesk.mail.models import ImapFolderState

log = logging.getLogger(__name__)

#: Set on every message we took; the search skips them.
TAKEN_KEYWORD = b"$PolicyDeskTaken"


@dataclass
class PollReport:
    """What one pass over the folder did."""

    taken: list[int] = field(default_factory=list)  # UIDs committed (any outcome, duplicates included)
    outcomes: dict[str, int] = field(default_factory=dict)
    stopped_at: int | None = None  # UID where a database failure stopped the batch
    more: bool = False  # the batch was full: poll again at once
    uidvalidity_changed: bool = False
    left: list[int] = field(default_factory=list)  # UIDs that could not be stored (left unflagged)


@dataclass
class ImapPoller:
    host: str
    port: int
    user: str
    password: str
    folder: str = "INBOX"
    use_ssl: bool = True
    mailbox: str = "imap"
    move_to: str = ""
    batch: int = 50
    ssl_context: ssl.SSLContext | None = None

    @classmethod
    def from_settings(cls) -> ImapPoller:
        options = conf.imap_settings()
        return cls(
            host=str(options["host"]),
            port=int(str(options["port"])),
            user=str(options["user"]),
            password=str(options["password"]),
            folder=str(options["folder"]),
            use_ssl=bool(options["ssl"]),
            mailbox=str(options["mailbox"]),
            move_to=str(options["move_to"]),
            batch=int(str(options["batch"])),
        )

    def connect(self) -> IMAPClient:
        client = IMAPClient(
            self.host, port=self.port, ssl=self.use_ssl, ssl_context=self.ssl_context, timeout=60
        )
        client.login(self.user, self.password)
        return client

    def poll_once(self, client: IMAPClient) -> PollReport:
        """One bounded batch: new messages in UID order, each committed before it is flagged."""
        report = PollReport()
        info = client.select_folder(self.folder)
        uidvalidity = int(info[b"UIDVALIDITY"])
        state = self._state(uidvalidity, report)
        criteria: list[Any] = ["UID", f"{state.last_uid + 1}:*"]
        if self._keywords_allowed(info):
            criteria += ["UNKEYWORD", TAKEN_KEYWORD.decode()]
        else:
            criteria += ["UNSEEN"]
        uids = sorted(uid for uid in client.search(criteria) if uid > state.last_uid)
        report.more = len(uids) > self.batch
        for uid in uids[: self.batch]:
            fetched = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {})
            raw = fetched.get(b"BODY[]")
            if raw is None:  # expunged meanwhile
                continue
            try:
                result = process_message(bytes(raw), mailbox=self.mailbox, now=timezone.now())
            except TEMPORARY_ERRORS:
                log.exception("database unavailable at UID %s; the rest waits for the next round", uid)
                connection.close()
                report.stopped_at = uid
                report.more = False
                break
            except Exception:
                # Never expected (process_message stores any bytes and quarantines what it
                # cannot read), but one message must not stop the folder: it stays on the
                # server, unflagged, for a person, and the poller goes on.
                log.exception("UID %s could not be stored; left on the server unflagged", uid)
                report.left.append(uid)
                self._advance(state, uid)
                continue
            report.outcomes[result.outcome] = report.outcomes.get(result.outcome, 0) + 1
            self._mark_taken(client, uid, info)
            report.taken.append(uid)
            self._advance(state, uid)
        return report

    def _keywords_allowed(self, info: dict[bytes, Any]) -> bool:
        permanent = info.get(b"PERMANENTFLAGS", ())
        return b"\\*" in permanent or TAKEN_KEYWORD in permanent

    def _mark_taken(self, client: IMAPClient, uid: int, info: dict[bytes, Any]) -> None:
        flags: list[bytes] = [b"\\Seen"]
        if self._keywords_allowed(info):
            flags.append(TAKEN_KEYWORD)
        client.add_flags([uid], flags)
        if self.move_to:
            if client.has_capability("MOVE"):
                client.move([uid], self.move_to)
            else:
                client.copy([uid], self.move_to)
                client.delete_messages([uid])
                client.uid_expunge([uid]) if client.has_capability("UIDPLUS") else client.expunge()

    def _state(self, uidvalidity: int, report: PollReport) -> ImapFolderState:
        with transaction.atomic():
            state, _ = ImapFolderState.objects.select_for_update().get_or_create(
                mailbox=self.mailbox,
                folder=self.folder,
                defaults={"uidvalidity": uidvalidity, "last_uid": 0, "updated_at": timezone.now()},
            )
            if state.uidvalidity != uidvalidity:
                log.warning(
                    "%s: UIDVALIDITY changed (%s → %s); starting over",
                    self.folder,
                    state.uidvalidity,
                    uidvalidity,
                )
                report.uidvalidity_changed = True
                state.uidvalidity = uidvalidity
                state.last_uid = 0
                state.updated_at = timezone.now()
                state.save()
        return state

    def _advance(self, state: ImapFolderState, uid: int) -> None:
        state.last_uid = uid
        state.updated_at = timezone.now()
        state.save(update_fields=["last_uid", "updated_at"])

    def run_forever(self, stop: threading.Event, *, idle_seconds: int = 300, poll_seconds: int = 60) -> None:
        """Poll until `stop` is set: reconnect with backoff, IDLE between rounds where offered."""
        backoff = 1.0
        while not stop.is_set():
            client = None
            try:
                close_old_connections()
                client = self.connect()
                backoff = 1.0
                while not stop.is_set():
                    report = self.poll_once(client)
                    if report.taken:
                        log.info("IMAP %s: took %s (%s)", self.folder, len(report.taken), report.outcomes)
                    if report.more:
                        continue
                    if report.stopped_at is not None:
                        stop.wait(backoff)
                        backoff = min(backoff * 2, 60)
                        continue
                    self._wait(client, stop, idle_seconds, poll_seconds)
            except Exception:
                log.exception("IMAP poller error; reconnecting in %.0f s", backoff)
                stop.wait(backoff)
                backoff = min(backoff * 2, 60)
            finally:
                if client is not None:
                    with contextlib.suppress(Exception):  # the connection may already be gone
                        client.logout()

    def _wait(self, client: IMAPClient, stop: threading.Event, idle_seconds: int, poll_seconds: int) -> None:
        if not client.has_capability("IDLE"):
            stop.wait(poll_seconds)
            return
        client.idle()
        try:
            waited = 0
            while not stop.is_set() and waited < idle_seconds:
                if client.idle_check(timeout=5):
                    break
                waited += 5
        finally:
            client.idle_done()
