"""A piece of work a long-running process repeats on a thread of its own (the worker's SLA watch
and search compaction): every `interval` seconds until stopped, a failed run logged and tried
again at the next, the thread's database connection closed when it ends."""

from __future__ import annotations

import logging
import threading

from django.db import close_old_connections, connection


class Every(threading.Thread):
    """Runs `work()` every `interval` seconds until `stopped` is set: at once and then after each
    wait, or, with `wait_first`, only after the first wait. Subclasses write `work`."""

    def __init__(self, name: str, interval: float, log: logging.Logger, *, wait_first: bool = False) -> None:
        super().__init__(name=name, daemon=True)
        self.interval = interval
        self.log = log
        self.wait_first = wait_first
        self.stopped = threading.Event()

    def work(self) -> None:
        raise NotImplementedError

    def run(self) -> None:
        try:
            if self.wait_first and self.stopped.wait(self.interval):
                return
            while not self.stopped.is_set():
                close_old_connections()
                try:
                    self.work()
                except Exception:
                    # A failed run (a locked database, a broken policy edit) is retried next time.
                    self.log.exception("%s failed", self.name)
                self.stopped.wait(self.interval)
        finally:
            connection.close()
