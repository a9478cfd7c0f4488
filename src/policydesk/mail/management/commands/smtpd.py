"""`policydesk smtpd [--host H] [--port P] [--mailbox NAME]`: the SMTP listener (port 2525 by default)."""

from __future__ import annotations

import signal
import threading
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policydesk.mail import conf
from policydesk.mail.smtp import DeskController, DeskHandler
from policydesk.tickets.checks import development_key_refusal


class Command(BaseCommand):
    help = "Receive support mail over SMTP; 250 only after the message is committed, 451 on our failures."
    # The system checks (URLs, templates, ...) take longer than the rest of the start-up and
    # concern the web server; a listener restarted after a crash should be back at once.
    # `policydesk check` and `policydesk rundesk` run them; the secret key is checked in handle.
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--host", default="127.0.0.1")
        parser.add_argument("--port", type=int, default=2525)
        parser.add_argument("--mailbox", default="smtp", help="name under which messages are stored")
        parser.add_argument("--workers", type=int, default=4, help="threads writing to the database")
        parser.add_argument(
            "--inline",
            action="store_true",
            help="create the ticket before answering 250 (default: store the raw message, answer 250, "
            "process it in the background)",
        )
        parser.add_argument(
            "--no-processor",
            action="store_true",
            help="only store and answer; `policydesk mail process --follow` takes the messages",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if (refusal := development_key_refusal()) is not None:
            raise CommandError(refusal)  # policydesk.E002: no listener on the public key
        handler = DeskHandler(
            mailbox=options["mailbox"],
            workers=options["workers"],
            inline=options["inline"],
            processor=not options["no_processor"],
        )
        controller = DeskController(handler, hostname=options["host"], port=options["port"])
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        controller.start()
        self.stdout.write(
            f"policydesk smtpd listening on {options['host']}:{options['port']} "
            f"for {', '.join(sorted(conf.accepted_recipients()))} (max {conf.max_message_bytes()} bytes)",
        )
        self.stdout.flush()
        try:
            stop.wait()
        finally:
            controller.stop()
            handler.close()
