"""/metrics (issue 16): only the Prometheus server may read it (a token or an allowed address);
its counters move when a ticket is opened, a mail is accepted, a timer fires; the time to answer
is recorded by view."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client

from policydesk.mail.ingest import store_raw
from policydesk.ops import heartbeats
from policydesk.search import pending
from policydesk.watch.models import Timer
from policydesk.watch.timers import Watch
from tests.conftest import NOW, Personas, open_ticket

pytestmark = pytest.mark.django_db


def scrape(client: Client, **headers: Any) -> str:
    response = client.get("/metrics", **headers)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/plain; version=")  # the exposition format
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the exposition text."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    pattern = (
        rf"^{re.escape(name)}{{{re.escape(wanted)}}} (\S+)$" if labels else rf"^{re.escape(name)} (\S+)$"
    )
    found = re.search(pattern, text, re.MULTILINE)
    assert found, f"no {name}{{{wanted}}} in the metrics"
    return float(found.group(1))


def test_anyone_else_gets_404(client: Client, settings: Any) -> None:
    settings.POLICYDESK_METRICS_ALLOW = ["10.0.0.0/8"]
    settings.POLICYDESK_METRICS_TOKEN = "s3cret-token"
    assert client.get("/metrics").status_code == 404  # the test client connects from 127.0.0.1
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token").status_code == 200


def test_no_token_set_means_no_token_accepted(client: Client, settings: Any) -> None:
    settings.POLICYDESK_METRICS_ALLOW = []
    settings.POLICYDESK_METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_counters_move_with_the_desk(client: Client, personas: Personas) -> None:
    before = scrape(client)
    assert sample(before, "policydesk_tickets_opened_total", channel="web", outcome="ticket") == 0
    ticket = open_ticket(personas.customer, now=NOW)
    store_raw(b"From: a@b.example\r\nSubject: hi\r\n\r\nhello\r\n", mailbox="smtp", envelope=None, now=NOW)
    Watch().tick(ticket.first_response_due + timedelta(hours=1))  # its warning and breach fire
    after = scrape(client)
    assert sample(after, "policydesk_tickets_opened_total", channel="web", outcome="ticket") == 1
    assert sample(after, "policydesk_mail_inbound", state="pending") == 1
    fired = Timer.objects.filter(state=Timer.State.FIRED).count()
    assert fired >= 1
    assert (
        sum(sample(after, "policydesk_sla_timers_fired_total", kind=kind) for kind in Timer.Kind.values)
        == fired
    )
    assert sample(after, "policydesk_mail_outgoing", state="queued") >= 1  # the acknowledgement
    assert sample(after, "policydesk_heartbeat_age_seconds", process="worker") == -1


def test_heartbeats_and_request_times_are_there(client: Client) -> None:
    heartbeats.beat("worker", NOW, process="host:1")
    client.get("/healthz")
    text = scrape(client)
    assert sample(text, "policydesk_heartbeat_age_seconds", process="worker") > 0
    assert sample(text, "policydesk_request_duration_seconds_count", view="ops:healthz", method="GET") >= 1
    assert sample(text, "policydesk_task_queue_depth") >= 0
    assert sample(text, "policydesk_pages_unacknowledged") == 0


def test_tickets_waiting_for_the_search_index_are_counted(
    client: Client, personas: Personas, settings: Any
) -> None:
    settings.POLICYDESK_SEARCH_INDEX_NEW_TICKETS = "worker"
    assert sample(scrape(client), "policydesk_search_waiting_tickets") == 0
    open_ticket(personas.customer, now=NOW)
    text = scrape(client)
    assert sample(text, "policydesk_search_waiting_tickets") == 1
    assert sample(text, "policydesk_search_waiting_oldest_age_seconds") > 0  # NOW is in the past
    pending.index_all_pending()
    assert sample(scrape(client), "policydesk_search_waiting_tickets") == 0
