"""The task backend: django_tasks_db's, with its task row written by `compiled_queries.insert`.

A request that promises a customer an email enqueues its task in the same transaction
(`mail.tasks.enqueue_send`). django_tasks_db writes the row with `objects.create()`, whose query
is built and compiled on every call, and reads the row's `task_result` twice: about a tenth of
the CPU of an API intake (issue 17). Here the row is the same (same fields, same id function),
written from SQL kept per connection, and its result is read once. Everything else (claiming,
running, results, the worker) is django_tasks_db's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models.signals import pre_save
from django_tasks.base import Task, TaskResultStatus
from django_tasks.signals import task_enqueued
from django_tasks.utils import normalize_json
from django_tasks_db import DatabaseBackend as _Upstream
from django_tasks_db.backend import TaskResult
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import normalize_uuid

from policydesk.compiled_queries import PreparedInsert, insert, insert_rows, new_row, prepare_insert


class DatabaseBackend(_Upstream):
    def __init__(self, alias: str, params: dict[str, Any]) -> None:
        super().__init__(alias, params)
        self._validated: set[Task[Any, Any]] = set()
        self._tasks: dict[tuple[Any, ...], Task[Any, Any]] = {}  # by a row's options: `row.task`

    def _task_to_db_task(self, task: Task[Any, Any], args: Any, kwargs: Any) -> DBTaskResult[Any, Any]:
        return insert(self._row(task, args, kwargs))

    def _row(self, task: Task[Any, Any], args: Any, kwargs: Any) -> DBTaskResult[Any, Any]:
        """The unsaved task row, as django_tasks_db builds it."""
        return new_row(
            DBTaskResult,
            id=self._get_id(),
            args_kwargs=normalize_json({"args": args, "kwargs": kwargs}),
            priority=task.priority,
            task_path=task.module_path,
            queue_name=task.queue_name,
            run_after=task.run_after,  # as django_tasks_db passes it
            backend_name=self.alias,
        )

    def enqueue(self, task: Task[Any, Any], args: Any, kwargs: Any) -> TaskResult[Any, Any]:
        self._validate_once(task)
        result = self._new_result(self._task_to_db_task(task, args, kwargs))
        task_enqueued.send(type(self), task_result=result)
        return result

    def _validate_once(self, task: Task[Any, Any]) -> None:
        """`validate_task(task)`, once per task (a frozen dataclass: the same task, the same
        answer; a task refused is asked again)."""
        if task not in self._validated:
            self.validate_task(task)
            self._validated.add(task)

    def _new_result(self, row: DBTaskResult[Any, Any]) -> TaskResult[Any, Any]:
        """`row.task_result` of a new row. django_tasks_db's property imports the task and makes
        it again with the row's options (`row.task`, which validates it again) each time it is
        read: a third of the time an intake spent on its task row (issue 17). That task is kept
        here per options; the result is built as the property builds it."""
        if row.status != TaskResultStatus.READY:
            return row.task_result
        options = (row.task_path, row.priority, row.queue_name, row.run_after, row.backend_name)
        task = self._tasks.get(options)
        if task is None:
            if len(self._tasks) >= 64:
                self._tasks.clear()
            task = self._tasks[options] = row.task
        result: TaskResult[Any, Any] = TaskResult(
            db_result=row,
            task=task,
            id=normalize_uuid(row.id),
            status=TaskResultStatus.READY,
            enqueued_at=row.enqueued_at,
            started_at=row.started_at,
            last_attempted_at=row.started_at,
            finished_at=row.finished_at,
            args=row.args_kwargs["args"],
            kwargs=row.args_kwargs["kwargs"],
            backend=row.backend_name,
            errors=[],
            worker_ids=row.worker_ids,
        )
        object.__setattr__(result, "_return_value", row.return_value)
        return result

    def prepare_enqueue(self, task: Task[Any, Any]) -> PreparedTask:
        """`enqueue(task, args, kwargs)` with its row worked out now, before the caller's
        transaction, and written in it by the returned `write(args, kwargs)` (issue 17: the task
        row of an intake's acknowledgement was a seventh of the time it held SQLite's write lock)."""
        self._validate_once(task)
        row = self._row(task, [], {})
        statement = prepare_insert([row], late=("args_kwargs",), signals=True)  # as `insert` saves it
        return PreparedTask(type(self), row, self._new_result(row), statement)

    def enqueue_each(self, task: Task[Any, Any], arguments: Sequence[tuple[Any, Any]]) -> None:
        """`enqueue(task, args, kwargs)` for each of `arguments`, their rows in one INSERT: the
        same rows, the same signal for each (a batch of stored mail acknowledges every request
        it takes: issue 17)."""
        if not arguments:
            return
        self._validate_once(task)
        rows = [self._row(task, args, kwargs) for args, kwargs in arguments]
        for row in rows:  # as a save would (django_tasks_db's handler puts a missing run_after)
            pre_save.send(sender=DBTaskResult, instance=row, raw=False, using="default", update_fields=None)
        insert_rows(rows)
        for row in rows:
            task_enqueued.send(type(self), task_result=self._new_result(row))


@dataclass(frozen=True)
class PreparedTask:
    """A task row worked out before the transaction that enqueues it (`prepare_enqueue`)."""

    backend: type[DatabaseBackend]
    row: DBTaskResult[Any, Any]
    result: TaskResult[Any, Any]  # the row's, its arguments given when written
    statement: PreparedInsert

    def write(self, args: Any, kwargs: Any) -> None:
        """Enqueue it with these arguments, in the caller's transaction (once)."""
        arguments = normalize_json({"args": args, "kwargs": kwargs})
        self.row.args_kwargs = arguments
        self.statement.write()
        # The result is a frozen dataclass; django_tasks_db sets its return value so too.
        object.__setattr__(self.result, "args", arguments["args"])
        object.__setattr__(self.result, "kwargs", arguments["kwargs"])
        task_enqueued.send(self.backend, task_result=self.result)
