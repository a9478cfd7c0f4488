"""The task backend (`ops/tasks_backend.py`): django_tasks_db's task row, written by
`compiled_queries.insert`, the same row upstream's backend writes."""

from __future__ import annotations

from typing import Any

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
