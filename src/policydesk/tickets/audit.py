"""The audit log's one writer: every app's `do_*` actions (and the admin's edits) record their
write here, inside the write's transaction, so the row commits with the change or not at all."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from policydesk.compiled_queries import insert
from policydesk.tickets.models import AuditEvent, Person


def record_audit_event(now: datetime, actor: Person | None, action: str, subject: Any, **data: Any) -> None:
    """The one audit row of a write; call it inside the write's transaction (every app's actions do)."""
    insert(
        AuditEvent(
            at=now,
            actor=actor,
            action=action,
            subject_type=type(subject).__name__.lower(),
            subject_id=str(subject.pk),
            data=data,
        )
    )
