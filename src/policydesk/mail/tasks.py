"""Tasks of the email channel (django_tasks; the worker is `policydesk db_worker`)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django_tasks import task
from django_tasks.base import TaskResultStatus
from django_tasks_db import DatabaseBackend
from django_tasks_db.models import DBTaskResult, DBTaskResultQuerySet
from django_tasks_db.utils import exclusive_transaction

from policydesk.mail import sending
from policydesk.mail.models import OutgoingMail
from policydesk.ops.tasks_backend import DatabaseBackend as OurDatabaseBackend
from policydesk.ops.tasks_backend import PreparedTask


def send_and_retry(outgoing_id: int, now: datetime) -> str:
    """Send one recorded message; a refused send is enqueued again at its backoff time (where
    the task backend can defer), and the failure raised so the task result shows it."""
    try:
        return sending.send(outgoing_id, now=now)
    except sending.SendFailed as failed:
        if failed.retry_at is not None and send_outgoing_mail.get_backend().supports_defer:
            send_outgoing_mail.using(run_after=failed.retry_at).enqueue(outgoing_id)
        raise


@task()
def send_outgoing_mail(outgoing_id: int) -> str:
    """Send one recorded message through Django's email backend; failures are retried with backoff."""
    return send_and_retry(outgoing_id, timezone.now())


#: The task path of `send_outgoing_mail` in the task table: the worker takes these rows in batches.
SEND_TASK_PATH = send_outgoing_mail.module_path


def send_batch(ready: DBTaskResultQuerySet, *, worker_id: str, limit: int, now: datetime) -> int:
    """Up to `limit` of the ready `send_outgoing_mail` tasks of `ready` (the worker's queues),
    run together; the number of tasks taken (0: none ready).

    One transaction claims the task rows (locked, skipping those another worker holds, as
    django_tasks_db claims one) and their messages (`sending.claim_batch`); the messages go out
    over one connection, outside any transaction; one transaction records the sent messages
    and finishes the tasks. Exactly as `send_outgoing_mail` would have run each: a message no
    longer queued is "not queued", a refused one is retried with backoff and its task failed.
    A worker killed anywhere in between leaves its messages claimed and their tasks running;
    the sweep (`requeue_stalled`) enqueues them again after the lease."""
    with exclusive_transaction(ready.db):
        rows = list(
            ready.filter(task_path=SEND_TASK_PATH)
            .select_for_update(skip_locked=True)
            .values_list("pk", "args_kwargs")[:limit]
        )
        if not rows:
            return 0
        DBTaskResult.objects.filter(pk__in=[pk for pk, _ in rows]).update(
            status=TaskResultStatus.RUNNING, started_at=timezone.now(), worker_ids=[worker_id]
        )
        read = {pk: _outgoing_id(arguments) for pk, arguments in rows}
        unreadable = [pk for pk, outgoing_id in read.items() if outgoing_id is None]
        if unreadable:  # not a row we wrote: failed, as db_worker fails a task it cannot call
            DBTaskResult.objects.filter(pk__in=unreadable).update(
                status=TaskResultStatus.FAILED, finished_at=timezone.now(),
                exception_class_path="builtins.ValueError", traceback="no message id in the task's arguments",
            )  # fmt: skip
        mail_of = {pk: outgoing_id for pk, outgoing_id in read.items() if outgoing_id is not None}
        token = sending.claim_batch(set(mail_of.values()), now)
    outcomes, sent = sending.send_claimed(set(mail_of.values()), token, now)
    finished: dict[str, list[Any]] = defaultdict(list)  # task ids (UUIDs)
    failures = []
    for task_id, outgoing_id in mail_of.items():
        outcome = outcomes[outgoing_id]
        if isinstance(outcome, sending.SendFailed):
            failures.append((task_id, outgoing_id, outcome))
        else:
            finished[outcome].append(task_id)
    with transaction.atomic():
        sending.mark_sent(sent, now)
        for return_value, task_ids in finished.items():
            DBTaskResult.objects.filter(pk__in=task_ids).update(
                status=TaskResultStatus.SUCCESSFUL, finished_at=timezone.now(), return_value=return_value,
                exception_class_path="", traceback="",
            )  # fmt: skip
    for task_id, outgoing_id, failed in failures:  # rare: one at a time, as the task would
        if failed.retry_at is not None and send_outgoing_mail.get_backend().supports_defer:
            send_outgoing_mail.using(run_after=failed.retry_at).enqueue(outgoing_id)
        DBTaskResult.objects.get(pk=task_id).set_failed(failed)
    return len(rows)


def _outgoing_id(arguments: Any) -> int | None:
    try:
        return int(arguments["args"][0])
    except (KeyError, IndexError, TypeError, ValueError):
        return None


def enqueue_send(outgoing_id: int) -> None:
    """Enqueue the sending of a message just recorded, in the caller's transaction."""
    if isinstance(send_outgoing_mail.get_backend(), DatabaseBackend):
        # The task row commits (or rolls back) with the change that caused the mail.
        send_outgoing_mail.enqueue(outgoing_id)
    else:
        transaction.on_commit(lambda: send_outgoing_mail.enqueue(outgoing_id))


def prepare_send() -> PreparedTask | None:
    """`enqueue_send`'s task row, worked out before the caller's transaction; written by its
    `write((outgoing_id,), {})` in it. None where the backend is not ours (`enqueue_send` then)."""
    backend = send_outgoing_mail.get_backend()
    return backend.prepare_enqueue(send_outgoing_mail) if isinstance(backend, OurDatabaseBackend) else None


def enqueue_sends(outgoing_ids: Sequence[int]) -> None:
    """`enqueue_send` for each of `outgoing_ids`, their task rows in one INSERT where the backend
    is ours (`ops.tasks_backend`)."""
    backend = send_outgoing_mail.get_backend()
    if isinstance(backend, OurDatabaseBackend):
        backend.enqueue_each(send_outgoing_mail, [((outgoing_id,), {}) for outgoing_id in outgoing_ids])
        return
    for outgoing_id in outgoing_ids:
        enqueue_send(outgoing_id)


def requeue_stalled(now: datetime, limit: int = 500) -> int:
    """Enqueue again what no live sender has (`sending.stalled_mail`); the worker's sweep."""
    taken = sending.stalled_mail(now, limit)
    for outgoing_id in taken:
        send_outgoing_mail.enqueue(outgoing_id)
    return len(taken)


def send_recorded(outgoing: OutgoingMail, now: datetime) -> str:
    """Send at once a message a task has just recorded (outside any transaction: the record is
    committed): the task is already the background work, a second hop through the queue adds
    only a delay. A failure is retried like any other (`send_and_retry`)."""
    if outgoing.status != OutgoingMail.Status.QUEUED:
        return str(outgoing.status)  # suppressed
    return send_and_retry(outgoing.pk, now)
