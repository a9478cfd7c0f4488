"""A bulk change of 5,000 tickets (issue 13): how long `tickets.bulk` takes to set the status of
every ticket, each through `do_set_status` with its audit row and the SLA watch's re-planning,
on SQLite and PostgreSQL. Goal: under 60 s.

The tickets are opened through the one intake path (`do_open_ticket`: acknowledgement recorded,
SLA timers planned), so the change re-plans real timers. The job runs as the worker would run it
(`run_bulk`), in this process. No peer is measured: django-helpdesk's bulk update is not exposed
outside its list view's form.

    .venv/bin/python benchmarks/bulk.py                          # both databases, 5,000 tickets
    .venv/bin/python benchmarks/bulk.py --databases sqlite --tickets 1000
"""

from __future__ import annotations

import argparse
import json
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with throwaway_database(args.child, postgres_url=args.postgres_url, name="policydesk_bench_bulk",
                                prefix="bench-bulk-"):  # fmt: skip
            print(json.dumps(measure(args.child, args.tickets)))
        return
    rows = [
        run_in_child(
            __file__, database, ["--tickets", str(args.tickets), "--postgres-url", args.postgres_url]
        )
        for database in args.databases.split(",")
    ]
    print_table(
        ["database", "tickets", "seed s", "bulk s", "bulk CPU s", "tickets/s", "audit rows",
         "pending timers cancelled"],
        [[r["database"], str(r["tickets"]), f"{r['seed_s']:.1f}", f"{r['bulk_s']:.1f}",
          f"{r['bulk_cpu_s']:.1f}", f"{r['tickets'] / r['bulk_s']:.0f}", str(r["audit_rows"]),
          str(r["replanned"])] for r in rows],
    )  # fmt: skip


def measure(database: str, count: int) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.conf import settings

    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    from policydesk.tickets import actions, bulk
    from policydesk.tickets.models import AuditEvent, BulkJob
    from policydesk.watch.models import Timer

    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=NOW
    )
    organisation = actions.do_create_organisation(
        name="Bench", plan="growth", region="emea", actor=admin, now=NOW
    )
    customer = actions.do_create_person(
        email="c@bench.example",
        password=None,
        role="customer",
        organisation=organisation,
        actor=admin,
        now=NOW,
    )
    started = time.perf_counter()
    numbers = []
    for i in range(count):
        result = actions.do_open_ticket(
            requester=customer, topic="troubleshooting", subject=f"Case {i}", text="It fails.", channel="web",
            now=NOW + timedelta(seconds=i),
        )  # fmt: skip
        assert result.ticket is not None
        numbers.append(result.ticket.number)
    seed_s = time.perf_counter() - started
    pending_before = Timer.objects.filter(state="pending").count()
    later = NOW + timedelta(hours=2)
    started, cpu_started = time.perf_counter(), time.process_time()
    job = bulk.do_start_bulk(actor=admin, action="status", value="solved", numbers=numbers, now=later)
    job = bulk.run_bulk(BulkJob.objects.select_related("actor").get(pk=job.pk), later)
    bulk_s = time.perf_counter() - started
    # This process's own CPU time: what the job costs however busy the machine is (on SQLite
    # nearly all of it; PostgreSQL's server work is not in it).
    bulk_cpu_s = time.process_time() - cpu_started
    assert job.done == count and not job.failed
    return {
        "database": database, "tickets": count, "seed_s": seed_s, "bulk_s": bulk_s, "bulk_cpu_s": bulk_cpu_s,
        "audit_rows": AuditEvent.objects.filter(action="ticket.status").count(),
        "replanned": pending_before - Timer.objects.filter(state="pending").count(),
    }  # fmt: skip


if __name__ == "__main__":
    main()
