"""gunicorn against granian, serving the desk's ticket intake: the measurement behind the choice
of `policydesk serve` (issue 16).

    .venv/bin/uv pip install --python .venv/bin/python granian    # only for this measurement
    .venv/bin/python benchmarks/servers.py [--databases sqlite,postgres] [--requests 2000] [--rounds 2]

Each database is a throwaway one, migrated and filled by `policydesk demo`, with the bench
customers and the agent token of the shared intake harness (`../shared/peers/intake-side-by-side/
setup_ours.py`). Each server runs 2 worker processes (gunicorn's sync workers, as
`POLICYDESK_WEB_THREADS=1`; granian's WSGI interface with its defaults otherwise) and is loaded by
the shared closed-loop generator (`../shared/peers/django-helpdesk/loadgen.py`): token-
authenticated `POST /api/v1/tickets` at concurrency 8, each 201 checked. The servers alternate
(gunicorn, granian, gunicorn, granian, ...) so load from elsewhere on the machine falls on both.
Prints one Markdown table: requests per second, latency p50/p99 and the server's CPU per ticket,
the median of the rounds, and granian/gunicorn ratios.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import ROOT, print_table, throwaway_database

BIN = ROOT / ".venv" / "bin"
PEERS = ROOT.parent / "shared" / "peers"
LOADGEN = PEERS / "django-helpdesk" / "loadgen.py"
SETUP = PEERS / "intake-side-by-side" / "setup_ours.py"
WARMUP = 50
FRESH = "gunicorn, a connection per request"  # POLICYDESK_DB_CONN_MAX_AGE=0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def server_command(server: str, port: int) -> list[str]:
    if server.startswith("gunicorn"):
        return [
            str(BIN / "policydesk"),
            "serve",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--threads",
            "1",
        ]
    return [
        str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
        "--workers", "2", "--no-ws", "--log-level", "error", "policydesk.wsgi:application",
    ]  # fmt: skip


def set_up_desk(requests: int) -> tuple[dict[str, str], str]:
    """The database `throwaway_database` points at, made ready to be served: migrated, `policydesk
    demo`, and the shared harness's bench customers (bench{n}@example.com for every request number
    n of a run of `requests`, warm-up included) and agent token. Returns the environment to serve
    it with, and the token."""
    env = {
        **os.environ,
        "POLICYDESK_SECRET_KEY": os.environ.get("POLICYDESK_SECRET_KEY") or "bench-" + "k" * 50,
        "POLICYDESK_LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT / "src"),
        # Every acknowledgement is queued alike (the per-recipient limit would drop some).
        "POLICYDESK_MAIL_RATE_LIMIT_COUNT": "1000000",
    }
    for command in (["migrate", "--noinput"], ["demo"]):
        policydesk = [str(BIN / "policydesk"), *command]
        subprocess.run(policydesk, env=env, check=True, stdout=subprocess.DEVNULL)  # noqa: S603 - ours
    with tempfile.TemporaryDirectory() as folder:
        fixture = Path(folder) / "bench.json"
        subprocess.run(  # noqa: S603 - the shared harness's set-up
            [str(BIN / "python"), str(SETUP), str(fixture), str(requests + WARMUP)],
            env=env, check=True, stdout=subprocess.DEVNULL,
        )  # fmt: skip
        return env, str(json.loads(fixture.read_text())["token"])


def measure(server: str, requests: int, concurrency: int, token: str, env: dict[str, str]) -> dict[str, Any]:
    port = free_port()
    if server == FRESH:
        env = {**env, "POLICYDESK_DB_CONN_MAX_AGE": "0"}
    process = subprocess.Popen(  # noqa: S603 - our own command
        server_command(server, port), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            body = (
                '{"topic": "troubleshooting", "subject": "Export stops {n}", "text": "At 1,000 rows.", '
                '"requester_email": "bench' + "{n}" + '@example.com"}'
            )
            subprocess.run(  # noqa: S603 - the shared load generator
                [
                    sys.executable, str(LOADGEN), "--url", f"http://127.0.0.1:{port}/api/v1/tickets",
                    "-n", str(requests), "-c", str(concurrency), "-w", str(WARMUP),
                    "-H", "Authorization: Bearer ${BENCH_TOKEN}", "-H", "Content-Type: application/json",
                    "--body", body, "--expect", "201", "--cpu-pid", str(process.pid), "--label", server,
                    "--json-out", out.name,
                ],
                env={**env, "BENCH_TOKEN": token}, check=True, stdout=subprocess.DEVNULL,
            )  # fmt: skip
            return dict(json.loads(Path(out.name).read_text()))
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--databases", default="sqlite,postgres")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    args = parser.parse_args()
    if not (BIN / "granian").exists():
        raise SystemExit(
            "granian is not installed: .venv/bin/uv pip install --python .venv/bin/python granian"
        )
    rows = []
    per_run = args.requests // args.rounds
    for database in args.databases.split(","):
        with throwaway_database(
            database, postgres_url=args.postgres, name="policydesk_servers", prefix="servers-"
        ):
            env, token = set_up_desk(per_run)
            servers = ["gunicorn", "granian"]
            if database == "postgres":  # persistent connections (the default) against one per request
                servers.append(FRESH)
            results: dict[str, list[dict[str, Any]]] = {server: [] for server in servers}
            load_before = os.getloadavg()
            for _ in range(args.rounds):
                for server in servers:
                    results[server].append(
                        measure(server, args.requests // args.rounds, args.concurrency, token, env)
                    )
            load_after = os.getloadavg()
            medians = {
                server: {
                    "rps": statistics.median(r["ok_rps"] for r in runs),  # answers checked 201
                    "p50": statistics.median(r["lat_ms"]["p50"] for r in runs),
                    "p99": statistics.median(r["lat_ms"]["p99"] for r in runs),
                    "cpu": statistics.median(r.get("server_cpu_ms_per_ok") or 0 for r in runs),
                    "errors": sum(r["error_count"] for r in runs),
                }
                for server, runs in results.items()
            }
            for server in servers:
                m = medians[server]
                rows.append(
                    [
                        database, server, f"{m['rps']:.0f}", f"{m['p50']:.1f}", f"{m['p99']:.1f}",
                        f"{m['cpu']:.1f}", str(m["errors"]), f"{load_before[0]:.1f} / {load_after[0]:.1f}",
                    ]
                )  # fmt: skip
            for other in servers[1:]:
                g, r = medians["gunicorn"], medians[other]
                rows.append(
                    [
                        database, f"{other} / gunicorn", f"{r['rps'] / g['rps']:.2f}",
                        f"{r['p50'] / g['p50']:.2f}", f"{r['p99'] / g['p99']:.2f}",
                        f"{r['cpu'] / g['cpu']:.2f}" if g["cpu"] else "-", "", "",
                    ]
                )  # fmt: skip
    print(
        f"POST /api/v1/tickets, {args.requests} requests per server and database in {args.rounds} "
        f"alternated rounds, concurrency {args.concurrency}, 2 worker processes each, {os.cpu_count()} CPUs"
    )
    print()
    print_table(
        [
            "database",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "server CPU ms/ticket",
            "errors",
            "load 1 min before / after",
        ],
        rows,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
