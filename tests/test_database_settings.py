"""The database settings as an operator's environment makes them (issue 17): on PostgreSQL,
parameters bound by the server and statements kept prepared, unless a pooler forbids it; on
SQLite, the write-ahead log checkpointed every 10,000 pages unless the operator says otherwise."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import run_with_settings

PRINT_OPTIONS = (
    "import json, policydesk.settings as s; d = s.DATABASES['default'];"
    "print(json.dumps([d['ENGINE'], d.get('OPTIONS', {})]))"
)


def database_settings(tmp_path: Path, **environment: str) -> tuple[subprocess.CompletedProcess[str], Any]:
    done = run_with_settings(tmp_path, PRINT_OPTIONS, **environment)
    return done, json.loads(done.stdout) if done.returncode == 0 else None


POSTGRES = "postgres://desk@db.internal:5432/desk"


def test_postgresql_binds_on_the_server_and_prepares_what_it_runs_often(tmp_path: Path) -> None:
    _done, (engine, options) = database_settings(tmp_path, DATABASE_URL=POSTGRES)
    assert engine == "django.db.backends.postgresql"
    assert options["server_side_binding"] is True and options["prepare_threshold"] == 5


@pytest.mark.parametrize(("given", "threshold"), [("none", None), ("None", None), ("0", 0), ("20", 20)])
def test_the_prepare_threshold_follows_the_environment(
    tmp_path: Path, given: str, threshold: int | None
) -> None:
    _done, (_engine, options) = database_settings(
        tmp_path, DATABASE_URL=POSTGRES, POLICYDESK_DB_PREPARE_THRESHOLD=given
    )
    assert options["prepare_threshold"] == threshold


def test_a_threshold_that_is_no_number_is_refused_with_its_name(tmp_path: Path) -> None:
    done, _options = database_settings(tmp_path, DATABASE_URL=POSTGRES, POLICYDESK_DB_PREPARE_THRESHOLD="-1")
    assert done.returncode != 0 and "POLICYDESK_DB_PREPARE_THRESHOLD='-1'" in done.stderr


def test_sqlite_has_no_such_options(tmp_path: Path) -> None:
    _done, (engine, options) = database_settings(tmp_path)
    assert engine == "policydesk.sqlite_writers"
    assert "server_side_binding" not in options and "prepare_threshold" not in options


#: What a connection made from the settings says of its write-ahead log: the desk's checkpoint
#: mark (after the commit, the writers' lock let go), SQLite's own (twice it) and the journal.
PRINT_CHECKPOINT = (
    "import django; django.setup(); from django.db import connection;"
    "c = connection.cursor(); c.execute('PRAGMA wal_autocheckpoint'); w = c.fetchone()[0];"
    "c.execute('PRAGMA journal_mode'); print(connection._checkpoint_pages, w, c.fetchone()[0])"
)


def sqlite_connection_says(tmp_path: Path, **environment: str) -> subprocess.CompletedProcess[str]:
    return run_with_settings(
        tmp_path, PRINT_CHECKPOINT, DJANGO_SETTINGS_MODULE="policydesk.settings", POLICYDESK_DEBUG="1",
        **environment,
    )  # fmt: skip


def test_sqlite_checkpoints_its_log_every_ten_thousand_pages(tmp_path: Path) -> None:
    done = sqlite_connection_says(tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["10000", "20000", "wal"]


def test_the_checkpoint_mark_follows_the_environment(tmp_path: Path) -> None:
    done = sqlite_connection_says(tmp_path, POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT="1000")
    assert done.stdout.split() == ["1000", "2000", "wal"]


def test_a_mark_of_zero_leaves_the_log_to_something_else(tmp_path: Path) -> None:
    done = sqlite_connection_says(tmp_path, POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT="0")
    assert done.stdout.split() == ["0", "0", "wal"]


@pytest.mark.parametrize("given", ["-5", "many"])
def test_a_checkpoint_mark_that_is_no_count_of_pages_is_refused_with_its_name(
    tmp_path: Path, given: str
) -> None:
    done = sqlite_connection_says(tmp_path, POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT=given)
    assert done.returncode != 0 and "POLICYDESK_SQLITE_WAL_AUTOCHECKPOINT" in done.stderr
