"""Intake and sign-in with 4,000 people and then with 1,000,000 (issue 17): the customer, token and
organisation lookups must stay constant-time, so every operation must be no slower, and make the
same number of statements, at both sizes.

Each database is measured in a child process of its own, on a throwaway database (a SQLite file in
a temporary folder; a PostgreSQL database it creates and drops). The child seeds --small people in
--small-organisations organisations, measures, grows the same database to --people people in
--organisations organisations, and measures again, in the same run. After each seeding it runs
ANALYZE, as a desk's autovacuum (PostgreSQL) or `policydesk` maintenance would.

Seeding is a benchmark fixture, not a path of the product: bulk_create in batches, no signals
(the search index holds no entries for the seeded people), one password hash shared by everyone
(MD5, as the tests hash: a password check's PBKDF2 takes longer than everything else a sign-in
does, whatever the number of people). Each person is `customer<i>@org<j>.example` of organisation
`org<j>.example` (people spread evenly over the organisations, plans and regions alternating); one
in 500 is an agent (no organisation); one customer in 10 has an API token.

Measured, --runs times each per pass and size, the operations taking turns, each run with a
customer picked at random from everyone seeded so far (a new one each run, so that no run finds
its person's rows cached by the one before):

- api intake: `POST /api/v1/tickets` with the customer's bearer token (the token lookup included);
- portal intake: `POST /tickets/new/` as the signed-in customer (the session's person included);
- email intake: `process_stored` of a stored message from the customer (the mail processing path:
  the sender lookup, `do_open_ticket`, the acknowledgement);
- sign-in: `POST /signin/` with email and password (the limits, the person by email, the check,
  the session);
- sign-in link: the link task's lookup and mail (`send_signin_link`), then `POST` of the link;
- customer by email: the mail channel's sender lookup (person with organisation, `email_is`);
- token: `person_for_token`, the API's bearer lookup;
- Cc lookup: the people a new email's `Cc:` names (`LOWER(email) IN (...)`, three addresses);
- console customer search: the console's requester field (`customers("customer123")`).

The desk has no look-up of an organisation by mail domain (a customer is found by their sign-in
email, C14; the organisation comes with them): "customer by email" is that row.

Two passes per size: the ratio of the passes at one size is the noise to read the 1M / 4k ratio
against. Wall time moves with the machine's load; the CPU time of this process (p50) moves much
less: on SQLite it holds the database engine's work too, on PostgreSQL only the client's side.

    .venv/bin/python benchmarks/people_scale.py                           # both databases, 1,000,000
    .venv/bin/python benchmarks/people_scale.py --databases sqlite --people 100000 --organisations 10000
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from harness import print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "people_bench"  # this worktree's benchmark database on the shared server
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
SEED = 20261203
PASSWORD = "bench-password-1"  # noqa: S105 - the seeded people's password, in a throwaway database
STAFF_EVERY = 500  # person i is an agent when i % STAFF_EVERY == STAFF_EVERY // 2
TOKEN_EVERY = 10  # customer i has an API token when i % TOKEN_EVERY == 0
BATCH = 5000
OPERATIONS = (
    "api intake", "portal intake", "email intake", "sign-in", "sign-in link", "customer by email",
    "token", "Cc lookup", "console customer search",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--small", type=int, default=4000, help="people at the first measurement")
    parser.add_argument("--small-organisations", type=int, default=400)
    parser.add_argument("--people", type=int, default=1_000_000, help="people at the second measurement")
    parser.add_argument("--organisations", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30, help="runs of each operation per pass")
    parser.add_argument("--passes", type=int, default=2, help="passes of --runs per size")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="a database to connect to first")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        with throwaway_database(args.child, postgres_url=args.postgres_url, name=BENCH_DATABASE,
                                prefix="policydesk-people-bench-"):  # fmt: skip
            print(json.dumps(measure_database(args.child, args)))
        return
    forwarded = [
        "--small", str(args.small), "--small-organisations", str(args.small_organisations),
        "--people", str(args.people), "--organisations", str(args.organisations), "--runs", str(args.runs),
        "--passes", str(args.passes), "--postgres-url", args.postgres_url,
    ]  # fmt: skip
    results = [run_in_child(__file__, database, forwarded) for database in args.databases.split(",")]
    print_report(results)


def print_report(results: list[dict[str, Any]]) -> None:
    for result in results:
        small, large = result["sizes"]
        print(
            f"\n{result['database']}: {small['people']:,} people / {small['organisations']:,} organisations "
            f"(seeded in {small['seed_s']:.0f} s), then {large['people']:,} / {large['organisations']:,} "
            f"(grown in {large['seed_s']:.0f} s); {result['runs']} runs x {result['passes']} passes; "
            f"load before {result['load_before']}, after {result['load_after']}; milliseconds\n"
        )
        rows = []
        for operation in OPERATIONS:
            a, b = small["operations"][operation], large["operations"][operation]
            rows.append(
                [operation, f"{a['p50']:.2f}", f"{a['p95']:.2f}", f"{b['p50']:.2f}", f"{b['p95']:.2f}",
                 f"{b['p50'] / a['p50']:.2f}", f"{a['cpu_p50']:.2f} / {b['cpu_p50']:.2f}",
                 f"{a['noise']:.2f} / {b['noise']:.2f}", f"{a['statements']} / {b['statements']}"]
            )  # fmt: skip
        print_table(
            ["operation", "small p50", "small p95", "large p50", "large p95", "large/small p50",
             "CPU p50 (small / large)", "pass 2/pass 1 p50 (small / large)", "statements (small / large)"],
            rows,
        )  # fmt: skip


# -- the child: one database -------------------------------------------------------------------


def measure_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    import os

    import django

    os.environ.setdefault("POLICYDESK_MAIL_DOMAIN", "desk.example")
    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # MD5 as the tests hash (see the docstring); mail goes nowhere.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    load_before = load()
    rng = random.Random(SEED)
    sizes = []
    seeded = (0, 0)
    for people, organisations in ((args.small, args.small_organisations), (args.people, args.organisations)):
        started = time.perf_counter()
        seed(seeded, (people, organisations))
        seeded = (people, organisations)
        SEEDED.append(seeded)
        analyze()
        seed_s = time.perf_counter() - started
        print(f"{database}: {people:,} people seeded in {seed_s:.0f} s", file=sys.stderr)
        measure_pass(rng, people, 1)  # warm: caches, the ticket counter, the compiled policy
        passes = [measure_pass(rng, people, args.runs) for _ in range(args.passes)]
        operations = {}
        for operation in OPERATIONS:
            timings = [t for one in passes for t in one[operation]["timings"]]
            counts = {c for one in passes for c in one[operation]["statements"]}
            p50s = [statistics.median(one[operation]["timings"]) for one in passes]
            operations[operation] = {
                "p50": percentile(timings, 50), "p95": percentile(timings, 95),
                "cpu_p50": percentile([c for one in passes for c in one[operation]["cpu"]], 50),
                "noise": max(p50s) / min(p50s),
                "statements": "/".join(str(c) for c in sorted(counts)),
            }  # fmt: skip
        sizes.append(
            {"people": people, "organisations": organisations, "seed_s": seed_s, "operations": operations}
        )
    return {
        "database": database, "sizes": sizes, "runs": args.runs, "passes": args.passes,
        "load_before": load_before, "load_after": load(),
    }  # fmt: skip


def load() -> str:
    import os

    return " ".join(f"{value:.2f}" for value in os.getloadavg())


def percentile(values: list[float], wanted: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[wanted - 1]


def analyze() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def organisation_name(index: int) -> str:
    return f"org{index}.example"


def email_of(index: int, organisations: int) -> str:
    if is_staff(index):
        return f"agent{index}@desk.example"
    return f"customer{index}@{organisation_name(index % organisations)}"


def is_staff(index: int) -> bool:
    return index % STAFF_EVERY == STAFF_EVERY // 2


def token_of(index: int) -> str:
    return f"pd_bench-{index:07d}"


def seed(have: tuple[int, int], want: tuple[int, int]) -> None:
    """Grow the database from `have` (people, organisations) to `want`, in batches. People keep
    the organisation they were given: person i of organisation i % (organisations when seeded)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from policydesk.api.models import ApiToken
    from policydesk.api.tokens import SHOWN_PREFIX_LENGTH, digest_of
    from policydesk.tickets.models import Organisation, Person

    (people_had, organisations_had), (people, organisations) = have, want
    for start in range(organisations_had, organisations, BATCH):
        with transaction.atomic():
            Organisation.objects.bulk_create(
                Organisation(name=organisation_name(i), plan=("growth", "enterprise")[i % 2],
                             region=("emea", "americas")[i % 2], created_at=NOW)
                for i in range(start, min(start + BATCH, organisations))
            )  # fmt: skip
    organisation_ids = dict(Organisation.objects.values_list("name", "pk"))
    organisation_of = [organisation_ids[organisation_name(j)] for j in range(organisations)]
    password = make_password(PASSWORD)
    for start in range(people_had, people, BATCH):
        with transaction.atomic():
            batch = []
            for i in range(start, min(start + BATCH, people)):
                staff = is_staff(i)
                batch.append(
                    Person(email=email_of(i, organisations), name=f"Person {i}",
                           role="agent" if staff else "customer",
                           organisation_id=None if staff else organisation_of[i % organisations],
                           password=password, date_joined=NOW)
                )  # fmt: skip
            created = Person.objects.bulk_create(batch)
            ApiToken.objects.bulk_create(
                ApiToken(person_id=person.pk, name="bench", prefix=token_of(i)[:SHOWN_PREFIX_LENGTH],
                         digest=digest_of(token_of(i)), created_at=NOW)
                for i, person in enumerate(created, start)
                if i % TOKEN_EVERY == 0 and not is_staff(i)
            )  # fmt: skip


def measure_pass(rng: random.Random, people: int, runs: int) -> dict[str, dict[str, list[Any]]]:
    """Each operation `runs` times, taking turns, each run with customers picked at random."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    results: dict[str, dict[str, list[Any]]] = {
        o: {"timings": [], "cpu": [], "statements": []} for o in OPERATIONS
    }
    steps = operation_steps()
    for run in range(runs):
        for operation in OPERATIONS:
            prepare, act = steps[operation]
            subject = prepare(rng, people, run)
            reset_queries()
            with CaptureQueriesContext(connection) as captured:
                started, cpu_started = time.perf_counter(), time.process_time()
                act(subject)
                elapsed = (time.perf_counter() - started) * 1000
                cpu = (time.process_time() - cpu_started) * 1000
            results[operation]["timings"].append(elapsed)
            results[operation]["cpu"].append(cpu)
            results[operation]["statements"].append(len(captured.captured_queries))
    return results


#: (people, organisations) of each seeding so far: a person's organisation is the one they were
#: seeded with.
SEEDED: list[tuple[int, int]] = []
_picked: set[int] = set()


def pick(rng: random.Random, people: int, *, with_token: bool = False) -> tuple[int, str]:
    """A customer not picked before, from everyone seeded so far: (index, email)."""
    while True:
        index = rng.randrange(people)
        if with_token:
            index -= index % TOKEN_EVERY
        elif index % TOKEN_EVERY == 0:
            continue  # kept for the token operations (4,000 people have only 392)
        if is_staff(index) or index in _picked:
            continue
        _picked.add(index)
        organisations = next(o for p, o in SEEDED if index < p)
        return index, email_of(index, organisations)


def operation_steps() -> dict[str, tuple[Callable[[random.Random, int, int], Any], Callable[[Any], None]]]:
    """operation -> (prepare a run's subject, untimed; the timed step)."""
    from django.db.models.functions import Lower
    from django.test import Client
    from django.utils import timezone

    from policydesk.api.tokens import person_for_token
    from policydesk.console.queries import customers
    from policydesk.mail.ingest import process_stored, store_raw
    from policydesk.portal.signin import make_link_token, send_signin_link
    from policydesk.tickets.models import Person, email_is

    def api_prepare(rng: random.Random, people: int, run: int) -> Any:
        index, _email = pick(rng, people, with_token=True)
        return Client(headers={"Authorization": f"Bearer {token_of(index)}"}), run

    def api(subject: Any) -> None:
        client, run = subject
        body = {"topic": "troubleshooting", "subject": f"Export fails {run}", "text": "At 50%."}
        response = client.post("/api/v1/tickets", body, content_type="application/json")
        assert response.status_code == 201, response.content

    def portal_prepare(rng: random.Random, people: int, run: int) -> Any:
        client = Client()
        client.force_login(Person.objects.get(email=pick(rng, people)[1]))
        return client

    def portal(client: Any) -> None:
        form = {"topic": "troubleshooting", "priority": "normal", "subject": "Export fails",
                "description": "At 50%."}  # fmt: skip
        assert client.post("/tickets/new/", form).status_code == 302

    def email_prepare(rng: random.Random, people: int, run: int) -> Any:
        index, address = pick(rng, people)
        raw = (
            f"From: Customer <{address}>\r\nTo: support@desk.example\r\nSubject: Export question {index}\r\n"
            f"Message-ID: <bench-{index}@customer.example>\r\nContent-Type: text/plain; charset=utf-8\r\n"
            "\r\nThe CSV export stops at 1000 rows.\r\n"
        ).encode()
        return store_raw(raw, mailbox="smtp", envelope=None, now=timezone.now())[0]

    def email(inbound: Any) -> None:
        result = process_stored(inbound, now=timezone.now())
        assert result.outcome == "ticket", result

    def signin_prepare(rng: random.Random, people: int, run: int) -> Any:
        # A client address of its own each run: the per-client limit (50 an hour) is not measured.
        address = f"10.{run % 250}.{rng.randrange(250)}.{rng.randrange(1, 250)}"
        return Client(REMOTE_ADDR=address), pick(rng, people)[1]

    def signin(subject: Any) -> None:
        client, address = subject
        response = client.post("/signin/", {"email": address, "password": PASSWORD})
        assert response.status_code == 302, response.status_code

    def link_prepare(rng: random.Random, people: int, run: int) -> Any:
        address = pick(rng, people)[1]
        return Client(), address, make_link_token(Person.objects.get(email=address))

    def link(subject: Any) -> None:
        client, address, token = subject
        send_signin_link.call(address, "en")  # the task: the person by email, the mail
        response = client.post(f"/signin/link/{token}/")
        assert response.status_code == 302, response.status_code

    def lookup_prepare(rng: random.Random, people: int, run: int) -> Any:
        return pick(rng, people)[1]

    def lookup(address: str) -> None:
        person = (
            Person.objects.filter(email_is(address), is_active=True).select_related("organisation").first()
        )
        assert person is not None and person.organisation is not None

    def token_prepare(rng: random.Random, people: int, run: int) -> Any:
        return token_of(pick(rng, people, with_token=True)[0])

    def token(secret: str) -> None:
        assert person_for_token(secret, timezone.now()) is not None

    def cc_prepare(rng: random.Random, people: int, run: int) -> Any:
        return [pick(rng, people)[1].upper() for _ in range(3)]

    def cc(addresses: list[str]) -> None:
        # As mail.ingest._copy_cc asks.
        wanted = {a.lower() for a in addresses}
        assert len(Person.objects.annotate(address=Lower("email")).filter(address__in=wanted)) == 3

    def search_prepare(rng: random.Random, people: int, run: int) -> Any:
        return f"customer{pick(rng, people)[0]}@"

    def search(text: str) -> None:
        assert customers(text)

    return {
        "api intake": (api_prepare, api),
        "portal intake": (portal_prepare, portal),
        "email intake": (email_prepare, email),
        "sign-in": (signin_prepare, signin),
        "sign-in link": (link_prepare, link),
        "customer by email": (lookup_prepare, lookup),
        "token": (token_prepare, token),
        "Cc lookup": (cc_prepare, cc),
        "console customer search": (search_prepare, search),
    }


if __name__ == "__main__":
    main()
