"""The audit log has one writer, `tickets.audit.record_audit_event` (issue 10): no module builds
an `AuditEvent` row by hand, so every row has the same shape whoever wrote it."""

from __future__ import annotations

import ast
from pathlib import Path

import policydesk

SOURCE = Path(policydesk.__file__).parent


def audit_rows_built_by_hand(source: str) -> list[int]:
    """Lines of `source` that make `AuditEvent` rows: `AuditEvent(...)`, `new_row(AuditEvent, ...)`,
    `AuditEvent.objects.create(...)`."""
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        called = ast.unparse(node.func)
        writes = {"create", "bulk_create", "get_or_create", "update_or_create"}
        made = called == "new_row" and bool(node.args) and ast.unparse(node.args[0]) == "AuditEvent"
        if (
            called == "AuditEvent"
            or made
            or (called.startswith("AuditEvent.objects.") and called.rsplit(".", 1)[1] in writes)
        ):
            lines.append(node.lineno)
    return lines


def test_the_scan_finds_hand_built_rows() -> None:
    source = (
        "AuditEvent.objects.create(at=now)\nAuditEvent(at=now).save()\nAuditEvent.objects.filter(a=1)\n"
        "new_row(AuditEvent, at=now)\nnew_row(Message, at=now)\n"
    )
    assert sorted(audit_rows_built_by_hand(source)) == [1, 2, 4]


def test_only_the_audit_helper_writes_audit_rows() -> None:
    found = [
        f"{path.relative_to(SOURCE).as_posix()}:{line}"
        for path in sorted(SOURCE.rglob("*.py"))
        if "migrations" not in path.parts
        for line in audit_rows_built_by_hand(path.read_text())
    ]
    assert [where.split(":")[0] for where in found] == ["tickets/audit.py"]  # one row, one writer
