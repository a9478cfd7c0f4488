"""`policydesk worker`: the task worker (django_tasks_db's `db_worker`) with the SLA watch
loop running beside it in the same process.

Run one or many, on one or many machines: tasks are claimed once by the database backend,
timers and deliveries by conditional updates (docs/sla-watch.md), so extra workers only add
capacity. `--no-watch` runs tasks only; `--batch` runs one watch pass, then the queued
tasks, then exits (cron-style, and what the tests use).
"""

from __future__ import annotations

import logging
import os
import random
import time
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.core.management.base import CommandError
from django.db import OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV, run_with_reloader
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from policydesk.mail import conf as mail_conf
from policydesk.mail.tasks import SEND_TASK_PATH, send_batch
from policydesk.ops import checkpoint
from policydesk.ops.heartbeats import Beating
from policydesk.ops.loops import Every
from policydesk.ops.models import Heartbeat
from policydesk.search import pending
from policydesk.search.compaction import CompactLoop, interval_seconds
from policydesk.watch import config
from policydesk.watch.timers import Watch

log = logging.getLogger("policydesk.watch")


class WatchLoop(Every):
    """The SLA watch: a pass every `interval` seconds until stopped."""

    def __init__(self, interval: float) -> None:
        super().__init__("sla-watch", interval, log)
        self.watch = Watch()

    def run(self) -> None:
        log.info("SLA watch started: a pass every %ss", self.interval)
        super().run()

    def work(self) -> None:
        figures = self.watch.tick(timezone.now())
        if any(figures.values()):
            log.info("SLA watch pass: %s", figures)


class Worker(db_worker.Worker):
    """db_worker's worker, starting and stopping the watch loop with itself."""

    def __init__(self, *, watch_interval: float | None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.watch_interval = watch_interval
        self.loop: WatchLoop | None = None
        self.compaction: CompactLoop | None = None
        self.checkpoints: checkpoint.CheckpointLoop | None = None
        self.next_index = 0.0  # time.monotonic() of the next look for tickets to index

    def run(self) -> None:
        # "Still here" every few seconds, for /readyz (ops/heartbeats.py); not for a --batch run.
        heartbeat = None if self.batch else Beating(Heartbeat.Kind.WORKER)
        if heartbeat is not None:
            heartbeat.start()
        try:
            self._run()
        finally:
            if heartbeat is not None:
                heartbeat.stop()

    def _run(self) -> None:
        if self.batch:  # new tickets' search entries, all of them, before the tasks
            pending.index_all_pending()
        if self.watch_interval is not None:
            if self.batch:
                figures = Watch(plan_per_pass=None).tick(timezone.now())
                log.info("SLA watch pass: %s", figures)
            else:
                self.loop = WatchLoop(self.watch_interval)
                self.loop.start()
        if not self.batch and connection.vendor == "sqlite" and interval_seconds():
            self.compaction = CompactLoop(interval_seconds())
            self.compaction.start()
        if not self.batch and connection.vendor == "sqlite" and checkpoint.interval_seconds():
            self.checkpoints = checkpoint.CheckpointLoop(checkpoint.interval_seconds())
            self.checkpoints.start()
        try:
            self.run_tasks()
        finally:
            self.stop_watch()

    def run_tasks(self) -> None:
        """db_worker's loop (`db_worker.Worker.run`), with the mail first: ready sends are taken
        and sent a batch at a time (`mail.tasks.send_batch`: one claim, one connection, one
        record for the batch), every other task one at a time as db_worker takes it.

        A batch that emptied the queue (fewer than the batch size taken) is followed by a short
        wait (`POLICYDESK_MAIL_SEND_GATHER_SECONDS`) unless another task ran: under a steady
        stream of tickets the loop would otherwise claim one or two mails at a time, three write
        transactions each, competing with the intakes for the database (issue 17)."""
        log.info("Starting worker worker_id=%s queues=%s", self.worker_id, ",".join(self.queue_names))
        if self.startup_delay and self.interval:
            time.sleep(random.random())  # noqa: S311 - spreads workers started together, no secret
        while self.running:
            close_old_connections()
            self.index_when_due()
            ready = DBTaskResult.objects.ready().filter(backend_name=self.backend_name)
            if not self.process_all_queues:
                ready = ready.filter(queue_name__in=self.queue_names)
            if self.excluded_queue_names:
                ready = ready.exclude(queue_name__in=self.excluded_queue_names)
            looked, taken, limit = self.send_mail_batch(ready)
            ran_other = False
            if self.running and self._below_max_tasks():
                looked_too, ran_other = self.run_one(ready.exclude(task_path=SEND_TASK_PATH))
                looked = looked and looked_too
            ran = ran_other or taken > 0
            if self.batch and looked and not ran:
                log.info("No more tasks to run for worker_id=%s - exiting gracefully.", self.worker_id)
                return
            if not self._below_max_tasks():
                log.info(
                    "Run maximum tasks (%d) on worker=%s - exiting gracefully.",
                    self._run_tasks,
                    self.worker_id,
                )
                return
            close_old_connections()
            if self.running and not ran:
                time.sleep(self.interval)
            elif self.running and not ran_other and taken < limit and not self.batch:
                time.sleep(mail_conf.send_gather_seconds())  # the queue is empty: let mail gather

    def index_when_due(self) -> None:
        """New tickets' search entries written (`search.pending.index_for`, docs/search.md) every
        POLICYDESK_SEARCH_INDEX_SECONDS, in this loop, between batches of tasks. Not in a
        thread of its own: under load that thread held SQLite's write lock while it waited for
        the interpreter's lock, which the sending of mail held, and intakes waited behind both
        (p99 60 -> 212 ms, BENCHMARKS.md). A failed look is logged; the next one tries again."""
        interval = pending.interval_seconds()
        if self.batch or not interval or time.monotonic() < self.next_index:
            return  # a --batch run indexed them all before its tasks
        more = False
        try:
            # At most LOOK_SECONDS a look; a backlog left over is taken up at the next turn of
            # the loop, the mail and tasks of this one done first.
            _, more = pending.index_for(pending.LOOK_SECONDS)
        except Exception:
            log.exception("writing new tickets' search entries failed; trying again in %ss", interval)
        self.next_index = time.monotonic() + (0 if more else interval)

    def _below_max_tasks(self) -> bool:
        return self.max_tasks is None or self._run_tasks < self.max_tasks

    def send_mail_batch(self, ready: DBTaskResultQuerySet) -> tuple[bool, int, int]:
        """A batch of ready sends; (whether the queue could be read, how many were taken, the
        most the batch could take)."""
        limit = mail_conf.send_batch()
        if self.max_tasks is not None:
            limit = min(limit, self.max_tasks - self._run_tasks)
        self.running_task = True  # a stop signal lets the batch finish
        try:
            taken = send_batch(ready, worker_id=self.worker_id, limit=limit, now=timezone.now())
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            return False, 0, limit  # locked: try again next round
        finally:
            self.running_task = False
        self._run_tasks += taken
        return True, taken, limit

    def run_one(self, ready: DBTaskResultQuerySet) -> tuple[bool, bool]:
        """One other task, claimed and run as db_worker does; (read the queue, ran one).
        A plain read first: finding none (the usual answer beside a stream of mail) takes no
        write transaction, which on SQLite would wait for, and hold up, the intakes' writes."""
        try:
            if not ready.exists():
                return True, False
            with exclusive_transaction(ready.db):
                task_result = ready.get_locked()
                if task_result is not None:
                    task_result.claim(self.worker_id)  # so no other worker runs it
        except OperationalError as error:
            if not is_locked_database_exception(error):
                raise
            return False, False
        if task_result is None:
            return True, False
        self.run_task(task_result)
        return True, True

    def stop_watch(self) -> None:
        for loop in (self.loop, self.compaction, self.checkpoints):
            if loop is not None:
                loop.stopped.set()
                loop.join(timeout=10)

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        # Let a watch pass finish its transaction; one cut short rolls back harmlessly anyway.
        self.stop_watch()
        super().shutdown(signum, frame)


class Command(db_worker.Command):
    help = "Run the task worker and the SLA watch loop (several may run at once)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--watch-interval",
            type=db_worker.valid_interval,
            default=None,
            help="Seconds between SLA watch passes (default: POLICYDESK_WATCH_INTERVAL, 5).",
        )
        parser.add_argument("--no-watch", action="store_true", help="Run tasks only, no SLA watch loop.")

    def handle(self, *args: Any, **options: Any) -> None:
        # db_worker's handle, building our Worker (same options, same reload behaviour).
        self.configure_logging(options["verbosity"])
        interval = options["watch_interval"]
        watch_interval = (
            None if options["no_watch"] else interval if interval is not None else config.watch_interval()
        )
        reload, batch = options["reload"], options["batch"]
        if reload and batch:
            log.warning("--reload and --batch cannot be specified together; autoreload is off.")
            reload = False
        queue_names = options["queue_name"].split(",")
        excluded = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = Worker(
            watch_interval=watch_interval,
            queue_names=queue_names,
            interval=options["interval"],
            batch=batch,
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded,
        )
        if reload:
            if os.environ.get(DJANGO_AUTORELOAD_ENV) == "true":
                worker.configure_signals()  # only the child process runs tasks
            run_with_reloader(worker.run)
        else:
            worker.configure_signals()
            worker.run()
