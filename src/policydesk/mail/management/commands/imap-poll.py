"""`policydesk imap-poll [--once]`: take support mail from an IMAP folder (settings POLICYDESK_IMAP)."""

from __future__ import annotations

import json
import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand

from policydesk.mail import conf
from policydesk.mail.imap import ImapPoller


class Command(BaseCommand):
    help = "Poll the IMAP folder of POLICYDESK_IMAP: fetch with BODY.PEEK, commit, then flag or move."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--once", action="store_true", help="one batch, print what it did, exit")

    def handle(self, *args: Any, **options: Any) -> None:
        poller = ImapPoller.from_settings()
        if options["once"]:
            client = poller.connect()
            try:
                report = poller.poll_once(client)
            finally:
                client.logout()
            self.stdout.write(json.dumps({"taken": len(report.taken), "outcomes": report.outcomes}))
            return
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        self.stdout.write(f"policydesk imap-poll: {poller.user}@{poller.host}:{poller.port}/{poller.folder}")
        self.stdout.flush()
        poller.run_forever(stop, idle_seconds=int(str(conf.imap_settings()["idle_seconds"])))
