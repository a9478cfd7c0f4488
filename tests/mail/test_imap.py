"""The IMAP poller against a real server: Debian's dovecot, started on a loopback port with a
throwaway configuration (skipped, saying why, only when the dovecot binary is missing)."""

from __future__ import annotations

import grp
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError
from imapclient import IMAPClient

from policydesk.mail import imap as imap_module
from policydesk.mail.imap import TAKEN_KEYWORD, ImapPoller
from policydesk.mail.models import ImapFolderState, InboundMessage
from policydesk.tickets.models import Ticket
from tests.conftest import Personas
from tests.mail.conftest import rfc5322

DOVECOT = shutil.which("dovecot") or ("/usr/sbin/dovecot" if Path("/usr/sbin/dovecot").exists() else None)

pytestmark = [
    pytest.mark.usefixtures("mail_settings"),
    pytest.mark.skipif(DOVECOT is None, reason="dovecot is not installed (apt-get install dovecot-imapd)"),
]

PASSWORD = "imap-test-secret"  # a throwaway server's password


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def dovecot(tmp_path: Path) -> Iterator[int]:
    """A dovecot serving IMAP on 127.0.0.1:<port>, any user, password PASSWORD, maildir in tmp_path."""
    port = free_port()
    if os.geteuid() == 0:  # dovecot will not give mail access to root
        user, group = "nobody", grp.getgrgid(pwd.getpwnam("nobody").pw_gid).gr_name
    else:
        user, group = pwd.getpwuid(os.getuid()).pw_name, grp.getgrgid(os.getgid()).gr_name
    # pytest's tmp_path sits under a 0700 folder: the mail store must be reachable by `user`.
    store = Path(tempfile.mkdtemp(prefix="policydesk-dovecot-"))
    store.chmod(0o755)
    for name in ("run", "state", "mail"):
        (store / name).mkdir()
        (store / name).chmod(0o777)
    config = tmp_path / "dovecot.conf"
    config.write_text(f"""
base_dir = {store}/run
state_dir = {store}/state
log_path = {tmp_path}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
mail_location = maildir:{store}/mail/%u
first_valid_uid = 0
default_login_user = {user}
default_internal_user = {user}
passdb {{
  driver = static
  args = password={PASSWORD}
}}
userdb {{
  driver = static
  args = uid={user} gid={group} home={store}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
""")
    process = subprocess.Popen([str(DOVECOT), "-F", "-c", str(config)])  # noqa: S603 - our own binary and config
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            log = (tmp_path / "dovecot.log").read_text() if (tmp_path / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot did not start: {log}")
        yield port
    finally:
        process.terminate()
        process.wait(timeout=10)
        shutil.rmtree(store, ignore_errors=True)


def client(port: int) -> IMAPClient:
    imap = IMAPClient("127.0.0.1", port=port, ssl=False, timeout=10)
    imap.login("support", PASSWORD)
    return imap


def poller(port: int, **kwargs: object) -> ImapPoller:
    return ImapPoller(host="127.0.0.1", port=port, user="support", password=PASSWORD, use_ssl=False, **kwargs)  # type: ignore[arg-type]


def request(n: int, sender: str = "hanna@kumo.example") -> bytes:
    return rfc5322(f"""
From: {sender}
To: support@example.com
Subject: Request {n}
Message-ID: <imap-{n}@kumo.example>
Content-Type: text/plain

Problem number {n}.
""")


def test_poller_takes_each_message_once_and_flags_it_after_commit(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    for n in range(3):
        seed.append("INBOX", request(n))
    seed.append("INBOX", b"\x00\xff broken \x1b$B garbage")  # our parser must not stop the batch
    seed.append("INBOX", request(4, sender="mallory@elsewhere.example"))
    imap = poller(dovecot).connect()
    report = poller(dovecot).poll_once(imap)
    assert len(report.taken) == 5
    assert report.outcomes == {"ticket": 3, "quarantined": 1, "rejected": 1}
    assert Ticket.objects.count() == 3
    seed.select_folder("INBOX")
    flags = seed.get_flags(seed.search(["ALL"]))
    assert all(TAKEN_KEYWORD in f and b"\\Seen" in f for f in flags.values())
    # A second round finds nothing new, and a message that arrives later is taken.
    assert poller(dovecot).poll_once(imap).taken == []
    seed.append("INBOX", request(5))
    assert len(poller(dovecot).poll_once(imap).taken) == 1
    assert Ticket.objects.count() == 4
    imap.logout()
    seed.logout()


# The poller closes its connection after a database failure, so that the next round starts
# afresh: on PostgreSQL that would end a test transaction, so this test commits for real.
@pytest.mark.django_db(transaction=True)
def test_fetch_does_not_mark_messages_seen_before_commit(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    seed.append("INBOX", request(1))
    imap = poller(dovecot).connect()
    with mock.patch.object(imap_module, "process_message", side_effect=OperationalError("db down")):
        report = poller(dovecot).poll_once(imap)
    assert report.taken == [] and report.stopped_at is not None
    seed.select_folder("INBOX")
    assert seed.get_flags(seed.search(["ALL"])) == {1: ()}  # BODY.PEEK: still unseen, unflagged
    assert ImapFolderState.objects.get().last_uid == 0
    assert len(poller(dovecot).poll_once(imap).taken) == 1  # the next round takes it
    assert Ticket.objects.count() == 1
    imap.logout()
    seed.logout()


def test_batches_are_bounded(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    for n in range(5):
        seed.append("INBOX", request(n))
    imap = poller(dovecot, batch=2).connect()
    first = poller(dovecot, batch=2).poll_once(imap)
    assert (len(first.taken), first.more) == (2, True)
    rounds = 1
    while poller(dovecot, batch=2).poll_once(imap).more:
        rounds += 1
    assert InboundMessage.objects.count() == 5 and Ticket.objects.count() == 5
    imap.logout()
    seed.logout()


def test_new_uidvalidity_starts_over_without_duplicates(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    seed.append("INBOX", request(1))
    imap = poller(dovecot).connect()
    poller(dovecot).poll_once(imap)
    ImapFolderState.objects.update(uidvalidity=1)  # as if the server renumbered the folder
    seed.select_folder("INBOX")
    seed.remove_flags(seed.search(["ALL"]), [TAKEN_KEYWORD, b"\\Seen"])
    report = poller(dovecot).poll_once(imap)
    assert report.uidvalidity_changed and report.outcomes == {"duplicate": 1}
    assert Ticket.objects.count() == 1
    imap.logout()
    seed.logout()


def test_taken_messages_can_be_moved_to_another_folder(personas: Personas, dovecot: int) -> None:
    seed = client(dovecot)
    seed.create_folder("Taken")
    seed.append("INBOX", request(1))
    imap = poller(dovecot, move_to="Taken").connect()
    assert len(poller(dovecot, move_to="Taken").poll_once(imap).taken) == 1
    assert seed.select_folder("INBOX")[b"EXISTS"] == 0
    assert seed.select_folder("Taken")[b"EXISTS"] == 1
    imap.logout()
    seed.logout()
