"""`policydesk mail ingest PATH... [--mailbox NAME]` and `policydesk mail quarantine list|show|replay`.

`ingest` prints one JSON line per file, always (a stable contract):
{"file", "outcome", "ticket", "subject", "body_text", "attachments", "reason"}; outcome
"error" (with the reason) when a file could not be read or taken.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from argparse import ArgumentParser
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.utils import timezone

from policydesk.mail.ingest import (
    TEMPORARY_ERRORS,
    WHOLE,
    Share,
    parse_share,
    process_message,
    process_pending,
    process_stored,
)
from policydesk.mail.models import InboundMessage


def _error_line(path: Path, reason: str) -> dict[str, Any]:
    return {
        "file": str(path),
        "outcome": "error",
        "ticket": None,
        "subject": None,
        "body_text": None,
        "attachments": [],
        "reason": reason,
    }


class Command(BaseCommand):
    help = "Ingest raw message files; list, show and replay quarantined messages."

    def add_arguments(self, parser: ArgumentParser) -> None:
        commands = parser.add_subparsers(dest="command", required=True)
        ingest = commands.add_parser("ingest", help="run process_message on raw message files")
        ingest.add_argument("paths", nargs="+", metavar="PATH")
        ingest.add_argument("--mailbox", default="files")
        process = commands.add_parser("process", help="process stored messages that are still pending")
        process.add_argument("--mailbox", default=None, help="only this mailbox")
        process.add_argument("--follow", action="store_true", help="keep going until interrupted")
        process.add_argument(
            "--share",
            type=parse_share,
            default=WHOLE,
            metavar="K/N",
            help="only the messages whose id leaves K divided by N: N processes side by side, "
            "0/N to N-1/N, each take their own (default: all)",
        )
        quarantine = commands.add_parser("quarantine", help="quarantined messages")
        actions = quarantine.add_subparsers(dest="action", required=True)
        actions.add_parser("list", help="one line per quarantined message")
        show = actions.add_parser("show", help="a quarantined message, raw bytes included")
        show.add_argument("id", type=int)
        show.add_argument("--raw", action="store_true", help="write only the raw bytes to stdout")
        replay = actions.add_parser("replay", help="process a quarantined message again")
        replay.add_argument("ids", type=int, nargs="+")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["command"] == "ingest":
            self.ingest([Path(p) for p in options["paths"]], options["mailbox"])
        elif options["command"] == "process":
            self.process(options["mailbox"], options["follow"], options["share"])
        elif options["action"] == "list":
            self.quarantine_list()
        elif options["action"] == "show":
            self.quarantine_show(options["id"], options["raw"])
        else:
            self.quarantine_replay(options["ids"])

    def ingest(self, paths: list[Path], mailbox: str) -> None:
        """One JSON line per file, always, with the contract's fields (outcome "error" when the
        file could not be read or taken); a non-zero exit if any file was not taken."""
        failed = False
        for path in paths:
            try:
                raw = path.read_bytes()
                line = process_message(raw, mailbox=mailbox, now=timezone.now()).as_json(str(path))
            except OSError as error:
                line, failed = _error_line(path, f"cannot read the file: {error}"), True
            except TEMPORARY_ERRORS as error:
                connection.close()  # the next file gets a fresh connection
                line, failed = (
                    _error_line(path, f"the database is unavailable ({type(error).__name__})"),
                    True,
                )
            except Exception as error:  # a bug of ours: said on the line, and the next file goes on
                logging.getLogger(__name__).exception("ingesting %s failed", path)
                line, failed = _error_line(path, f"internal error: {type(error).__name__}"), True
            self.stdout.write(json.dumps(line, ensure_ascii=False))
        if failed:
            raise CommandError('some files were not taken (outcome "error")')

    def process(self, mailbox: str | None, follow: bool, share: Share) -> None:
        total = 0
        while True:
            try:
                done = process_pending(mailbox=mailbox, limit=50, share=share)
            except TEMPORARY_ERRORS as error:
                if not follow:
                    raise CommandError(f"the database is unavailable ({type(error).__name__})") from error
                connection.close()
                done = 0
            total += done
            if done:
                continue
            if not follow:
                break
            time.sleep(0.2)
        self.stdout.write(f"processed {total} pending message(s)")

    def quarantine_list(self) -> None:
        rows = InboundMessage.objects.filter(outcome=InboundMessage.Outcome.QUARANTINED).order_by(
            "received_at"
        )
        for row in rows.only("pk", "mailbox", "received_at", "sender", "subject", "reason"):
            self.stdout.write(
                f"{row.pk}\t{row.received_at:%Y-%m-%dT%H:%M:%SZ}\t{row.mailbox}\t{row.sender or '-'}\t"
                f"{row.subject[:60]}\t{row.reason}"
            )

    def quarantine_show(self, pk: int, raw_only: bool) -> None:
        row = InboundMessage.objects.filter(pk=pk).first()
        if row is None:
            raise CommandError(f"no stored message {pk}")
        if raw_only:
            sys.stdout.flush()
            sys.stdout.buffer.write(bytes(row.raw))
            return
        self.stdout.write(
            json.dumps(
                {
                    "id": row.pk,
                    "mailbox": row.mailbox,
                    "key": row.key,
                    "outcome": row.outcome,
                    "reason": row.reason,
                    "sender": row.sender,
                    "subject": row.subject,
                    "received_at": row.received_at.isoformat(),
                    "size": row.size,
                    "sha256": row.sha256,
                },
                ensure_ascii=False,
                indent=2,
            )
        )

    def quarantine_replay(self, pks: list[int]) -> None:
        for pk in pks:
            row = InboundMessage.objects.filter(pk=pk).first()
            if row is None:
                raise CommandError(f"no stored message {pk}")
            if row.outcome != InboundMessage.Outcome.QUARANTINED:
                raise CommandError(f"message {pk} is not quarantined (it is {row.outcome})")
            result = process_stored(row, now=timezone.now(), replay=True)
            self.stdout.write(json.dumps({"id": pk, **result.as_json(f"stored:{pk}")}, ensure_ascii=False))
