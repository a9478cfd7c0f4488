"""The audit log's one writer: every app's `do_*` actions (and the admin's edits) record their
write here, inside the write's transaction, so the row commits with the change or not at all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from policydesk.compiled_queries import PreparedInsert, insert, new_row, prepare_insert
from policydesk.tickets.models import AuditEvent, Person


def record_audit_event(now: datetime, actor: Person | None, action: str, subject: Any, **data: Any) -> None:
    """The one audit row of a write; call it inside the write's transaction (every app's actions do)."""
    insert(_event(now, actor, action, subject, data))


@dataclass(frozen=True)
class PreparedAuditEvent:
    """An audit row worked out before its write's transaction, about a subject that may be saved
    only in it (a new ticket): `write()` records it, in the transaction, with the subject's key."""

    subject: Any
    event: AuditEvent
    statement: PreparedInsert

    def write(self) -> None:
        if self.subject.pk is None:
            raise ValueError("an audit row names a saved subject")
        self.event.subject_id = str(self.subject.pk)
        self.statement.write()


def prepare_audit_event(
    now: datetime, actor: Person | None, action: str, subject: Any, **data: Any
) -> PreparedAuditEvent:
    """`record_audit_event`, its row worked out now and recorded by `write()` (issue 17: an
    intake works out its rows before it takes SQLite's write lock)."""
    event = _event(now, actor, action, subject, data)
    return PreparedAuditEvent(subject, event, prepare_insert([event], late=("subject_id",), signals=True))


def _event(
    now: datetime, actor: Person | None, action: str, subject: Any, data: dict[str, Any]
) -> AuditEvent:
    return new_row(
        AuditEvent,
        at=now,
        actor=actor,
        action=action,
        subject_type=type(subject).__name__.lower(),
        subject_id=str(subject.pk),
        data=data,
    )
