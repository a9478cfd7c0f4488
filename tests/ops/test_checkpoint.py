"""SQLite's write-ahead log copied into the database by the worker (`ops/checkpoint.py`, issue 17):
a passive checkpoint copies every frame the log holds, the worker's loop runs one every interval
and outlives a failed one, and the interval is the operator's."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from policydesk.ops import checkpoint
from tests.conftest import assert_loop_outlives_a_failure, run_with_settings

#: A connection of the desk's settings to a file database: rows written in autocommit (each its
#: own commit, fewer pages than the mark, so the log keeps them), then one checkpoint.
WRITE_AND_CHECKPOINT = """
import django; django.setup()
from django.db import connection
from policydesk.ops.checkpoint import checkpoint
with connection.cursor() as cursor:
    cursor.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, body TEXT)")
    for n in range(200):
        cursor.execute("INSERT INTO t (body) VALUES (%s)", ["x" * 500])
frames, copied = checkpoint()
again = checkpoint()
with connection.cursor() as cursor:
    cursor.execute("SELECT COUNT(*) FROM t")
    rows = cursor.fetchone()[0]
print(frames, copied, again[1], rows)
"""


def test_a_checkpoint_copies_every_frame_of_the_log(tmp_path: Path) -> None:
    done = run_with_settings(
        tmp_path, WRITE_AND_CHECKPOINT, DJANGO_SETTINGS_MODULE="policydesk.settings", POLICYDESK_DEBUG="1"
    )
    assert done.returncode == 0, done.stderr
    frames, copied, copied_again, rows = (int(word) for word in done.stdout.split())
    assert frames > 200  # the mark (10,000 pages) was never passed: every commit still in the log
    assert copied == frames  # no reader held the log back
    assert copied_again == frames  # nothing new: the same log, already copied
    assert rows == 200


def test_the_worker_loop_checkpoints_every_interval_and_outlives_a_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert_loop_outlives_a_failure(
        monkeypatch, checkpoint, "checkpoint", lambda: checkpoint.CheckpointLoop(0.01), (10, 10)
    )


def test_the_interval_comes_from_the_setting(settings: Any) -> None:
    settings.POLICYDESK_SQLITE_CHECKPOINT_SECONDS = 2.5
    assert checkpoint.interval_seconds() == 2.5
    settings.POLICYDESK_SQLITE_CHECKPOINT_SECONDS = -1
    assert checkpoint.interval_seconds() == 0
