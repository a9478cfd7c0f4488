"""The watch tests' harness: a worker run, tickets, an on-call rota, a webhook receiver."""

from __future__ import annotations

import contextlib
import json
import re
import threading
from datetime import date, datetime
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from unittest import mock

from django.core import mail
from django.core.mail import EmailMessage
from django_tasks_db.management.commands import db_worker

from policydesk.tickets.models import Person, Ticket
from policydesk.watch.management.commands.worker import Worker
from policydesk.watch.models import OnCallShift, OnCallWeek
from tests import conftest

WATCH_MESSAGE_ID = re.compile(r"<t\d+-(email|webhook)-")


def run_worker(worker_id: str = "worker-a") -> None:
    """One `policydesk worker --batch` run: a watch pass, then every queued task."""
    with keep_test_connection():
        _worker(worker_id).run()


def keep_test_connection() -> contextlib.AbstractContextManager[Any]:
    """The worker closes stale connections between tasks; inside a test's transaction that
    would end the test's own connection (Django's test runner disconnects the same hook
    from requests for this reason), so it is switched off while this is entered."""
    return mock.patch.object(db_worker, "close_old_connections", return_value=None)


def _worker(worker_id: str) -> Worker:
    return Worker(
        watch_interval=1.0,
        queue_names=["default"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )


def watch_outbox() -> list[EmailMessage]:
    """The emails the watch sent (by their Message-ID), not the desk's other mail."""
    return [m for m in mail.outbox if WATCH_MESSAGE_ID.match(m.extra_headers.get("Message-ID", ""))]


def sent_to(kind_word: str) -> list[str]:
    """Recipients of the watch's emails so far whose subject contains `kind_word`, in order."""
    return [address for message in watch_outbox() if kind_word in message.subject for address in message.to]


def open_ticket(customer: Person, topic: str, now: datetime) -> Ticket:
    """The watch's tickets all have this subject: its emails are checked by it."""
    return conftest.open_ticket(customer, topic, now, subject="Dashboards fail to load", text="Since 09:00.")


def make_rota(week_start: date, *people: Person) -> OnCallWeek:
    week = OnCallWeek.objects.create(week_start=week_start)
    for order, person in enumerate(people):
        OnCallShift.objects.create(week=week, person=person, order=order)
    return week


class WebhookReceiver:
    """A real HTTP server on localhost recording what the webhook channel POSTs."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        received = self.requests

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append({"headers": dict(self.headers), "body": body, "json": json.loads(body)})
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
