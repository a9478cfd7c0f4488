"""Worker and email throughput (issue 17): how fast the worker sends recorded mail, and how fast
stored email becomes tickets, on SQLite and PostgreSQL.

`--mode send` (the default): N messages recorded and enqueued as the desk records them (half
acknowledgements to customers, half agent notifications, each its `OutgoingMail` row and its
task row, cloned in bulk from one real acknowledgement and notice), then `policydesk worker
--batch --no-watch` in this process: claiming, building each message (headers, the signed
Reply-To, MIME serialised to bytes by a null transport), handing it over and recording it.
Goal: 1,000 mails/s or more on both databases.

`--mode email`: N messages stored as the SMTP listener stores them (`store_raw`), from N
different customers, then `mail.ingest.process_pending` until none is pending: each becomes a
ticket (C14 checks, acknowledgement recorded, audit rows). Goal: 400 messages/s or more. The
tickets' search entries are not written there but by the worker's indexer (docs/search.md), which
`--mode index` measures.

`--mode index`: N messages stored and processed as `--mode email` does (not measured), then the
worker's search indexer (`search.pending.index_all_pending`) until no ticket waits for its search
entries; checked: every ticket has its entries, as its tables say (`indexing.drifted`). It must
keep up with intake: 400 tickets/s or more.

Each database runs in a child process on a throwaway database; statements and commits are
counted on the worker's (or processor's) connection. To measure another commit, run this very
script with that commit's `src` first on PYTHONPATH.

    .venv/bin/python benchmarks/worker.py                                  # send, both databases
    .venv/bin/python benchmarks/worker.py --mode email --messages 2000
    .venv/bin/python benchmarks/worker.py --mode email --processors 2     # two side by side, each its share
    .venv/bin/python benchmarks/worker.py --mode index --messages 2000    # the search indexer
    PYTHONPATH=/tmp/base/src .venv/bin/python benchmarks/worker.py        # the base commit
    WORKER_BENCH_PROFILE=/tmp/email.prof .venv/bin/python benchmarks/worker.py --mode email \
        --databases sqlite --messages 500    # cProfile of the measured part, kept in that file
    WORKER_BENCH_CALLGRIND=1 valgrind --tool=callgrind --instr-atstart=no .venv/bin/python \
        benchmarks/worker.py --child sqlite --mode email --messages 200   # instructions, in this process
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import json
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

from harness import ROOT, callgrind_counting, print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
DATABASE_NAME = os.environ.get("WORKER_BENCH_DATABASE", "worker_bench")
GOALS = {"send": 1000, "email": 400, "index": 400}
WRITES = {"INSERT", "UPDATE", "DELETE"}


class NullTransport:
    """An email backend that builds every message to bytes, as a transport would, and drops it."""

    handed_over = 0

    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        self.fail_silently = fail_silently

    def open(self) -> bool:
        return True

    def close(self) -> None:
        pass

    def __enter__(self) -> NullTransport:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def send_messages(self, messages: list[Any]) -> int:
        for message in messages:
            message.message().as_bytes()
        NullTransport.handed_over += len(messages)
        return len(messages)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--mode", choices=("send", "email", "index"), default="send")
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--messages", type=int, default=5000)
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL)
    parser.add_argument(
        "--processors", type=int, default=1, help="email: processors side by side, each its share"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    global PROCESSORS
    PROCESSORS = args.processors
    if args.child:
        with throwaway_database(args.child, postgres_url=args.postgres_url, name=DATABASE_NAME,
                                prefix="bench-worker-"):  # fmt: skip
            measure = {"send": measure_send, "email": measure_email, "index": measure_index}[args.mode]
            print(json.dumps({"database": args.child, **measure(args.messages)}))
        return
    commit = subprocess.run(
        ["/usr/bin/git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=False,
        cwd=os.environ.get("PYTHONPATH", str(ROOT)).split(":")[0],
    ).stdout.strip()  # fmt: skip
    load = os.getloadavg()
    rows = [
        run_in_child(
            __file__,
            database,
            [
                "--mode",
                args.mode,
                "--messages",
                str(args.messages),
                "--postgres-url",
                args.postgres_url,
                "--processors",
                str(args.processors),
            ],
        )
        for database in args.databases.split(",")
    ]
    after = os.getloadavg()
    print(
        f"mode {args.mode}, processors {args.processors}, commit {commit}, "
        f"load {load[0]:.2f} before, {after[0]:.2f} after"
    )
    unit = "mails/s" if args.mode == "send" else "tickets/s"
    print_table(
        ["database", "messages", "seconds", "CPU s", unit, "statements each", "commits each", "check"],
        [[r["database"], str(r["messages"]), f"{r['seconds']:.1f}", f"{r['cpu_s']:.1f}",
          f"{r['messages'] / r['seconds']:.0f}", f"{r['statements'] / r['messages']:.2f}",
          f"{r['commits'] / r['messages']:.2f}", r["check"]] for r in rows],
    )  # fmt: skip
    met = all(r["messages"] / r["seconds"] >= GOALS[args.mode] and r["check"] == "ok" for r in rows)
    print(f"goal ({GOALS[args.mode]} {unit} on every database, every message exactly once): "
          f"{'met' if met else 'NOT met'}")  # fmt: skip


def setup(mode: str) -> Any:
    os.environ["POLICYDESK_EMAIL_BACKEND"] = "__main__.NullTransport"
    os.environ["POLICYDESK_LOG_LEVEL"] = "ERROR"
    os.environ.setdefault("POLICYDESK_MAIL_DOMAIN", "example.com")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.urls import reverse
    from django.utils import timezone

    reverse("ticket", args=[1])  # the URLconf, loaded once per process (any running desk has it)

    from policydesk.tickets import actions

    now = timezone.now()
    admin = actions.do_create_person(
        email="admin@bench.example", password=None, role="admin", actor=None, now=now
    )
    organisation = actions.do_create_organisation(
        name="Bench", plan="growth", region="emea", actor=admin, now=now
    )
    return now, admin, organisation


class Counted:
    """Statements and commits on this process's default connection while open: commits of
    transactions, and writes outside any (autocommit: each its own commit)."""

    def __init__(self) -> None:
        self.statements = 0
        self.commits = 0

    def __enter__(self) -> Counted:
        from django.db import connection

        connection.ensure_connection()
        self._raw_commit = connection._commit
        self._wrapper = connection.execute_wrapper(self._count)
        self._wrapper.__enter__()

        def commit() -> None:
            self.commits += 1
            self._raw_commit()

        connection._commit = commit  # type: ignore[method-assign]
        self.started, self.cpu_started = time.perf_counter(), time.process_time()
        return self

    def _count(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.statements += 1
        if not context["connection"].in_atomic_block and sql.lstrip().split(None, 1)[0].upper() in WRITES:
            self.commits += 1  # a write in autocommit mode commits on its own
        return execute(sql, params, many, context)

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        self.seconds = time.perf_counter() - self.started
        self.cpu_s = time.process_time() - self.cpu_started
        self._wrapper.__exit__(None, None, None)
        connection._commit = self._raw_commit  # type: ignore[method-assign]


def measure_send(count: int) -> dict[str, Any]:
    now, admin, organisation = setup("send")
    from django.core.management import call_command
    from django.db import transaction
    from django.db.models import Count

    from policydesk.mail.models import OutgoingMail
    from policydesk.mail.tasks import send_outgoing_mail
    from policydesk.tickets import actions

    customer = actions.do_create_person(
        email="c@bench.example", password=None, role="customer", organisation=organisation,
        actor=admin, now=now,
    )  # fmt: skip
    result = actions.do_open_ticket(
        requester=customer, topic="troubleshooting", subject="Export fails", text="It fails.",
        channel="web", now=now,
    )  # fmt: skip
    ticket = result.ticket
    ack = OutgoingMail.objects.get(kind="ack", ticket=ticket)
    # An agent notification: the same kind of row (ticket, person, signed Reply-To), to an agent.
    notice = OutgoingMail(
        kind="notice", recipient=admin.email, person=admin, ticket=ticket, language="en",
        subject=f"[#{ticket.number}] New ticket: {ticket.subject}", body=ack.body, html_body=ack.html_body,
    )  # fmt: skip
    templates = [ack, notice]
    OutgoingMail.objects.all().delete()
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.all().delete()
    with transaction.atomic():
        rows = []
        for n in range(count):
            template = templates[n % 2]
            rows.append(OutgoingMail(
                kind=template.kind, automatic=template.automatic, recipient=template.recipient,
                person=template.person, ticket=ticket, in_reply_to=template.in_reply_to,
                references=template.references, message_id=f"bench-{n}@example.com",
                language=template.language, subject=template.subject, body=template.body,
                html_body=template.html_body, headers=template.headers, created_at=now, attempt_at=now,
            ))  # fmt: skip
        for outgoing in OutgoingMail.objects.bulk_create(rows, batch_size=500):
            send_outgoing_mail.enqueue(outgoing.pk)
    NullTransport.handed_over = 0
    with Counted() as counted, _profiled():
        call_command("worker", "--batch", "--no-watch", "--no-startup-delay", verbosity=0)
    statuses = dict(OutgoingMail.objects.values_list("status").annotate(n=Count("pk")))
    left = DBTaskResult.objects.filter(status="READY").count()
    ok = statuses == {"sent": count} and NullTransport.handed_over == count and left == 0
    check = "ok" if ok else f"statuses {statuses}, handed over {NullTransport.handed_over}, tasks left {left}"
    return {
        "messages": count, "seconds": counted.seconds, "cpu_s": counted.cpu_s,
        "statements": counted.statements, "commits": counted.commits, "check": check,
    }  # fmt: skip


def measure_index(count: int) -> dict[str, Any]:
    now, _admin, organisation = setup("email")
    from policydesk.mail.ingest import process_pending
    from policydesk.search import indexing, pending
    from policydesk.search.models import Entry
    from policydesk.tickets.models import Ticket

    _store(count, now, organisation)
    while process_pending(mailbox="smtp", limit=500):  # the tickets made, not measured
        pass
    waiting = indexing.waiting()
    with Counted() as counted, _profiled():
        indexed = pending.index_all_pending()
    tickets = list(Ticket.objects.select_related("requester", "organisation"))
    drifted = indexing.drifted(tickets)
    ok = waiting == indexed == len(tickets) == count and not drifted and indexing.waiting() == 0
    ok = ok and Entry.objects.count() >= 4 * count  # subject, requester, organisation, the request
    check = "ok" if ok else f"{waiting} waited, {indexed} indexed, {len(drifted)} drifted of {len(tickets)}"
    return {
        "messages": count, "seconds": counted.seconds, "cpu_s": counted.cpu_s,
        "statements": counted.statements, "commits": counted.commits, "check": check,
    }  # fmt: skip


def _store(count: int, now: Any, organisation: Any) -> None:
    """`count` messages from as many customers stored as the SMTP listener stores them."""
    from django.db import transaction

    from policydesk.mail.ingest import Envelope, store_raw
    from policydesk.tickets.models import Person

    with transaction.atomic():
        Person.objects.bulk_create(
            [Person(email=f"c{n}@bench.example", role="customer", organisation=organisation)
             for n in range(count)],
            batch_size=1000,
        )  # fmt: skip
        for n in range(count):
            envelope = Envelope(f"c{n}@bench.example", ("support@example.com",))
            store_raw(_request(n), mailbox="smtp", envelope=envelope, now=now + timedelta(milliseconds=n))


def measure_email(count: int) -> dict[str, Any]:
    now, _admin, organisation = setup("email")
    from django.db.models import Count

    from policydesk.mail.ingest import process_pending
    from policydesk.mail.models import InboundMessage
    from policydesk.tickets.models import Ticket

    stored = count + (WARM_UP if os.environ.get("WORKER_BENCH_CALLGRIND") else 0)
    _store(stored, now, organisation)
    if os.environ.get("WORKER_BENCH_CALLGRIND"):
        # Counted in steady state: the first messages' one-off work (imports, compiled queries,
        # templates, translations) left out of the count.
        process_pending(mailbox="smtp", limit=WARM_UP)
    if PROCESSORS > 1:
        counted = _side_by_side(PROCESSORS)
    else:
        with Counted() as counted, _profiled():
            while process_pending(mailbox="smtp", limit=500):
                pass
    outcomes = dict(InboundMessage.objects.values_list("outcome").annotate(n=Count("pk")))
    tickets = Ticket.objects.count()
    ok = outcomes == {"ticket": stored} and tickets == stored
    check = "ok" if ok else f"{outcomes}, {tickets} tickets"
    return {
        "messages": count, "seconds": counted.seconds, "cpu_s": counted.cpu_s,
        "statements": counted.statements, "commits": counted.commits, "check": check,
    }  # fmt: skip


#: Messages processed before instructions are counted (WORKER_BENCH_CALLGRIND).
WARM_UP = 40

#: Processors side by side for `--mode email` (`--processors`), each taking its share.
PROCESSORS = 1


def _side_by_side(count: int) -> Any:
    """`count` processors, forked from this process once its connection is closed, each taking
    its share (`process_pending(share=...)`) until none is pending; their statements, commits
    and CPU added up, the time from the fork to the last one's end."""
    import multiprocessing

    from django.db import connections

    connections.close_all()
    started = time.perf_counter()
    with multiprocessing.get_context("fork").Pool(count) as pool:
        parts = pool.map(_drain_share, [(index, count) for index in range(count)])
    total = Counted()
    total.seconds = time.perf_counter() - started
    total.cpu_s = sum(part[0] for part in parts)
    total.statements = sum(part[1] for part in parts)
    total.commits = sum(part[2] for part in parts)
    return total


def _drain_share(share: tuple[int, int]) -> tuple[float, int, int]:
    from policydesk.mail.ingest import process_pending

    with Counted() as counted:
        while process_pending(mailbox="smtp", limit=500, share=share):
            pass
    return counted.cpu_s, counted.statements, counted.commits


@contextlib.contextmanager
def _profiled() -> Iterator[None]:
    """cProfile around the block when WORKER_BENCH_PROFILE names a file (its stats kept there);
    with WORKER_BENCH_CALLGRIND=1, under callgrind, instructions counted in the block only, and a
    batch of stored mail given all the time it wants (under valgrind 0.25 s would cut it short)."""
    if os.environ.get("WORKER_BENCH_CALLGRIND"):
        from policydesk.mail import ingest

        ingest.BATCH_SECONDS = 3600.0
        with callgrind_counting():
            yield
        return
    path = os.environ.get("WORKER_BENCH_PROFILE")
    if not path:
        yield
        return
    profile = cProfile.Profile()
    profile.enable()
    try:
        yield
    finally:
        profile.disable()
        profile.dump_stats(path)


def _request(n: int) -> bytes:
    return (
        f"From: Customer {n} <c{n}@bench.example>\r\nTo: support@example.com\r\n"
        f"Subject: Export fails ({n})\r\nMessage-ID: <bench-{n}@bench.example>\r\n"
        "Date: Thu, 03 Dec 2026 07:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"The export stops at 50 %. エクスポートが止まります。 ({n})\r\n"
    ).encode()


if __name__ == "__main__":
    main()
