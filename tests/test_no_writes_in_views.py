"""Views, API handlers and template tags only read, validate and call actions (house style 3):
no model write appears in them. Writes are `do_*` actions (tickets/actions/, or the app's
own actions module), each one transaction with its audit event.

The scan reads the source (AST): `.save()`, `.delete()`, `bulk_create`, `bulk_update`,
`get_or_create`, `update_or_create` anywhere, and `.create(...)` or `.update(...)` called with
keyword arguments only (a manager's `create`, a queryset's `update`; `dict.update(other)` is not
a write)."""

from __future__ import annotations

import ast
from pathlib import Path

import policydesk

SOURCE = Path(policydesk.__file__).parent
ALWAYS_WRITES = {"save", "delete", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
KEYWORD_WRITES = {"create", "update"}


def web_facing_modules() -> list[Path]:
    """The modules that answer requests: every app's views.py and urls.py, the project's urls.py,
    the shared web plumbing (policydesk/web), template tags, and the API handlers (every module
    that imports django-ninja: the routers, the API's auth and error handlers)."""
    found = set()
    for path in SOURCE.rglob("*.py"):
        relative = path.relative_to(SOURCE)
        if "migrations" in relative.parts:
            continue
        if (
            path.name in {"views.py", "urls.py"}
            or "templatetags" in relative.parts
            or relative.parts[0] == "web"
            or _imports_ninja(ast.parse(path.read_text()))
        ):
            found.add(path)
    return sorted(found)


def _imports_ninja(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "ninja":
            return True
        if isinstance(node, ast.Import) and any(alias.name.split(".")[0] == "ninja" for alias in node.names):
            return True
    return False


def model_writes(source: str) -> list[str]:
    """`line: call` for every call in `source` that writes a model."""
    writes = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        if name == "delete" and node.args and isinstance(node.args[0], ast.Constant):
            continue  # `@router.delete("/path")`: an HTTP method, not a model's delete()
        if name in ALWAYS_WRITES or (name in KEYWORD_WRITES and not node.args and node.keywords):
            writes.append(f"{node.lineno}: {ast.unparse(node.func)}")
    return writes


def test_the_scan_tells_model_writes_from_other_calls() -> None:
    source = (
        "Ticket.objects.filter(pk=1).update(status='open')\n"
        "ticket.save(update_fields=['status'])\n"
        "Message.objects.create(ticket=ticket, body=body)\n"
        "ticket.messages.all().delete()\n"
        "Counter.objects.get_or_create(name='x')\n"
        "context.update({'a': 1})\n"
        "seen.update(ids)\n"
        "router.delete('/tickets/{number}/followers')\n"
    )
    assert [line.split(":")[0] for line in model_writes(source)] == ["1", "2", "3", "4", "5"]


def test_the_web_facing_modules_are_found() -> None:
    names = {path.relative_to(SOURCE).as_posix() for path in web_facing_modules()}
    expected = {
        "console/views.py",
        "portal/views.py",
        "status/views.py",
        "reports/views.py",
        "watch/views.py",
        "api/tickets.py",
        "api/policy.py",
        "api/auth.py",
        "status/api.py",
        "portal/templatetags/portal_display.py",
        "web/staff.py",
        "urls.py",
    }
    assert expected <= names


def test_no_model_write_in_views_api_handlers_or_template_tags() -> None:
    found = [
        f"{path.relative_to(SOURCE).as_posix()}:{write}"
        for path in web_facing_modules()
        for write in model_writes(path.read_text())
    ]
    assert found == []
