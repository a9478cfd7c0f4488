"""What the database benchmarks share: each database measured in a child process of its own, on a
throwaway database, and the results printed as one Markdown table.

Settings read DATABASE_URL at import, so each database needs a fresh process: the parent runs this
very script again with `--child DATABASE` and reads the JSON the child prints last.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_in_child(script: str, database: str, arguments: Sequence[str]) -> Any:
    """Run `script --child database *arguments` and return the JSON it printed last."""
    started = time.perf_counter()
    child = subprocess.run(  # noqa: S603 - a benchmark script of ours, with our own arguments
        [sys.executable, script, "--child", database, *arguments],
        capture_output=True, text=True, check=False, cwd=ROOT,
    )  # fmt: skip
    if child.returncode != 0:
        sys.stderr.write(child.stderr)
        raise SystemExit(f"{database}: the benchmark failed")
    print(f"{database}: done in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return json.loads(child.stdout.strip().splitlines()[-1])


@contextmanager
def throwaway_database(database: str, *, postgres_url: str, name: str, prefix: str) -> Iterator[None]:
    """Point this process's settings at a new, empty database, and remove it afterwards.

    sqlite: a file in a temporary folder; postgres: the database `name`, created (and dropped)
    through the server `postgres_url` connects to. Enter it before django.setup()."""
    if database not in ("sqlite", "postgres"):
        raise SystemExit(f"unknown database {database!r}: sqlite or postgres")
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        os.environ["POLICYDESK_DATA_DIR"] = folder
        os.environ["DJANGO_SETTINGS_MODULE"] = "policydesk.settings"
        if database == "sqlite":
            os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
            yield
            return
        _postgres_admin(postgres_url, f"DROP DATABASE IF EXISTS {name}")
        _postgres_admin(postgres_url, f"CREATE DATABASE {name}")
        os.environ["DATABASE_URL"] = postgres_url.rsplit("/", 1)[0] + "/" + name
        try:
            yield
        finally:
            from django.db import connections

            connections.close_all()
            _postgres_admin(postgres_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _postgres_admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(statement)  # type: ignore[arg-type]  # a fixed statement of ours


@contextmanager
def callgrind_counting() -> Iterator[None]:
    """Under `valgrind --tool=callgrind --instr-atstart=no`: instructions counted inside the block
    only (a count that the machine's other load does not move; `callgrind_annotate
    callgrind.out.<pid>` reads it)."""
    switch = ["callgrind_control", "-i", "on", str(os.getpid())]
    subprocess.run(switch, check=True, capture_output=True)  # noqa: S603 - our own fixed command
    try:
        yield
    finally:
        switch[2] = "off"
        subprocess.run(switch, check=True, capture_output=True)  # noqa: S603 - our own fixed command


def insert_tickets(tickets: Iterable[Any], batch_size: int = 5000) -> None:
    """Insert seeded tickets (numbered 1, 2, ...) in batches, in one transaction, and move the
    ticket number counter past them: seeding bypasses do_open_ticket, which numbers tickets itself."""
    from django.db import transaction

    from policydesk.tickets.models import Counter, Ticket

    count = 0
    with transaction.atomic():
        batch: list[Any] = []
        for ticket in tickets:
            batch.append(ticket)
            if len(batch) == batch_size:
                Ticket.objects.bulk_create(batch)
                count += len(batch)
                batch = []
        Ticket.objects.bulk_create(batch)
        count += len(batch)
        Counter.objects.update_or_create(name="ticket", defaults={"value": count})


def print_table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    """Print a Markdown table, each column as wide as its widest cell."""
    lines = [tuple(header), *(tuple(row) for row in rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for index, line in enumerate(lines):
        print("| " + " | ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) + " |")
        if index == 0:
            print("|" + "|".join("-" * (width + 2) for width in widths) + "|")
