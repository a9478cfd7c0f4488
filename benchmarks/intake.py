"""The CPU of opening a ticket (issue 17): `do_open_ticket` alone, N tickets, each from its own
customer (half of them reading Japanese) so that every one is acknowledged (one customer would
hit the automatic-mail rate limit), on a throwaway database; 20 tickets first to warm up.

    .venv/bin/python benchmarks/intake.py sqlite time 500      # ms of process CPU per ticket (JSON)
    .venv/bin/python benchmarks/intake.py postgres time 500    # INTAKE_BENCH_DATABASE: its name
    .venv/bin/python benchmarks/intake.py sqlite profile 500   # cProfile: cumulative, then tottime

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
from datetime import UTC, datetime, timedelta

from harness import throwaway_database

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
        for k in range(count + 20)
    ]  # fmt: skip

    def open_tickets(first: int, number: int) -> None:
        for i in range(first, first + number):
            result = actions.do_open_ticket(
                requester=customers[i], topic="troubleshooting", subject=f"Case {i}: the printer fails",
                text="It fails. プリンターが動きません。", channel="web", now=NOW + timedelta(seconds=i),
            )  # fmt: skip
            assert result.ticket is not None

    open_tickets(0, 20)
    if mode == "profile":
        profile = cProfile.Profile()
        profile.enable()
        open_tickets(20, count)
        profile.disable()
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(60)
        stats.sort_stats("tottime").print_stats(40)
        return
    cpu, wall = time.process_time(), time.perf_counter()
    open_tickets(20, count)
    cpu_ms = (time.process_time() - cpu) * 1000 / count
    wall_ms = (time.perf_counter() - wall) * 1000 / count
    print(json.dumps({"database": database, "tickets": count, "cpu_ms": cpu_ms, "wall_ms": wall_ms}))


if __name__ == "__main__":
    main()
