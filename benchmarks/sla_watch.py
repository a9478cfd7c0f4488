"""The SLA watch with 100,000 open tickets: planning, a watch pass, and notification lag.

Seeds a throwaway database (a SQLite file in a temporary folder; a PostgreSQL database
`policydesk_watch_bench` it creates and drops) with 100,000 open tickets, then measures:

1. plan: the first watch pass finding every ticket and scheduling its warnings and breaches
   (what a worker does on start or after a policy reload), then the same pass again (no-op);
2. pass: one watch pass with nothing due (the cost of each poll);
3. lag: `policydesk worker` (task worker + watch loop, poll every --poll seconds, real time)
   runs for --seconds against a simulated clock running --speed times faster than real time,
   starting Tuesday 8 Dec 2026 16:00 UTC, so an hour and a half of a busy desk's timers passes
   through it.
   Lag, per notification (one timer told to one person; a digest email carries many) = real
   seconds from its moment (the timer's fire_at, or the office opening it was held for) to the
   sending of the email that carries it; one still unsent at the end, and a timer due in the
   window never fired, counts as late by the time it has waited. Email goes to Django's locmem
   backend. Goal: p99 < 60 s.

Two seeds (`--policy`):

- `nordlicht` (the default): examples/nordlicht.toml, which promises every metric (first
  response, next reply, periodic update, resolution; urgent Business tickets on shorter
  targets; Platinum around the clock, 3% of it mission-critical). Tickets created over the
  three days before the start, in four shapes: unanswered (new); answered, then the customer
  wrote again (open: next reply, periodic update and resolution running); answered and
  waiting on the customer (pending: resolution and periodic update paused); on hold
  (resolution paused, the periodic update and the next reply running). Their metric events are
  what the actions would have stored (`policydesk.sla.metrics` on each ticket's timeline).
  Berlin closes at 16:30 UTC, inside the window.
- `seed`: the bundled policy (first response only): Growth, Enterprise, Premium, 1% Premium
  mission-critical, unanswered, created over the 16 hours before the start; central Europe's
  17:00 UTC closing instant, where about 6,000 Enterprise tickets fall due at once.

    .venv/bin/python benchmarks/sla_watch.py                      # both databases
    .venv/bin/python benchmarks/sla_watch.py --databases sqlite --tickets 20000 --seconds 30
    .venv/bin/python benchmarks/sla_watch.py --policy seed        # the first response only

Seeding uses bulk_create directly (a benchmark fixture, not a path of the product); that is
also why the tickets have no timers until the watch's planning pass finds them.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

from harness import insert_tickets, print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
BENCH_DATABASE = "policydesk_watch_bench"
START = datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # a Tuesday; us-west opens at 17:00 UTC
REGIONS = {"americas": "us-west", "apac": "singapore", "emea": "central-europe"}
BACKLOG_SAMPLE = 5000
NORDLICHT = Path(__file__).resolve().parent.parent / "examples" / "nordlicht.toml"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--policy", default="nordlicht", choices=("nordlicht", "seed"))
    parser.add_argument("--seconds", type=float, default=90.0, help="real seconds the worker runs")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second")
    parser.add_argument("--poll", type=float, default=5.0, help="watch poll interval, real seconds")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="a database to connect to first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(run_child(args.child, args)))
        return
    rows = []
    for database in args.databases.split(","):
        arguments: list[str] = []
        for name in ("tickets", "policy", "seconds", "speed", "poll", "postgres_url"):
            arguments += ["--" + name.replace("_", "-"), str(getattr(args, name))]
        rows.append(run_in_child(__file__, database, arguments))
    print_report(rows, args)


def print_report(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"{args.tickets:,} open tickets ({args.policy} policy); worker runs {args.seconds:g} s real, "
        f"clock x{args.speed:g}, watch poll {args.poll:g} s\n"
    )
    header = (
        "database", "plan (first pass)", "plan again", "timers", "pass, nothing due",
        "notifications in window", "emails", "lag p50", "lag p99", "lag max", "late >60 s",
    )  # fmt: skip
    print_table(
        header,
        [
            (
                row["database"],
                f"{row['plan_s']:.1f} s",
                f"{row['replan_s']:.1f} s",
                f"{row['timers']:,}",
                f"{row['idle_pass_ms']:.0f} ms",
                f"{row['notifications']:,} ({row['unsent']:,} unsent, {row['never_fired']:,} never fired)",
                f"{row['messages_sent']:,} sent of {row['messages']:,}",
                f"{row['lag_p50']:.1f} s",
                f"{row['lag_p99']:.1f} s",
                f"{row['lag_max']:.1f} s",
                f"{row['late']:,}",
            )
            for row in rows
        ],
    )
    for row in rows:
        print(
            f"\n{row['database']}: seeded in {row['seed_s']:.0f} s; timers by metric {row['by_metric']}; "
            f"fired in the window by metric {row['fired_by_metric']}"
        )
        print(
            f"{row['database']}: backlog at start {row['backlog_timers']:,} timers, "
            f"{row['backlog_fired']:,} of them fired in {row['backlog_s']:.1f} s (the rest marked fired); "
            f"in the window {row['fired_in_window']:,} timers fired; "
            f"{row['held']:,} notifications held for office hours (released at 17:00 UTC), their lag "
            f"counted from the opening; counted from fire_at instead, p99 {row['fire_at_p99']:.1f} s"
        )


# -- one database, in a child process ------------------------------------------------


def run_child(database: str, args: argparse.Namespace) -> dict[str, Any]:
    os.environ["POLICYDESK_EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    os.environ.setdefault("POLICYDESK_LOG_LEVEL", "WARNING")
    if args.policy == "nordlicht":
        os.environ["POLICYDESK_POLICY"] = str(NORDLICHT)
    with throwaway_database(
        database, postgres_url=args.postgres_url, name=BENCH_DATABASE, prefix="policydesk-watch-bench-"
    ):
        return measure(database, args)


def staff(admin: Any, offices: list[str], premium_office: str) -> dict[str, list[Any]]:
    """An office team of five agents per office, a Premium team ("global") of five, two leads."""
    from policydesk.tickets import actions

    agents = {}
    for office in (*offices, "global"):
        kind, team_office = ("premium", premium_office) if office == "global" else ("office", office)
        team = actions.do_create_team(name=office, kind=kind, office=team_office, actor=admin, now=START)
        agents[office] = [
            actions.do_create_person(
                email=f"agent{i}@{office}.example", password=None, role="agent", teams=(team,),
                actor=admin, now=START,
            )
            for i in range(5)
        ]  # fmt: skip
    for i in range(2):
        actions.do_create_person(
            email=f"lead{i}@bench.example", password=None, role="lead", actor=admin, now=START
        )
    return agents


def organisations_and_customers(
    plans: tuple[str, ...], regions: list[str]
) -> tuple[list[Any], dict[int, Any]]:
    """180 organisations, the plans in turn, three of each plan per region in turn; a customer each."""
    from policydesk.tickets.models import Organisation, Person

    organisations = Organisation.objects.bulk_create(
        Organisation(
            name=f"org {i}", plan=plans[i % len(plans)], region=regions[i // len(plans) % len(regions)],
            created_at=START,
        )
        for i in range(180)
    )  # fmt: skip
    customers = {
        org.pk: Person.objects.create(
            email=f"c@org{org.pk}.example",
            role="customer",
            organisation=org,
            password="!",  # noqa: S106
        )
        for org in organisations
    }
    return organisations, customers


def seed(count: int) -> None:
    """Teams, agents, leads, organisations, and `count` open unanswered tickets, due as triage says."""
    import numpy as np
    from django.db import connection

    from policydesk import sla
    from policydesk.desk_policy import get_policy
    from policydesk.tickets import actions
    from policydesk.tickets.models import Ticket

    policy = get_policy()
    rng = random.Random(20261208)
    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=START
    )
    agents = staff(admin, list(REGIONS.values()), premium_office="us-west")
    organisations, customers = organisations_and_customers(("growth", "enterprise", "premium"), list(REGIONS))
    # Creation instants and the (calendar, target) triage gives each ticket (C3, C6, C9).
    rows = []
    for number in range(1, count + 1):
        organisation = rng.choice(organisations)
        created_at = START - timedelta(seconds=rng.randrange(16 * 3600))
        critical = organisation.plan == "premium" and rng.random() < 0.03
        if critical:
            office, calendar, target = "global", "24x7", sla.Target.calendar(7200)
        elif organisation.plan == "premium":
            office, calendar, target = "global", "premium-24x5", sla.Target.business_days(1)
        else:
            office = REGIONS[organisation.region]
            days = 2 if organisation.plan == "growth" else 1
            calendar, target = office, sla.Target.business_days(days)
        rows.append((number, organisation, created_at, critical, office, calendar, target))
    dues: dict[int, datetime] = {}
    groups: dict[tuple[str, Any], list[tuple[int, datetime]]] = {}
    for number, _org, created_at, _critical, _office, calendar, target in rows:
        groups.setdefault((calendar, target), []).append((number, created_at))
    for (calendar, target), members in groups.items():
        cal = sla.AlwaysOpenCalendar() if calendar == "24x7" else policy.calendars[calendar]
        starts = np.array([int(created.timestamp()) for _n, created in members], dtype=np.int64)
        for (number, _created), due in zip(members, sla.due(cal, starts, target), strict=True):
            dues[number] = datetime.fromtimestamp(int(due), UTC)
    insert_tickets(
        Ticket(
            number=number, organisation=organisation, requester=customers[organisation.pk],
            channel="web", topic="bug-report-critical" if critical else "troubleshooting",
            subject=f"Ticket {number}", priority="normal", status=rng.choice(("new", "open")),
            office=office, calendar=calendar, first_response_due=dues[number],
            assignee=rng.choice(agents[office]) if rng.random() < 0.6 else None,
            mission_critical=critical, policy_id=policy.id, policy_version=policy.version,
            language="en", created_at=created_at, updated_at=created_at,
        )
        for number, organisation, created_at, critical, office, calendar, _target in rows
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def seed_every_metric(count: int) -> None:
    """Teams, agents, leads, organisations, and `count` open tickets under the Nordlicht policy,
    with the metric events their timelines give (see the module docstring)."""
    from django.db import connection, transaction

    from policydesk import sla
    from policydesk.desk_policy import get_policy
    from policydesk.policy.metric_rules import metric_rules
    from policydesk.sla.metrics import MetricRule, TimelineEvent, ticket_metrics
    from policydesk.tickets import actions
    from policydesk.tickets.models import MetricEvent, Ticket

    policy = get_policy()
    assert policy.id == "nordlicht", policy.id
    rng = random.Random(20261208)
    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=START
    )
    agents = staff(admin, ["berlin", "toronto"], premium_office="toronto")
    organisations, customers = organisations_and_customers(
        ("team", "business", "platinum"), ["europe", "north-america"]
    )
    rules_for: dict[tuple[str, str, bool], list[MetricRule]] = {}
    tickets, timelines = [], {}
    for number in range(1, count + 1):
        organisation = rng.choice(organisations)
        platinum = organisation.plan == "platinum"
        critical = platinum and rng.random() < 0.03
        office = "global" if platinum else policy.regions[organisation.region].office
        key = (organisation.plan, office, critical)
        if key not in rules_for:
            rules_for[key] = metric_rules(
                policy, policy.plans[organisation.plan], office, mission_critical=critical
            )
        rules = rules_for[key]
        first = next(rule for rule in rules if rule.metric == "first_response").clock
        assert first is not None
        age = rng.uniform(0.05, 3.0) * 86400  # created up to three days before the start
        created_at = START - timedelta(seconds=age)
        priority = "urgent" if rng.random() < 0.2 else "routine"
        shape = rng.choices(("new", "open", "pending", "on-hold"), weights=(3, 4, 2, 1))[0]
        timeline: list[TimelineEvent] = []
        answered = None
        if shape != "new":
            answered = created_at + timedelta(seconds=age * rng.uniform(0.05, 0.3))
            wrote = answered + timedelta(seconds=age * rng.uniform(0.05, 0.5))
            timeline += [
                TimelineEvent(answered, "agent_reply"), TimelineEvent(answered, "status", "pending"),
                TimelineEvent(wrote, "status", "open"), TimelineEvent(wrote, "customer_message"),
            ]  # fmt: skip
            later = wrote + timedelta(seconds=(START - wrote).total_seconds() * rng.uniform(0.1, 0.9))
            if shape == "pending":
                timeline += [TimelineEvent(later, "agent_reply"), TimelineEvent(later, "status", "pending")]
            elif shape == "on-hold":
                timeline.append(TimelineEvent(later, "status", "on-hold"))
        timelines[number] = ticket_metrics(rules, created_at, priority, timeline, START)
        tickets.append(
            Ticket(
                number=number, organisation=organisation, requester=customers[organisation.pk],
                channel="web", topic="incident" if critical else "question", subject=f"Ticket {number}",
                priority=priority, status=shape, office=office,
                calendar="always" if platinum else office,
                first_response_due=sla.due(first.calendar, created_at, first.target),
                first_responded_at=answered,
                assignee=rng.choice(agents[office]) if rng.random() < 0.6 else None,
                mission_critical=critical, policy_id=policy.id, policy_version=policy.version,
                language="en", created_at=created_at, updated_at=created_at,
            )
        )  # fmt: skip
    insert_tickets(tickets)
    ids = dict(Ticket.objects.values_list("number", "pk"))
    with transaction.atomic():
        MetricEvent.objects.bulk_create(
            (
                MetricEvent(
                    ticket_id=ids[number], metric=instance.metric, cycle=instance.cycle, kind=event.kind,
                    at=event.at, policy_version=policy.version,
                )
                for number, instances in timelines.items()
                for instance in instances
                for event in instance.events
                if event.kind != "breached"  # the watch stores breaches when it fires them
            ),
            batch_size=5000,
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def run_and_close(worker: Any) -> None:
    from django.db import connection

    try:
        worker.run()
    finally:
        connection.close()  # this thread's connection: the database is dropped afterwards


class SimulatedClock:
    """START + speed x (real time since the clock was started)."""

    def __init__(self, speed: float) -> None:
        self.speed = speed
        self.real_start = time.monotonic()

    def __call__(self) -> datetime:
        return START + timedelta(seconds=(time.monotonic() - self.real_start) * self.speed)


def measure(database: str, args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django_tasks_db.models import DBTaskResult

    from policydesk.desk_policy import get_policy
    from policydesk.mail.models import OutgoingMail
    from policydesk.mail.outgoing import new_message_id
    from policydesk.watch import timers
    from policydesk.watch.management.commands.worker import Worker
    from policydesk.watch.models import Delivery, DeliveryItem, Timer

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed_every_metric(args.tickets) if args.policy == "nordlicht" else seed(args.tickets)
    seed_s = time.perf_counter() - started
    policy = get_policy()

    started = time.perf_counter()
    timers.plan_open_tickets(policy, START)
    plan_s = time.perf_counter() - started
    started = time.perf_counter()
    again = timers.plan_open_tickets(policy, START)
    replan_s = time.perf_counter() - started
    assert again.created == 0 and again.moved == 0, again
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")

    # The backlog: timers already due at START (tickets opened before it). The Nordlicht seed's
    # is large (tickets up to three days old, most of their next replies long overdue): a sample
    # of it is fired, for the rate, and the rest marked fired, as if told before the start.
    due = Timer.objects.filter(fire_at__lte=START, state="pending")
    backlog_ids = list(due.order_by("fire_at").values_list("pk", flat=True))
    sample = backlog_ids if args.policy == "seed" else backlog_ids[:BACKLOG_SAMPLE]
    started = time.perf_counter()
    for start in range(0, len(sample), 500):
        timers.fire_timers(sample[start : start + 500], START)
    backlog_s = time.perf_counter() - started
    due.update(state="fired", fired_at=START)
    # The backlog's deliveries are not part of the window: drop them and their queued tasks.
    Delivery.objects.filter(deliver_after__lte=START).update(state="cancelled")
    DBTaskResult.objects.all().delete()
    idle = []
    for _ in range(5):
        started = time.perf_counter()
        timers.Watch(planned=policy).tick(START)
        idle.append(time.perf_counter() - started)

    clock = SimulatedClock(args.speed)
    worker = Worker(
        watch_interval=args.poll, queue_names=["default"], interval=1.0, batch=False, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="bench-worker", excluded_queue_names=[],
    )  # fmt: skip
    with mock.patch("django.utils.timezone.now", clock):
        runner = threading.Thread(target=run_and_close, args=(worker,), name="worker")
        runner.start()
        time.sleep(args.seconds)
        worker.running = False
        runner.join()
        end = clock()

    # Lag is counted per notification (a timer told to one person), not per message: a digest
    # carrying 500 tickets is 500 lags. A notification's lag = sent - its moment: the timer's
    # fire_at, or for one held for office hours the opening it waited for (held on purpose, not
    # late; the same figure counted from fire_at is shown beside it). Measured: every
    # notification meant to leave in the window, less its last two polls (+5 s) of real time,
    # in which one may simply not have had its turn yet. A notification still unsent at the end
    # counts as late by the time it has waited (end - moment), and so does a timer due in the
    # window that was never fired at all (one entry per timer: its recipients are unknown).
    window_end = end - timedelta(seconds=(2 * args.poll + 5) * args.speed)
    items = DeliveryItem.objects.filter(deliver_after__gt=START, deliver_after__lte=window_end)
    lags: list[float] = []
    from_fire_at: list[float] = []
    unsent = held = 0
    # A delivery marked sent has recorded its email (the one mail path); the email left when
    # the mail task sent that record: its sent_at (keyed by the delivery's key) is what counts.
    mailed = dict(OutgoingMail.objects.filter(sent_at__isnull=False).values_list("message_id", "sent_at"))
    for moment, after, key in items.values_list("moment", "deliver_after", "delivery__key"):
        sent = mailed.get(new_message_id(key))
        done = sent or end
        unsent += sent is None
        held += after != moment
        lags.append((done - after).total_seconds() / args.speed)
        from_fire_at.append((done - moment).total_seconds() / args.speed)
    never_fired = Timer.objects.filter(state="pending", fire_at__gt=START, fire_at__lte=window_end)
    for (fire_at,) in never_fired.values_list("fire_at"):
        lags.append((end - fire_at).total_seconds() / args.speed)
        from_fire_at.append(lags[-1])
    if not lags:
        raise SystemExit("no notifications fell in the window: run longer or faster")
    lags.sort()
    from_fire_at.sort()
    messages = Delivery.objects.filter(items__deliver_after__gt=START, items__deliver_after__lte=window_end)
    return {
        "database": database,
        "seed_s": seed_s,
        "by_metric": dict(
            Timer.objects.exclude(kind="page")
            .values_list("metric")
            .annotate(n=Count("id"))
            .order_by("metric")
        ),
        "fired_by_metric": dict(
            Timer.objects.filter(fire_at__gt=START, state="fired")
            .exclude(kind="page")
            .values_list("metric")
            .annotate(n=Count("id"))
            .order_by("metric")
        ),
        "plan_s": plan_s,
        "replan_s": replan_s,
        "timers": Timer.objects.count(),
        "idle_pass_ms": statistics.median(idle) * 1000,
        "backlog_timers": len(backlog_ids),
        "backlog_fired": len(sample),
        "backlog_s": backlog_s,
        "fired_in_window": Timer.objects.filter(fire_at__gt=START, state="fired").count(),
        "never_fired": never_fired.count(),
        "messages": messages.distinct().count(),
        "messages_sent": messages.filter(state="sent").distinct().count(),
        "notifications": len(lags),
        "unsent": unsent,
        "held": held,
        "lag_p50": _percentile(lags, 0.50),
        "lag_p99": _percentile(lags, 0.99),
        "lag_max": lags[-1],
        "late": sum(1 for lag in lags if lag > 60),
        "fire_at_p99": _percentile(from_fire_at, 0.99),
    }


def _percentile(ordered: list[float], share: float) -> float:
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


if __name__ == "__main__":
    main()
