"""`policydesk smtpd [--host H] [--port P] [--mailbox NAME]`: the SMTP listener (port 2525 by default).

By default the listener stores each message and answers 250, and a child process of its
own, its processor, turns the stored messages into tickets: nothing a message makes us
compute can delay the listener's answers to other clients.
"""

from __future__ import annotations

import os
import signal
import threading
from argparse import SUPPRESS, ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policydesk.mail import conf
from policydesk.mail.ingest import WHOLE, parse_share
from policydesk.mail.smtp import DeskController, DeskHandler, ProcessorProcess, follow_pending
from policydesk.ops.heartbeats import Beating
from policydesk.ops.models import Heartbeat
from policydesk.tickets.checks import development_key_refusal

#: The processor gives way to the listener (and the web server) for the CPU.
PROCESSOR_NICENESS = 10


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
            help="for tests and debugging: create the ticket in the listener before answering 250 "
            "(a hard message then delays every client's answers); default: store the raw message, "
            "answer 250, and let the processor, a separate process, create the ticket",
        )
        parser.add_argument(
            "--no-processor",
            action="store_true",
            help="only store and answer; `policydesk mail process --follow` takes the messages",
        )
        # Internal: the processor child the listener starts (ends when that listener ends).
        parser.add_argument("--processor-for", type=int, metavar="PID", help=SUPPRESS)
        parser.add_argument("--processor-share", type=parse_share, default=WHOLE, help=SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if (refusal := development_key_refusal()) is not None:
            raise CommandError(refusal)  # policydesk.E002: no listener on the public key
        stop = threading.Event()
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: stop.set())
        if options["processor_for"]:
            os.nice(PROCESSOR_NICENESS)
            follow_pending(
                mailbox=options["mailbox"], stop=stop, parent_pid=options["processor_for"],
                share=options["processor_share"],
            )  # fmt: skip
            return
        handler = DeskHandler(
            mailbox=options["mailbox"], workers=options["workers"], inline=options["inline"]
        )
        controller = DeskController(handler, hostname=options["host"], port=options["port"])
        processors = []
        if not options["inline"] and not options["no_processor"]:
            count = conf.processors()  # side by side, each its share of the stored mail (issue 17)
            processors = [ProcessorProcess(options["mailbox"], (index, count)) for index in range(count)]
            for processor in processors:
                processor.start()
        controller.start()
        heartbeat = Beating(Heartbeat.Kind.SMTPD)  # "still here", for /readyz (ops/heartbeats.py)
        heartbeat.start()
        self.stdout.write(
            f"policydesk smtpd listening on {options['host']}:{options['port']} "
            f"for {', '.join(sorted(conf.accepted_recipients()))} (max {conf.max_message_bytes()} bytes)",
        )
        self.stdout.flush()
        try:
            while not stop.wait(1.0):
                for processor in processors:
                    processor.check()
        finally:
            heartbeat.stop()
            controller.stop()
            handler.close()
            for processor in processors:
                processor.stop()
