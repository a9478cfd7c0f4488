"""The CPU of opening a ticket (issue 17): `do_open_ticket` alone, N tickets, each from its own
customer (half of them reading Japanese) so that every one is acknowledged (one customer would
hit the automatic-mail rate limit), on a throwaway database; 20 tickets first to warm up.

    .venv/bin/python benchmarks/intake.py sqlite time 500      # ms of process CPU per ticket (JSON)
    .venv/bin/python benchmarks/intake.py postgres time 500    # INTAKE_BENCH_DATABASE: its name
    .venv/bin/python benchmarks/intake.py sqlite profile 500   # cProfile: cumulative, then tottime
    .venv/bin/python benchmarks/intake.py sqlite api 500       # POST /api/v1/tickets (JSON)
    .venv/bin/python benchmarks/intake.py sqlite api-profile 500   # INTAKE_BENCH_PROFILE=FILE keeps it

With INTAKE_BENCH_CALLGRIND=1, under callgrind, instructions are counted for the measured calls
only (`valgrind --tool=callgrind --instr-atstart=no .venv/bin/python benchmarks/intake.py sqlite
api 200`, then `callgrind_annotate callgrind.out.<pid> | head`): a figure the machine's other load
does not move.

`time` also reports the write lock each intake holds ("lock_ms"): from SQLite's `BEGIN IMMEDIATE`
(or PostgreSQL's ticket-counter UPDATE, its row lock, before migration tickets 0023) to the end
of COMMIT, the span in which no other intake can write (the side-by-side harness's
`profile_desk.py` measures it the same way).
`api` makes the same requests as the side-by-side harness's load generator, through Django's
test client (no HTTP server): an agent's bearer token, `requester_email` naming the customer,
the configured task backend (the acknowledgement's task is a row in the same transaction); it
reports process CPU, wall time and the write lock per request.

On SQLite both also report "wal_pages": the pages each intake writes to the write-ahead log
(every table and index page it changes, written again at each commit), counted over 50 more
intakes after the timed ones, with automatic checkpoints off for those only. A count, not a time:
it does not move with the machine's load.

To measure another commit, run it with that commit's `src` first on PYTHONPATH.
"""

from __future__ import annotations

import cProfile
import json
import logging
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import callgrind_counting, throwaway_database

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = os.environ.get("INTAKE_BENCH_DATABASE", "intake_bench")


def main() -> None:
    database, mode = sys.argv[1], sys.argv[2]
    count = int(sys.argv[3]) if len(sys.argv) > 3 else 500
    with throwaway_database(
        database, postgres_url=POSTGRES_ADMIN_URL, name=DATABASE_NAME, prefix="intake-bench-"
    ):
        measure(database, mode, count)


def measure(database: str, mode: str, count: int) -> None:
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    if mode.startswith("api"):
        measure_api(mode, count)
        return
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from policydesk.tickets import actions

    logging.disable(logging.WARNING)
    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=NOW
    )
    organisation = actions.do_create_organisation(
        name="Bench", plan="growth", region="emea", actor=admin, now=NOW
    )
    customers = [
        actions.do_create_person(
            email=f"c{k}@bench.example", password=None, role="customer", organisation=organisation,
            actor=admin, now=NOW, language="ja" if k % 2 else "",
        )
        for k in range(count + 20 + PAGE_COUNTED)
    ]  # fmt: skip

    def open_tickets(first: int, number: int) -> None:
        for i in range(first, first + number):
            result = actions.do_open_ticket(
                requester=customers[i], topic="troubleshooting", subject=f"Case {i}: the printer fails",
                text="It fails. プリンターが動きません。", channel="web", now=NOW + timedelta(seconds=i),
            )  # fmt: skip
            assert result.ticket is not None

    profile_or_time(open_tickets, count, profile=mode == "profile", database=database, tickets=count)


def profile_or_time(run: Callable[[int, int], None], count: int, *, profile: bool, **labels: Any) -> None:
    """`run(0, 20)` to warm up, then `run(20, count)` under cProfile (printed; kept in the file
    INTAKE_BENCH_PROFILE names, if any) or timed: `labels` and CPU, wall and lock ms per call as JSON."""
    run(0, 20)
    if os.environ.get("INTAKE_BENCH_CALLGRIND"):
        # Under `valgrind --tool=callgrind --instr-atstart=no`: instructions of the measured calls
        # only (a count, which the machine's other load does not move).
        with callgrind_counting():
            run(20, count)
        print(json.dumps({**labels, "callgrind": "see callgrind.out.<pid>"}))
        return
    if profile:
        profiler = cProfile.Profile()
        profiler.enable()
        run(20, count)
        profiler.disable()
        if os.environ.get("INTAKE_BENCH_PROFILE"):
            profiler.dump_stats(os.environ["INTAKE_BENCH_PROFILE"])
        stats = pstats.Stats(profiler)
        stats.sort_stats("cumulative").print_stats(80)
        stats.sort_stats("tottime").print_stats(40)
        return
    lock = WriteLockTimer()
    cpu, wall = time.process_time(), time.perf_counter()
    with lock.watching():
        run(20, count)
    cpu_ms = (time.process_time() - cpu) * 1000 / count
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    measured = {"cpu_ms": cpu_ms, "wall_ms": wall_ms, "lock_ms": lock.held * 1000 / count}
    pages = wal_pages(lambda: run(20 + count, PAGE_COUNTED))
    if pages is not None:
        measured["wal_pages"] = pages / PAGE_COUNTED
    print(json.dumps({**labels, **measured}))


PAGE_COUNTED = 50


def wal_pages(run: Callable[[], None]) -> int | None:
    """SQLite: the pages `run` writes to the write-ahead log (None on PostgreSQL)."""
    from django.db import connection

    if connection.vendor != "sqlite":
        return None
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_autocheckpoint")
        (automatic,) = cursor.fetchone()
        cursor.execute("PRAGMA page_size")
        (page_size,) = cursor.fetchone()
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    after_commits = getattr(connection, "_checkpoint_pages", 0)  # sqlite_writers' own, after commits
    connection._checkpoint_pages = 0  # type: ignore[attr-defined]
    wal = f"{connection.settings_dict['NAME']}-wal"
    before = os.path.getsize(wal)
    try:
        run()
        return (os.path.getsize(wal) - before) // (page_size + 24)  # each frame: a header, a page
    finally:
        connection._checkpoint_pages = after_commits  # type: ignore[attr-defined]
        with connection.cursor() as cursor:
            cursor.execute(f"PRAGMA wal_autocheckpoint = {int(automatic)}")


class WriteLockTimer:
    """How long intakes hold the write lock: from `BEGIN IMMEDIATE` (SQLite) or the ticket
    counter's UPDATE (PostgreSQL before migration tickets 0023: its row lock serialised intakes)
    to the end of COMMIT; on SQLite, to where the writers' lock is let go (`sqlite_writers`: the
    checkpoint of the log that a commit may make comes after it). Since 0023 PostgreSQL takes
    numbers from a sequence and no lock serialises intakes: 0 there."""

    def __init__(self) -> None:
        self.held = 0.0
        self.since: float | None = None

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if self.since is None and sql.startswith(("BEGIN IMMEDIATE", 'UPDATE "tickets_counter"')):
            self.since = time.perf_counter()
        return execute(sql, params, many, context)

    @contextmanager
    def watching(self) -> Iterator[None]:
        from django.db import connection

        connection.ensure_connection()
        # Where the lock ends: the writers' lock let go (SQLite, sqlite_writers), else the commit.
        name = "_let_writers_lock_go" if hasattr(connection, "_let_writers_lock_go") else "_commit"
        end = getattr(connection, name)

        def timed_end() -> None:
            try:
                end()
            finally:
                if self.since is not None:
                    self.held += time.perf_counter() - self.since
                    self.since = None

        setattr(connection, name, timed_end)
        try:
            with connection.execute_wrapper(self):
                yield
        finally:
            setattr(connection, name, end)


def measure_api(mode: str, count: int) -> None:
    """POST /api/v1/tickets as the harness's load generator does, `count` times after 20."""
    from django.test import Client

    from policydesk.api.tokens import do_create_api_token
    from policydesk.tickets import actions

    logging.disable(logging.WARNING)
    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=NOW
    )
    agent = actions.do_create_person(
        email="agent@bench.example", password=None, role="agent", actor=admin, now=NOW
    )
    organisation = actions.do_create_organisation(
        name="Bench", plan="growth", region="emea", actor=admin, now=NOW
    )
    for k in range(count + 20 + PAGE_COUNTED):
        actions.do_create_person(
            email=f"bench{k}@example.com", password=None, role="customer", organisation=organisation,
            actor=admin, now=NOW, language="ja" if k % 2 else "",
        )  # fmt: skip
    secret = do_create_api_token(person=agent, name="bench", actor=admin, now=NOW).secret
    client = Client(HTTP_HOST="127.0.0.1")

    def post(first: int, number: int) -> None:
        for n in range(first, first + number):
            body = {
                "topic": "troubleshooting", "subject": f"API bench ticket {n}",
                "text": f"Ticket-intake load test, request {n}.",
                "requester_email": f"bench{n}@example.com", "priority": "normal",
            }  # fmt: skip
            response = client.post(
                "/api/v1/tickets", json.dumps(body), content_type="application/json",
                HTTP_AUTHORIZATION=f"Bearer {secret}",
            )  # fmt: skip
            assert response.status_code == 201, response.content[:300]

    profile_or_time(post, count, profile=mode == "api-profile", requests=count)


if __name__ == "__main__":
    main()
