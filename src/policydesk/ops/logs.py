"""Logs an operator can search: each record carries the request id and the ticket number of the
request it was written in (`RequestContext` sets them; every record gets them, `install`), and with
`POLICYDESK_LOG_FORMAT=json` each record is one JSON line (`JsonFormatter`).

The request id is the caller's `X-Request-ID` when it is a sane token (a proxy's or load
balancer's id, so their logs and ours join), else a new one; the answer carries it back."""

from __future__ import annotations

import contextvars
import json
import logging
import re
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse

request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)
ticket: contextvars.ContextVar[int | None] = contextvars.ContextVar("ticket", default=None)

SANE_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")
#: What a record holds besides its message, in the JSON line, when present.
EXTRA = ("request_id", "ticket")


def install() -> None:
    """Every log record made from now on carries `request_id` and `ticket` (None outside a
    request), whatever logger made it, unless the call passed its own (`extra={"ticket": n}`)."""
    previous = logging.getLogRecordFactory()
    if getattr(previous, "policydesk", False):
        return

    def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        record.request_id = request_id.get()
        record.ticket = ticket.get()
        return record

    factory.policydesk = True  # type: ignore[attr-defined]
    logging.setLogRecordFactory(factory)


class JsonFormatter(logging.Formatter):
    """One line per record: time (UTC), level, logger, message, request id, ticket, and the
    exception's traceback if there is one."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in EXTRA:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class RequestContext:
    """Middleware: the request's id (and, for the views of one ticket, its number) for the logs."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        sent = request.headers.get("X-Request-ID", "")
        rid = sent if SANE_ID.fullmatch(sent) else secrets.token_hex(16)
        # Set, and left set after the answer: Django logs an error answer ("Not Found: ...")
        # outside every middleware; the next request on this thread sets both anew.
        request_id.set(rid)
        ticket.set(None)
        response = self.get_response(request)
        response["X-Request-ID"] = rid
        return response

    def process_view(
        self, request: HttpRequest, view: Callable[..., Any], args: Any, kwargs: dict[str, Any]
    ) -> None:
        number = kwargs.get("number")
        if isinstance(number, int):
            ticket.set(number)
