"""Separate processes sharing one database, as separate web processes do: the limits and
single-use tokens of `portal/limits.py` must hold across them (issue 9, findings 8 and 9).

    python -m tests.portal.processes migrate
    python -m tests.portal.processes take RULE_LIMIT TIMES READY_DIR PROCESSES
    python -m tests.portal.processes use TOKEN READY_DIR PROCESSES

The database is DATABASE_URL's. `take` and `use` wait until every process is ready, then
print how many uses they got.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], url: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ROOT}"}
    return subprocess.Popen(  # noqa: S603 - this very module
        [sys.executable, "-m", "tests.portal.processes", *args],
        env=env,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def shared_database(tmp_path: Path) -> str:
    """A database other processes can open: the test database on PostgreSQL (use it from a
    `transaction=True` test), a migrated SQLite file otherwise (the tests' own is in memory)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        given = connection.settings_dict
        user = quote(given["USER"] or "") + (":" + quote(given["PASSWORD"]) if given["PASSWORD"] else "")
        return f"postgres://{user}@{given['HOST'] or '127.0.0.1'}:{given['PORT'] or 5432}/{given['NAME']}"
    url = f"sqlite:///{tmp_path / 'shared.sqlite3'}"
    migrating = _run(["migrate"], url)
    _out, err = migrating.communicate(timeout=300)
    assert migrating.returncode == 0, err
    return url


def run_together(commands: list[list[str]], url: str, ready: Path) -> list[str]:
    """Start one process per command at once on `url`; what each printed."""
    ready.mkdir()
    processes = [_run(command, url) for command in commands]
    answers = []
    for process in processes:
        out, err = process.communicate(timeout=300)
        assert process.returncode == 0, err
        answers.append(out.strip())
    return answers


def wait_for_the_others(ready: Path, processes: int) -> None:
    (ready / str(os.getpid())).touch()
    deadline = time.monotonic() + 60
    while len(list(ready.iterdir())) < processes and time.monotonic() < deadline:
        time.sleep(0.01)


def main(argv: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "policydesk.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from policydesk.portal import limits

    command, *args = argv
    if command == "migrate":
        call_command("migrate", "portal", verbosity=0)
        return
    if command == "take":
        limit, times, ready, processes = int(args[0]), int(args[1]), Path(args[2]), int(args[3])
        rule = limits.Rule("process-test", limit, timedelta(hours=1), ("account",))
        wait_for_the_others(ready, processes)
        taken = [limits.take((rule,), {"account": "hanna@kumo.example"}, NOW) for _ in range(times)]
        print(sum(isinstance(outcome, limits.Taken) for outcome in taken))
        return
    if command == "use":
        token, ready, processes = args[0], Path(args[1]), int(args[2])
        wait_for_the_others(ready, processes)
        print(int(limits.use_once("process-test", token, NOW + timedelta(hours=1), NOW)))
        return
    raise SystemExit(f"unknown command {command!r}")


if __name__ == "__main__":
    main(sys.argv[1:])
