"""One setting, two values, side by side: the desk's ticket intake served by `policydesk serve`
(gunicorn, 2 sync workers) with the environment variable NAME at A, then at B, alternated round
by round on one database, so that load from elsewhere on the machine and the database's growth
fall on both (issue 17).

    .venv/bin/python benchmarks/settings_ab.py POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT 1000 10000 \
        [--databases sqlite] [--requests 2000] [--rounds 3] [--concurrency 8]

The database is a throwaway one, set up as `benchmarks/servers.py` sets up its own (migrated,
`policydesk demo`, the shared harness's bench customers and agent token), loaded by the shared
closed-loop generator: token-authenticated `POST /api/v1/tickets`, each 201 checked. With
`--worker`, `policydesk worker` runs beside the server in every run (started before the load,
stopped after it), sending the acknowledgements as they are enqueued; the server CPU figure is the
web server's alone. Prints each run, then the medians and the B/A ratios.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from harness import print_table, throwaway_database
from servers import BIN, measure, set_up_desk


def start_worker(env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(  # noqa: S603 - our own command
        [str(BIN / "policydesk"), "worker"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        start_new_session=True,
    )  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("name", help="the environment variable")
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("--databases", default="sqlite")
    parser.add_argument("--requests", type=int, default=2000, help="per run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--postgres", default="postgres://postgres@127.0.0.1:5432/test")
    parser.add_argument("--worker", action="store_true", help="run policydesk worker beside the server")
    args = parser.parse_args()
    rows = []
    for database in args.databases.split(","):
        with throwaway_database(
            database, postgres_url=args.postgres, name="policydesk_settings_ab", prefix="settings-ab-"
        ):
            env, token = set_up_desk(args.requests)
            runs: dict[str, list[dict[str, Any]]] = {args.a: [], args.b: []}
            for round_ in range(1, args.rounds + 1):
                for value in (args.a, args.b):
                    side = {**env, args.name: value}
                    worker = start_worker(side) if args.worker else None
                    try:
                        result = measure("gunicorn", args.requests, args.concurrency, token, side)
                    finally:
                        if worker is not None:
                            os.killpg(worker.pid, signal.SIGTERM)
                            worker.wait(timeout=30)
                    runs[value].append(result)
                    rps, cpu = result["ok_rps"], result.get("server_cpu_ms_per_ok") or 0
                    label = f"{database} round {round_} {args.name}={value}"
                    print(f"{label}: {rps:.1f} req/s, {cpu:.2f} ms CPU/ticket", flush=True)
            medians = {
                value: (
                    statistics.median(r["ok_rps"] for r in done),
                    statistics.median(r["lat_ms"]["p99"] for r in done),
                    statistics.median(r.get("server_cpu_ms_per_ok") or 0 for r in done),
                )
                for value, done in runs.items()
            }
            (rps_a, p99_a, cpu_a), (rps_b, p99_b, cpu_b) = medians[args.a], medians[args.b]
            rows.append([database, args.a, f"{rps_a:.0f}", f"{p99_a:.0f}", f"{cpu_a:.2f}"])
            rows.append([database, args.b, f"{rps_b:.0f}", f"{p99_b:.0f}", f"{cpu_b:.2f}"])
            ratio_cpu = f"{cpu_b / cpu_a:.2f}" if cpu_a else "-"
            rows.append([database, "B/A", f"{rps_b / rps_a:.2f}", f"{p99_b / p99_a:.2f}", ratio_cpu])
    print()
    print(f"{args.name}: A={args.a}, B={args.b}; medians of {args.rounds} alternated rounds")
    print_table(["database", args.name, "req/s", "p99 ms", "server CPU ms/ticket"], rows)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
