"""Heartbeats (ops/heartbeats.py): one row per process, touched in place; rows of processes gone a
day are removed; a process that stops cleanly removes its own."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from django.db import OperationalError

from policydesk.ops import heartbeats
from policydesk.ops.models import Heartbeat

NOW = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_a_process_keeps_one_row_however_often_it_beats() -> None:
    heartbeats.beat("worker", NOW, process="web-1:10")
    heartbeats.beat("worker", NOW + timedelta(seconds=15), process="web-1:10")
    row = Heartbeat.objects.get()
    assert (row.process, row.started_at, row.beat_at) == ("web-1:10", NOW, NOW + timedelta(seconds=15))
    assert heartbeats.latest("worker") == NOW + timedelta(seconds=15)
    assert heartbeats.latest("smtpd") is None


@pytest.mark.django_db
def test_rows_of_processes_gone_a_day_are_removed_by_a_new_one() -> None:
    heartbeats.beat("worker", NOW - timedelta(days=2), process="old:1")
    heartbeats.beat("smtpd", NOW - timedelta(days=2), process="old:2")
    heartbeats.beat("worker", NOW, process="new:1")
    assert sorted(Heartbeat.objects.values_list("process", flat=True)) == ["new:1", "old:2"]


@pytest.mark.django_db(transaction=True)
def test_the_beating_thread_beats_and_removes_its_row_when_stopped() -> None:
    beating = heartbeats.Beating("smtpd", interval=0.05)
    beating.start()
    deadline = time.monotonic() + 10
    while not _written():
        assert time.monotonic() < deadline, "no heartbeat written"
        time.sleep(0.05)
    beating.stop()
    assert not beating.is_alive()
    assert not Heartbeat.objects.exists()


def _written() -> bool:
    """This process's row is there. The tests' SQLite database is in memory with a shared cache,
    whose table locks refuse a read at once ("database table is locked", no busy timeout) while
    the beating thread writes: such a read counts as not yet (CI flaked on it, sixth session)."""
    try:
        return Heartbeat.objects.filter(process=heartbeats.this_process()).exists()
    except OperationalError as error:
        if "locked" not in str(error):
            raise
        return False
