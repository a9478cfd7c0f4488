"""`policydesk search QUERY [--as EMAIL] [--limit N]`, `policydesk search reindex`, `policydesk
search check`, `policydesk search compact` (docs/search.md).

The search prints one JSON line per ticket, best first: {"ticket", "subject", "score",
"snippet"}; a stable contract (tests/search/test_cli.py). Without --as it searches as a
superuser would; an unknown --as exits 2."""

from __future__ import annotations

import json
import sys
from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from policydesk.search import indexing
from policydesk.search.models import Entry
from policydesk.search.query import QueryError
from policydesk.search.service import MAX_LIMIT, find
from policydesk.tickets.models import Person, Ticket, email_is

MAX_BATCH = 5000
USAGE_ERROR = 2


def superuser() -> Person:
    """Someone who sees every ticket and every note (never saved)."""
    return Person(email="superuser@localhost", role=Person.Role.ADMIN, is_superuser=True, is_active=True)


class Command(BaseCommand):
    help = (
        "Search tickets as someone would (one JSON line per ticket, best first); "
        "'reindex' rebuilds the index, 'check' compares it with the tables, "
        "'compact' merges SQLite's full-text index for faster reads."
    )
    requires_system_checks = ()

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "query", nargs="+", help="the query (docs/search.md), or reindex, or check, or compact"
        )
        parser.add_argument(
            "--as", dest="as_email", default="", help="search as the person with this login email"
        )
        parser.add_argument(
            "--limit", type=int, default=20, help=f"at most this many tickets (1-{MAX_LIMIT})"
        )
        parser.add_argument("--after", type=int, default=0, help="reindex/check: start after this ticket id")
        parser.add_argument(
            "--batch", type=int, default=500, help=f"reindex/check: tickets per batch (max {MAX_BATCH})"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        words: list[str] = options["query"]
        if words == ["reindex"]:
            self._reindex(options["after"], self._batch(options["batch"]))
        elif words == ["check"]:
            self._check(options["after"], self._batch(options["batch"]))
        elif words == ["compact"]:
            self._compact()
        else:
            self._search(" ".join(words), options["as_email"], options["limit"])

    def _search(self, query: str, as_email: str, limit: int) -> None:
        if not 1 <= limit <= MAX_LIMIT:
            raise CommandError(f"--limit must be between 1 and {MAX_LIMIT}", returncode=USAGE_ERROR)
        person = superuser()
        if as_email:
            found = Person.objects.filter(email_is(as_email)).first()
            if found is None:
                raise CommandError(f"no one has the login email {as_email!r}", returncode=USAGE_ERROR)
            person = found
        try:
            hits = find(person, query, limit)
        except QueryError as error:
            raise CommandError(str(error), returncode=USAGE_ERROR) from error
        for hit in hits:
            line = {"ticket": hit.number, "subject": hit.subject, "score": hit.score, "snippet": hit.snippet}
            self.stdout.write(json.dumps(line, ensure_ascii=False))

    def _batch(self, size: int) -> int:
        if not 1 <= size <= MAX_BATCH:
            raise CommandError(f"--batch must be between 1 and {MAX_BATCH}", returncode=USAGE_ERROR)
        return size

    def _reindex(self, after: int, size: int) -> None:
        """Batch by batch, each in its own transaction: stopped midway, it resumes with --after.
        Then (SQLite) an FTS5 table that differs from the entries is built again."""
        total = Ticket.objects.filter(pk__gt=after).count()
        done = entries = 0
        for tickets in indexing.batches(after, size):
            entries += indexing.reindex(tickets)
            done += len(tickets)
            self._progress(done, total, f"last ticket id {tickets[-1].pk}")
        self.stderr.write("")
        broken = indexing.broken_fts_tables()
        if broken:
            indexing.rebuild_fts(broken)
            self.stdout.write(f"rebuilt {', '.join(broken)} from search_entry (it differed)")
        self.stdout.write(f"reindexed {done} tickets ({entries} entries)")
        self._compact()

    def _compact(self) -> None:
        """SQLite: the full-text tables merged (`indexing.compact`), a short transaction a step."""
        steps = indexing.compact()
        if steps:
            self.stdout.write(f"compacted the full-text index in {steps} steps")

    def _check(self, after: int, size: int) -> None:
        total = Ticket.objects.filter(pk__gt=after).count()
        done = 0
        drifted: list[int] = []
        for tickets in indexing.batches(after, size):
            drifted += [ticket.number for ticket in indexing.drifted(tickets)]
            done += len(tickets)
            self._progress(done, total, "")
        self.stderr.write("")
        for number in drifted:
            self.stdout.write(f"ticket #{number}: its index differs from its tables")
        if waiting := indexing.waiting():
            self.stdout.write(
                f"{waiting} new tickets wait for the worker to write their entries (not drifted)"
            )
        broken = indexing.broken_fts_tables()
        for table in broken:
            self.stdout.write(f"the full-text table {table} differs from search_entry")
        if drifted or broken:
            self.stdout.write(
                f"index out of step: {len(drifted)} of {done} tickets; run `policydesk search reindex`"
            )
            sys.exit(1)
        self.stdout.write(f"index agrees with the tables: {done} tickets, {Entry.objects.count()} entries")

    def _progress(self, done: int, total: int, note: str) -> None:
        width = 30
        filled = width * done // total if total else width
        self.stderr.write(f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} {note}", ending="")
        self.stderr.flush()
