"""Heartbeats: each worker and SMTP listener writes "still here" every `INTERVAL` seconds, so that
`/readyz` (and an operator reading the table) can tell a dead process from a quiet one, across
hosts: the rows are in the shared database.

`beat` is one conditional UPDATE, and an INSERT the first time; rows of processes gone a day are
removed by the next beat of the same kind. `Beating` runs it on a daemon thread."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.db import DatabaseError, close_old_connections, connection
from django.utils import timezone

from policydesk.ops.models import Heartbeat

log = logging.getLogger("policydesk.ops")

INTERVAL = 15.0  # seconds between beats
GONE = timedelta(days=1)  # a row not touched for this long is a process that ended


def this_process() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def beat(kind: str, now: datetime, process: str | None = None, started_at: datetime | None = None) -> None:
    """Record that `process` (this one by default) of `kind` is alive at `now`."""
    process = process or this_process()
    if not Heartbeat.objects.filter(process=process).update(beat_at=now, kind=kind):
        Heartbeat.objects.get_or_create(
            process=process, defaults={"kind": kind, "started_at": started_at or now, "beat_at": now}
        )
        Heartbeat.objects.filter(kind=kind, beat_at__lt=now - GONE).delete()


def latest(kind: str) -> datetime | None:
    """When a process of `kind` last said it was alive, on any host (None: never)."""
    return Heartbeat.objects.filter(kind=kind).order_by("-beat_at").values_list("beat_at", flat=True).first()


def stop(process: str | None = None) -> None:
    """A process that ends cleanly removes its row (a killed one ages out)."""
    Heartbeat.objects.filter(process=process or this_process()).delete()


class Beating(threading.Thread):
    """Beats every `interval` seconds until `stopped` is set; a failed beat (the database away for a
    moment) is logged and tried again at the next one."""

    def __init__(self, kind: str, interval: float = INTERVAL) -> None:
        super().__init__(name=f"heartbeat-{kind}", daemon=True)
        self.kind, self.interval = kind, interval
        self.stopped = threading.Event()
        self.process = this_process()

    def run(self) -> None:
        started = timezone.now()
        try:
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    beat(self.kind, timezone.now(), self.process, started)
                except DatabaseError:
                    log.warning(
                        "heartbeat of %s %s failed; next try in %ss", self.kind, self.process, self.interval
                    )
                self.stopped.wait(self.interval)
            with contextlib.suppress(DatabaseError):  # if not, its row ages out
                stop(self.process)
        finally:
            connection.close()

    def stop(self, timeout: float = 5.0) -> None:
        self.stopped.set()
        self.join(timeout=timeout)
