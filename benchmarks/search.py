"""Search (`policydesk.search.service.find`) against the naive `icontains` scan, in the same run.

Seeds a throwaway database (a SQLite file in a temporary folder; a PostgreSQL database it creates
and drops) with --messages messages (Japanese and English, fixed seed) on tickets of about 10
messages each, builds the index the way `policydesk search reindex` does, and measures, signed in
as a lead (who sees every ticket):

- p50 and p95 of `find` over --repeat runs of each query of a fixed set, by kind (three
  characters and longer, one and two characters, phrase, filter only, no match);
- the same queries by the naive scan the issue names as the peer: tickets whose subject or any
  message `icontains` every term (fewer runs: it is slow);
- the index's size on disk (search_entry with its indexes: SQLite's FTS5 shadow tables, the
  trigram and the gram one, or PostgreSQL's table, TOAST and GIN indexes), and the gram
  index's part of it;
- the write cost per new message: `do_customer_reply` with the index kept in step against the
  same action with the index's receivers disconnected, alternating, in the same run.

    .venv/bin/python benchmarks/search.py                                   # both databases
    .venv/bin/python benchmarks/search.py --databases sqlite --messages 20000

Seeding a million messages takes longer than measuring them; to measure again without seeding:

    .venv/bin/python benchmarks/search.py --messages 1000000 --seed-into sqlite:////tmp/1m.sqlite3
    .venv/bin/python benchmarks/search.py --messages 1000000 --seeded sqlite:////tmp/1m.sqlite3

(--seed-into: an empty database, migrated, seeded and indexed as below, then kept; --seeded: a
database seeded so before, with the same --messages; the write-cost runs add their messages to it.)

Seeding uses bulk_create directly (a benchmark fixture, not a path of the product).
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import insert_tickets, print_table, run_in_child, throwaway_database

POSTGRES_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/test"
BENCH_DATABASE = "policydesk_search_bench"
NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
SEED = 20261202
MESSAGES_PER_TICKET = 10

JAPANESE = (  # noqa: SIM905 - a word list reads best as words
    "キャッシュ ダッシュボード 請求書 障害 ログイン 表示 エクスポート 設定 権限 通知 データ 同期 "
    "遅延 エラー 画面 更新 接続 失敗 確認 対応 お客様 管理者 レポート 集計 グラフ 期間 契約 支払い"
).split()
JAPANESE_GLUE = ("が", "を", "で", "に", "は", "の", "と", "も")
JAPANESE_ENDINGS = (
    "しません。",
    "できません。",
    "されました。",
    "ですか？",
    "をお願いします。",
    "が発生しています。",
)
ENGLISH = (  # noqa: SIM905 - a word list reads best as words
    "cache dashboard invoice outage login display export settings permission notification data "
    "sync delay error screen update connection failed check customer admin report chart period "
    "contract payment timeout browser upgrade token webhook account empty slow"
).split()
ENGLISH_GLUE = ("the", "is", "after", "when", "our", "a", "in", "since", "and", "not")

# Rare words, as real desks have them (product names, error codes, people's names): each message
# carries one with probability RARE_SHARE. Made from the seed, so the same on every run.
RARE_SHARE = 0.3
KANA = "アイウエオカキクケコサシスセソタチツテトナニヌネノハヒフヘホマミムメモヤユヨラリルレロワン"
KANJI = "鬱薔薇檸檬躑躅蒟蒻顰蹙憂鬱齟齬瓢箪罵詈雑言邂逅揶揄馴染蝋燭"
_words = random.Random(SEED - 1)
RARE_JAPANESE = ["".join(_words.choice(KANA) for _ in range(_words.randrange(4, 7))) for _ in range(5000)]
RARE_ENGLISH = ["".join(_words.choice("bcdfghjklmnpqrstvwxz") + _words.choice("aeiou") for _ in range(3))
                for _ in range(5000)]  # fmt: skip
RARE_SHORT = [_words.choice(KANJI) + _words.choice(KANJI) for _ in range(300)]

#: (kind, query); every query of the set, run as the lead. Common words (in a tenth of all
#: messages or more) and rare ones (in a few).
QUERIES: tuple[tuple[str, str], ...] = (
    ("3+ characters, common", "キャッシュ"),
    ("3+ characters, common", "dashboard"),
    ("3+ characters, common", "timeout webhook"),
    ("3+ characters, rare", RARE_JAPANESE[7]),
    ("3+ characters, rare", RARE_ENGLISH[11]),
    ("3+ characters, rare", f"{RARE_ENGLISH[23]} {RARE_JAPANESE[42]}"),
    ("1-2 characters, common", "請求"),
    ("1-2 characters, common", "円"),
    ("1-2 characters, rare", RARE_SHORT[5]),
    ("1-2 characters, rare", RARE_SHORT[17]),
    ("phrase", '"cache is empty"'),
    ("filter only", "status:open org:bench-org-7"),
    ("no match", "zqxjv"),
    ("no match", "存在しない語句"),
    # The worst case of the early-stopping ranking before the gram index (issue 12): a one- or
    # two-character term in no message was a scan of every entry the person may see.
    ("1-2 characters, no match", "鰻"),
    ("1-2 characters, no match", "ゑゐ"),
    # ... and beside a common word, which the ranking would otherwise read to its end.
    ("1-2 characters, no match", "dashboard 鰻"),
)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres", help="comma-separated: sqlite, postgres")
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20, help="runs of each query through find")
    parser.add_argument("--peer-repeat", type=int, default=3, help="runs of each query by icontains")
    parser.add_argument("--writes", type=int, default=200, help="messages written with and without the index")
    parser.add_argument("--postgres-url", default=POSTGRES_ADMIN_URL, help="a database to connect to first")
    parser.add_argument(
        "--bench-database", default=BENCH_DATABASE, help="the PostgreSQL database to create and drop"
    )
    parser.add_argument(
        "--seed-into", metavar="URL", help="seed and index this empty database, keep it, stop"
    )
    parser.add_argument("--seeded", metavar="URL", help="measure this database, seeded by --seed-into before")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.seed_into or args.seeded:
        import json
        import os
        import tempfile

        os.environ["DATABASE_URL"] = args.seed_into or args.seeded
        os.environ["DJANGO_SETTINGS_MODULE"] = "policydesk.settings"
        with tempfile.TemporaryDirectory(prefix="policydesk-search-bench-") as folder:
            os.environ["POLICYDESK_DATA_DIR"] = folder
            database = "sqlite" if (args.seed_into or args.seeded).startswith("sqlite") else "postgres"
            if args.seed_into:
                print(json.dumps(seed_database(args.messages)))
                return
            result = measure_database(database, args)
        print_report([result], args)
        return
    if args.child:
        import json

        with throwaway_database(
            args.child,
            postgres_url=args.postgres_url,
            name=args.bench_database,
            prefix="policydesk-search-bench-",
        ):
            print(json.dumps(measure_database(args.child, args)))
        return
    results = []
    for database in args.databases.split(","):
        results.append(
            run_in_child(
                __file__,
                database,
                [
                    "--messages",
                    str(args.messages),
                    "--repeat",
                    str(args.repeat),
                    "--peer-repeat",
                    str(args.peer_repeat),
                    "--writes",
                    str(args.writes),
                    "--postgres-url",
                    args.postgres_url,
                    "--bench-database",
                    args.bench_database,
                ],
            )
        )
    print_report(results, args)


def print_report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print(
        f"{args.messages:,} messages on {args.messages // MESSAGES_PER_TICKET:,} tickets (Japanese and "
        f"English, seed {SEED}); find as a lead, {args.repeat} runs a query; icontains scan "
        f"{args.peer_repeat} runs a query; milliseconds\n"
    )
    rows = []
    for result in results:
        for kind, figures in result["kinds"].items():
            rows.append(
                [result["database"], kind, f"{figures['p50']:.1f}", f"{figures['p95']:.1f}",
                 f"{figures['peer_p50']:.1f}", f"{figures['peer_p95']:.1f}",
                 f"{figures['peer_p50'] / max(figures['p50'], 0.001):.1f}×"]
            )  # fmt: skip
    print_table(
        ["database", "queries", "find p50", "find p95", "icontains p50", "icontains p95", "p50 speed-up"],
        rows,
    )
    print()
    rows = [
        [r["database"], f"{r['index_mb']:.1f} MB", f"{r['grams_mb']:.1f} MB", f"{r['data_mb']:.1f} MB",
         f"{r['reindex_s']:.1f} s",
         f"{r['write_with_ms']:.2f}", f"{r['write_without_ms']:.2f}",
         f"{r['write_with_ms'] - r['write_without_ms']:+.2f}"]
        for r in results
    ]  # fmt: skip
    print_table(
        ["database", "index size", "of which grams", "messages' text", "reindex (all)",
         "write ms/message with index", "without", "index cost"],
        rows,
    )  # fmt: skip
    for result in results:
        print(f"\n{result['database']} per query (find p50 / icontains p50, ms, hits):")
        for query in result["queries"]:
            print(f"  {query['query']!r:32} {query['p50']:8.1f} / {query['peer_p50']:8.1f}   {query['hits']}")


# -- the child: one database -------------------------------------------------------------------


def measure_database(database: str, args: argparse.Namespace) -> dict[str, Any]:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    if getattr(args, "seeded", None):
        lead, ticket_for_writes, author = seeded()
        reindex_s = float("nan")  # measured by --seed-into
    else:
        call_command("migrate", verbosity=0)
        lead, ticket_for_writes, author = seed(args.messages)
        started = time.perf_counter()
        reindex_all()
        reindex_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    index_mb, grams_mb, data_mb = sizes()
    queries = [measure_query(lead, kind, query, args.repeat, args.peer_repeat) for kind, query in QUERIES]
    kinds: dict[str, dict[str, float]] = {}
    for kind in dict.fromkeys(kind for kind, _ in QUERIES):
        own = [t for q in queries if q["kind"] == kind for t in q["timings"]]
        peer = [t for q in queries if q["kind"] == kind for t in q["peer_timings"]]
        kinds[kind] = {"p50": p(own, 50), "p95": p(own, 95), "peer_p50": p(peer, 50), "peer_p95": p(peer, 95)}
    with_ms, without_ms = write_cost(ticket_for_writes, author, args.writes)
    for query in queries:
        del query["timings"], query["peer_timings"]
    return {
        "database": database, "kinds": kinds, "queries": queries, "index_mb": index_mb, "grams_mb": grams_mb,
        "data_mb": data_mb,
        "reindex_s": reindex_s, "write_with_ms": with_ms, "write_without_ms": without_ms,
    }  # fmt: skip


def p(values: list[float], percentile: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[percentile - 1]


def sentence(rng: random.Random) -> str:
    if rng.random() < 0.5:
        words = [rng.choice(JAPANESE) + rng.choice(JAPANESE_GLUE) for _ in range(rng.randrange(3, 9))]
        if rng.random() < 0.2:
            words.append(f"{rng.randrange(1, 99) * 1000:,}円の")
        return "".join(words) + rng.choice(JAPANESE_ENDINGS)
    words = [rng.choice(ENGLISH if i % 2 == 0 else ENGLISH_GLUE) for i in range(rng.randrange(6, 18))]
    if rng.random() < 0.05:
        words += ["the", "cache", "is", "empty"]
    return " ".join(words).capitalize() + "."


def message_text(rng: random.Random) -> str:
    text = " ".join(sentence(rng) for _ in range(rng.randrange(1, 4)))
    if rng.random() < RARE_SHARE:
        text += " " + rng.choice(
            (rng.choice(RARE_JAPANESE), rng.choice(RARE_ENGLISH), rng.choice(RARE_SHORT))
        )
    return text


def seed(messages: int) -> tuple[Any, Any, Any]:
    """Organisations, customers, agents, and tickets of MESSAGES_PER_TICKET messages each, in
    bulk; returns the lead, a ticket to write to, and its requester."""
    from django.db import transaction

    from policydesk.tickets import actions
    from policydesk.tickets.models import Message, Organisation, Person, Ticket

    rng = random.Random(SEED)
    lead = actions.do_create_person(
        email="lead@bench.example", password=None, role="lead", actor=None, now=NOW
    )
    organisations = Organisation.objects.bulk_create(
        Organisation(name=f"bench-org-{i}" if i % 2 else f"株式会社ベンチ{i}",
                     plan=("growth", "enterprise")[i % 2], region="emea", created_at=NOW)
        for i in range(100)
    )  # fmt: skip
    customers = Person.objects.bulk_create(
        Person(email=f"customer{i}@org{org.pk}.example", name=f"山田 {i}" if i % 2 else f"Alex {i}",
               role="customer", organisation=org, password="!")  # noqa: S106 - unusable
        for org in organisations
        for i in range(4)
    )  # fmt: skip
    tickets = messages // MESSAGES_PER_TICKET

    def rows() -> Iterator[Ticket]:
        for number in range(1, tickets + 1):
            requester = rng.choice(customers)
            created_at = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
            yield Ticket(
                number=number, organisation_id=requester.organisation_id, requester=requester, channel="web",
                topic="troubleshooting", subject=sentence(rng)[:120], priority="normal",
                status=rng.choice(("new", "open", "pending", "solved", "closed", "closed")),
                office="central-europe",
                policy_id="example-analytics", policy_version="2026-11-26", language="ja",
                created_at=created_at, updated_at=created_at,
            )  # fmt: skip

    insert_tickets(rows())
    ids = list(Ticket.objects.order_by("pk").values_list("pk", "created_at", "requester_id"))
    with transaction.atomic():
        batch: list[Message] = []
        for ticket_id, created_at, requester_id in ids:
            for index in range(MESSAGES_PER_TICKET):
                internal = index % 5 == 4
                batch.append(
                    Message(ticket_id=ticket_id, author_id=None if internal else requester_id,
                            kind="internal" if internal else "public",
                            text=message_text(rng),
                            channel="web", created_at=created_at + timedelta(minutes=index))
                )  # fmt: skip
            if len(batch) >= 5000:
                Message.objects.bulk_create(batch)
                batch = []
        Message.objects.bulk_create(batch)
    ticket = Ticket.objects.select_related("requester").get(number=1)
    return lead, ticket, ticket.requester


def seed_database(messages: int) -> dict[str, float]:
    """--seed-into: the database at DATABASE_URL migrated, seeded and indexed; the times taken."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed(messages)
    seeded_s = time.perf_counter() - started
    reindex_all()
    reindex_s = time.perf_counter() - started - seeded_s
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    return {"messages": messages, "seed_s": seeded_s, "reindex_s": reindex_s}


def seeded() -> tuple[Any, Any, Any]:
    """The lead, the ticket to write to and its requester of a database `seed` filled before."""
    from policydesk.tickets.models import Person, Ticket

    ticket = Ticket.objects.select_related("requester").get(number=1)
    return Person.objects.get(email="lead@bench.example"), ticket, ticket.requester


def reindex_all() -> None:
    """As `policydesk search reindex` does: every ticket's entries, then (SQLite) the full-text
    tables compacted."""
    from policydesk.search import indexing

    for tickets in indexing.batches(0, 1000):
        indexing.reindex(tickets)
    indexing.compact()


def sizes() -> tuple[float, float, float]:
    """(the index in MB, of which the gram index, the messages' text in MB)."""
    from django.db import connection

    megabyte = 1024 * 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(SUM(LENGTH(CAST(text AS BLOB))), 0) FROM tickets_message"
                       if connection.vendor == "sqlite" else
                       "SELECT COALESCE(SUM(octet_length(text)), 0) FROM tickets_message")  # fmt: skip
        data = cursor.fetchone()[0]
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT pg_total_relation_size('search_entry'), pg_relation_size('search_entry_body_grams')"
            )
            total, grams = cursor.fetchone()
            return total / megabyte, grams / megabyte, data / megabyte
        cursor.execute(
            "SELECT SUM(pgsize), SUM(CASE WHEN name LIKE 'search_gram_fts%' THEN pgsize ELSE 0 END) "
            "FROM dbstat WHERE name = 'search_entry' OR name LIKE 'search_fts%' "
            "OR name LIKE 'search_gram_fts%' OR name LIKE 'sqlite_autoindex_search_entry%' "
            "OR name LIKE 'search_entry_%'"
        )
        total, grams = cursor.fetchone()
        return total / megabyte, grams / megabyte, data / megabyte


def measure_query(lead: Any, kind: str, query: str, repeat: int, peer_repeat: int) -> dict[str, Any]:
    from policydesk.search.service import find

    hits = len(find(lead, query, 20))  # warm
    timings = [timed(lambda: find(lead, query, 20)) for _ in range(repeat)]
    peer_hits = len(icontains_scan(lead, query))
    peer_timings = [timed(lambda: icontains_scan(lead, query)) for _ in range(peer_repeat)]
    return {
        "kind": kind, "query": query, "hits": hits, "peer_hits": peer_hits, "timings": timings,
        "peer_timings": peer_timings, "p50": p(timings, 50), "peer_p50": p(peer_timings, 50),
    }  # fmt: skip


def icontains_scan(lead: Any, query: str) -> list[Any]:
    """The peer: every term `icontains` in the subject or any message, as a desk without an index
    would (the same permissions and filters; no normalisation, newest first)."""
    from django.db.models import Exists, OuterRef, Q

    from policydesk.search.query import parse
    from policydesk.search.service import filtered
    from policydesk.tickets.access import visible_tickets
    from policydesk.tickets.models import Message

    parsed = parse(query)
    tickets = filtered(visible_tickets(lead), parsed, lead)
    for term in parsed.terms:
        in_messages = Exists(Message.objects.filter(ticket=OuterRef("pk"), text__icontains=term))
        tickets = tickets.filter(Q(subject__icontains=term) | in_messages)
    return list(tickets.order_by("-created_at")[:20])


def timed(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return (time.perf_counter() - started) * 1000


def write_cost(ticket: Any, author: Any, count: int) -> tuple[float, float]:
    """Milliseconds per `do_customer_reply` with the index's receivers connected and without,
    alternating so that both see the same database."""
    from policydesk.search import receivers
    from policydesk.tickets import actions

    with_index: list[float] = []
    without_index: list[float] = []
    for index in range(count):
        connected = index % 2 == 0
        if not connected:
            disconnect(receivers)
        text = f"書き込みの計測 {index}: the cache is empty again after the upgrade, 請求書も表示されません。"
        elapsed = timed(
            lambda text=text: actions.do_customer_reply(ticket=ticket, customer=author, text=text, now=NOW)
        )
        if not connected:
            receivers.connect()
        (with_index if connected else without_index).append(elapsed)
    return statistics.median(with_index), statistics.median(without_index)


def disconnect(receivers: Any) -> None:
    from django.db.models.signals import post_save

    for uid in ("ticket", "message", "attachment", "person", "organisation"):
        post_save.disconnect(dispatch_uid=f"search.{uid}", sender=_sender(uid))


def _sender(uid: str) -> Any:
    from policydesk.tickets import models

    return {"ticket": models.Ticket, "message": models.Message, "attachment": models.Attachment,
            "person": models.Person, "organisation": models.Organisation}[uid]  # fmt: skip


if __name__ == "__main__":
    main()
