"""The agent console's queue page and the REST ticket list at 100,000 tickets.

Seeds a throwaway database (a SQLite file in a temporary folder; a PostgreSQL database it creates
and drops), then measures each page through django.test.Client, signed in as a lead: median and
95th-percentile time over --requests requests, and the number of queries one request makes at
page sizes 25 and 100 (the same number: constant). Goal: under 50 ms median, constant queries.
The ticket workspace's in-place updates (htmx POSTs answered by the workspace alone: set priority,
add a note, preview the customer's email) are measured the same way, on a ticket of 41 messages.
Measured twice on each database: with the schema as migrated, then with the indexes the console
proposes for the Ticket model (PROPOSED_INDEXES; skipped once the model declares them all).

    .venv/bin/python benchmarks/console_queue.py                       # both databases
    .venv/bin/python benchmarks/console_queue.py --databases sqlite --tickets 20000

Each database runs in a child process of its own (settings read DATABASE_URL at import).
Seeding uses bulk_create directly: a benchmark fixture, not a path of the product.
"""

from __future__ import annotations

import argparse
import functools
import json
import random
import statistics
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import insert_tickets, print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "policydesk_bench"
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)

# (plan, region) of the seeded organisations, and the office or global queue each lands in (C9).
PLANS = ("plus", "growth", "enterprise", "premium")
REGIONS = {"americas": "us-west", "apac": "singapore", "emea": "central-europe"}
TOPICS = ("feature-explanation", "concepts", "troubleshooting", "bug-report", "service-task")
PRIORITIES = ("critical", "high", "normal", "normal", "normal", "low")
# A busy desk: of the last 60 days' tickets 70% are still open (new, open, pending), of older ones 3%
# (stale); about 14,000 open tickets in all, the rest history.
RECENT = timedelta(days=60)
OPEN_STATUSES = ("new", "open", "pending")
CLOSED_STATUSES = ("solved", "closed", "closed")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="a database to connect to first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args.tickets, args.requests, args.postgres_url)))
        return
    rows: list[dict[str, Any]] = []
    for database in args.databases.split(","):
        rows += run_in_child(
            __file__,
            database,
            [
                "--tickets",
                str(args.tickets),
                "--requests",
                str(args.requests),
                "--postgres-url",
                args.postgres_url,
            ],
        )
    print_report(rows, args.tickets, args.requests)


def print_report(rows: list[dict[str, Any]], tickets: int, requests: int) -> None:
    print(
        f"{tickets:,} tickets (about 14% open), {requests} requests each, signed in as a lead "
        "(django.test.Client). indexes: 'model' = the schema as migrated; '+ proposed' = with the "
        "console's partial indexes (PROPOSED_INDEXES) added\n"
    )
    header = ("database", "indexes", "page", "rows", "median ms", "p95 ms", "queries (25 / 100 rows)")
    print_table(
        header,
        [
            (
                row["database"],
                row["indexes"],
                row["page"],
                str(row["rows"]),
                f"{row['median_ms']:.1f}",
                f"{row['p95_ms']:.1f}",
                f"{row['queries_25']} / {row['queries_100']}",
            )
            for row in rows
        ],
    )


# -- one database, in a child process ------------------------------------------------


def run_child(database: str, tickets: int, requests: int, postgres_url: str) -> list[dict[str, Any]]:
    with throwaway_database(
        database, postgres_url=postgres_url, name=BENCH_DATABASE, prefix="policydesk-bench-"
    ):
        return measure_database(database, tickets, requests)


def measure_database(database: str, tickets: int, requests: int) -> list[dict[str, Any]]:
    import django

    django.setup()
    from django.core.management import call_command

    from policydesk.tickets.models import Ticket

    call_command("migrate", verbosity=0)
    lead = seed(tickets)
    results = measure(database, "model", lead, requests)
    declared = {index.name for index in Ticket._meta.indexes}
    proposed = {name: sql for name, sql in PROPOSED_INDEXES.items() if name not in declared}
    if proposed:
        create_proposed_indexes(proposed.values())
        results += measure(database, "+ proposed", lead, requests)
    return results


# Indexes the console asks for and the model does not declare yet (see the report), by name: each
# measured as "+ proposed" until the model has it. The unassigned queue's own partial index: with
# `assignee_id IS NULL` PostgreSQL cannot read (assignee, due, ...) in due order and sorts the queue.
PROPOSED_INDEXES = {
    "ticket_open_unassigned_due": "CREATE INDEX ticket_open_unassigned_due ON tickets_ticket"
    " (first_response_due, created_at, id)"
    " WHERE status IN ('new', 'open', 'pending') AND assignee_id IS NULL",
}


def create_proposed_indexes(statements: Iterable[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def seed(count: int) -> Any:
    """Organisations on every ticketed plan in every region, agents in each office, and `count`
    tickets spread over the last year; returns the lead to sign in as."""
    from django.db import connection

    from policydesk.tickets import actions
    from policydesk.tickets.models import Organisation, Person, Ticket

    rng = random.Random(20261201)

    def staff(email: str, role: str, *teams: Any) -> Person:
        return actions.do_create_person(
            email=email, password=None, role=role, teams=teams, actor=None, now=NOW
        )

    admin = staff("admin@bench.example", "admin")
    teams = {
        office: actions.do_create_team(name=office, kind="office", office=office, actor=admin, now=NOW)
        for office in REGIONS.values()
    }
    premium_team = actions.do_create_team(
        name="premium", kind="premium", office="us-west", actor=admin, now=NOW
    )
    agents = {
        office: [staff(f"agent{i}@{office}.example", "agent", team) for i in range(5)]
        for office, team in teams.items()
    }
    agents["global"] = [staff(f"agent{i}@premium.example", "agent", premium_team) for i in range(5)]
    lead = staff("lead@bench.example", "lead")
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"org {i}", plan=PLANS[i % len(PLANS)], region=list(REGIONS)[i // len(PLANS) % 3],
                     created_at=NOW)
        for i in range(240)
    )  # fmt: skip
    customers = Person.objects.bulk_create(
        Person(email=f"customer{i}@org{org.pk}.example", role="customer", organisation=org, password="!")  # noqa: S106 - unusable
        for org in organisations
        for i in range(4)
    )
    by_org: dict[int, list[Person]] = {}
    for customer in customers:
        by_org.setdefault(customer.organisation_id or 0, []).append(customer)

    def tickets() -> Iterator[Ticket]:
        for number in range(1, count + 1):
            organisation = rng.choice(organisations)
            office = "global" if organisation.plan == "premium" else REGIONS[organisation.region]
            created_at = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
            open_share = 0.7 if NOW - created_at < RECENT else 0.03
            status = rng.choice(OPEN_STATUSES if rng.random() < open_share else CLOSED_STATUSES)
            due = None if organisation.plan == "plus" else created_at + timedelta(hours=rng.randrange(2, 72))
            topic = rng.choice(TOPICS)
            if organisation.plan == "premium" and rng.random() < 0.05:
                topic = "bug-report-critical"
            answered = status in ("solved", "closed") or (status == "pending" and rng.random() < 0.9)
            yield Ticket(
                number=number, organisation=organisation, requester=rng.choice(by_org[organisation.pk]),
                channel=rng.choice(("web", "in-product", "email")), topic=topic,
                subject=f"Ticket {number}: {rng.choice(('charts', 'export', 'login', 'alerts'))} problem",
                priority=rng.choice(PRIORITIES), status=status, office=office,
                calendar=office, first_response_due=due,
                first_responded_at=created_at + timedelta(hours=1) if answered else None,
                assignee=rng.choice(agents[office]) if rng.random() < 0.6 else None,
                mission_critical=topic == "bug-report-critical", policy_id="example-analytics",
                policy_version="2026-11-26", language="en", created_at=created_at, updated_at=created_at,
            )  # fmt: skip

    insert_tickets(tickets())
    with connection.cursor() as cursor:
        # What a running database does on its own: PostgreSQL's autovacuum vacuums and analyses a table
        # after bulk inserts (VACUUM also sets the visibility map, without which no index-only scan
        # is possible: the queue counts then read ~600 heap pages each); SQLite's PRAGMA optimize.
        # Done by hand because a test server may run with autovacuum off.
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return lead


def measure(database: str, indexes: str, lead: Any, requests: int) -> list[dict[str, Any]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(lead)
    first_page = client.get("/console/queues/central-europe/")
    next_cursor = first_page.content.decode().split('rel="next"')[0].rsplit("after=", 1)[1].split('"')[0]
    ticket = _ticket_with_conversation(lead)
    pages = [
        ("console: overview", "/console/overview/?size={size}"),
        ("console: ticket view, 41 messages", f"/console/tickets/{ticket}/?size={{size}}"),
        ("console: notifications", "/console/notifications/?size={size}"),
        ("console: office queue", "/console/queues/central-europe/?size={size}"),
        ("console: office queue, page 2", "/console/queues/central-europe/?size={size}&after=" + next_cursor),
        ("console: unassigned", "/console/queues/unassigned/?size={size}"),
        ("console: mission-critical", "/console/queues/mission-critical/?size={size}"),
        ("console: filtered", "/console/queues/us-west/?size={size}&priority=high&q=export"),
        ("api: GET /api/v1/tickets", "/api/v1/tickets?limit={size}"),
        ("api: open, one office", "/api/v1/tickets?limit={size}&status=new&office=central-europe"),
    ]
    # The workspace's in-place updates (htmx): a POST answered by the workspace alone.
    priorities = iter(("high", "normal") * (requests + 10))
    partials: list[tuple[str, str, Any]] = [
        ("workspace: set priority (htmx)", f"/console/tickets/{ticket}/priority/",
         lambda: {"priority": next(priorities)}),
        ("workspace: note (htmx)", f"/console/tickets/{ticket}/compose/",
         lambda: {"kind": "note", "text": "Checked the logs."}),
        ("workspace: preview (htmx)", f"/console/tickets/{ticket}/preview/",
         lambda: {"text": "Could you clear the cache?"}),
    ]  # fmt: skip
    calls: list[tuple[str, Any]] = [
        (name, functools.partial(_get, client, template)) for name, template in pages
    ]
    calls += [(name, functools.partial(_post, client, url, data)) for name, url, data in partials]
    results = []
    for name, call in calls:
        response = call(25)
        if response.status_code != 200:
            raise SystemExit(f"{name}: {response.status_code}")
        rows = _rows(response)
        counts = []
        for size in (25, 100):
            with CaptureQueriesContext(connection) as captured:
                call(size)
            counts.append(len(captured))
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            call(25)
            timings.append((time.perf_counter() - started) * 1000)
        timings.sort()
        results.append(
            {
                "database": database,
                "indexes": indexes,
                "page": name,
                "rows": rows,
                "median_ms": statistics.median(timings),
                "p95_ms": timings[max(0, round(len(timings) * 0.95) - 1)],
                "queries_25": counts[0],
                "queries_100": counts[1],
            }
        )
    return results


def _get(client: Any, template: str, size: int) -> Any:
    return client.get(template.format(size=size))


def _post(client: Any, url: str, data: Any, size: int) -> Any:
    """An htmx POST (the size does not apply): answered by the workspace alone."""
    return client.post(url, data(), HTTP_HX_REQUEST="true")


def _rows(response: Any) -> int:
    if response["Content-Type"].startswith("application/json"):
        return len(response.json()["items"])
    html = response.content.decode()
    messages = html.count('data-testid="message-public"') + html.count('data-testid="message-internal"')
    return html.count('data-testid="queue-row"') or messages


def _ticket_with_conversation(lead: Any) -> int:
    """An open ticket of the central-europe queue, given a conversation through the actions: 20
    public replies and 20 internal notes after the customer's message, so the ticket view is
    measured with a real conversation, its draft, version, presence and notifications."""
    from django.utils import timezone

    from policydesk.tickets import actions
    from policydesk.tickets.models import Ticket

    ticket = Ticket.objects.filter(office="central-europe", status="open").order_by("number").first()
    if ticket is None:
        raise SystemExit("no open ticket in the central-europe queue to measure the ticket view with")
    now = timezone.now
    if not ticket.messages.exists():
        actions.do_customer_reply(ticket=ticket, customer=ticket.requester, text="It fails.", now=now())
    for index in range(20):
        actions.do_agent_reply(ticket=ticket, agent=lead, text=f"Answer {index}", now=now())
        actions.do_add_note(ticket=ticket, agent=lead, text=f"Note {index}", now=now())
    return ticket.number


if __name__ == "__main__":
    main()
