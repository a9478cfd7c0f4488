"""The task backend (`ops/tasks_backend.py`): django_tasks_db's task row, written by
`compiled_queries.insert`, the same row upstream's backend writes."""

from __future__ import annotations

from dataclasses import fields
from typing import Any
from uuid import UUID

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tasks import task_backends
from django_tasks.signals import task_enqueued
from django_tasks_db import DatabaseBackend as Upstream
from django_tasks_db.models import DBTaskResult

from policydesk.mail.tasks import send_outgoing_mail
from policydesk.ops.tasks_backend import DatabaseBackend
from tests.conftest import Personas

FIELDS = ("status", "args_kwargs", "priority", "task_path", "queue_name", "backend_name", "worker_ids",
          "return_value", "exception_class_path", "traceback", "started_at", "finished_at")  # fmt: skip


def test_the_desk_enqueues_through_it_and_writes_upstreams_row_in_one_statement(personas: Personas) -> None:
    backend = task_backends["default"]
    assert type(backend) is DatabaseBackend
    upstream = Upstream(alias="default", params={})
    enqueued: list[Any] = []

    def seen(sender: Any, task_result: Any, **kwargs: Any) -> None:
        enqueued.append(task_result)

    task_enqueued.connect(seen)
    try:
        with CaptureQueriesContext(connection) as queries:
            ours = send_outgoing_mail.enqueue(41)
        theirs = upstream.enqueue(send_outgoing_mail, (41,), {})
    finally:
        task_enqueued.disconnect(seen)
    assert len(queries.captured_queries) == 1
    assert [result.id for result in enqueued] == [ours.id, theirs.id]
    rows = {
        str(row["id"]): row for row in DBTaskResult.objects.values("id", "enqueued_at", "run_after", *FIELDS)
    }
    ours_row, theirs_row = rows[ours.id], rows[theirs.id]
    assert {f: ours_row[f] for f in FIELDS} == {f: theirs_row[f] for f in FIELDS}
    assert ours_row["args_kwargs"] == {"args": [41], "kwargs": {}} and ours_row["enqueued_at"] is not None
    assert ours.status == theirs.status and ours.args == [41]
    assert backend.get_result(ours.id).id == ours.id  # read back by django_tasks_db as any row


def test_a_new_rows_result_is_the_one_upstream_reads_from_it(personas: Personas) -> None:
    backend = task_backends["default"]
    assert isinstance(backend, DatabaseBackend)
    enqueued: list[Any] = []

    def seen(sender: Any, task_result: Any, **kwargs: Any) -> None:
        enqueued.append(task_result)

    task_enqueued.connect(seen)
    try:
        at_once = send_outgoing_mail.enqueue(7)
        prepared = backend.prepare_enqueue(send_outgoing_mail)
        prepared.write((8,), {})
        backend.enqueue_each(send_outgoing_mail, [((9,), {}), ((10,), {})])
        later = send_outgoing_mail.using(priority=5).enqueue(11)  # other options: another task
    finally:
        task_enqueued.disconnect(seen)
    assert [result.args for result in enqueued] == [[7], [8], [9], [10], [11]]
    assert enqueued[0] is at_once and enqueued[1] is prepared.result
    for result in enqueued:
        stored = DBTaskResult.objects.get(id=result.id).task_result
        assert _fields(result) == _fields(stored)  # the task with the row's options included
        assert UUID(str(result.db_result.pk)) == UUID(str(stored.db_result.pk))  # hex or dashed
    assert later.task.priority == 5 and at_once.task.priority == send_outgoing_mail.priority


def _fields(result: Any) -> dict[str, Any]:
    return {field.name: getattr(result, field.name) for field in fields(result) if field.name != "db_result"}


def test_a_task_is_validated_once_and_one_refused_is_refused_again(
    personas: Personas, monkeypatch: Any
) -> None:
    backend = DatabaseBackend(alias="default", params={})
    asked: list[Any] = []
    refuse = True

    def validate(task: Any) -> None:
        asked.append(task)
        if refuse:
            raise ValueError("no")

    monkeypatch.setattr(backend, "validate_task", validate)
    for _ in range(2):
        with pytest.raises(ValueError, match="no"):
            backend.enqueue(send_outgoing_mail, (1,), {})
    refuse = False
    backend.enqueue(send_outgoing_mail, (1,), {})
    backend.enqueue(send_outgoing_mail, (2,), {})
    assert asked == [send_outgoing_mail] * 3
