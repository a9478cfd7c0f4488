"""Every SLA metric in the console (issue 15): the workspace's side panel lists each metric
instance with its state, due and business time; the explain page each one's events and business
hours counted; each queue row the metric due next. Literal timelines through the real actions, on
the bundled policy with Growth (Kumo's plan, central-europe 09:00-17:00 UTC) promising every metric."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from tests.conftest import Personas, open_ticket


def z(text: str) -> datetime:
    return datetime.fromisoformat(text + "+00:00").astimezone(UTC)


def rows(html: str) -> list[tuple[str, str, str]]:
    return re.findall(
        r'data-testid="metric-row" data-metric="(\w+)" data-cycle="(\d+)" data-state="(\w+)"', html
    )


@pytest.fixture
def reopened(personas: Personas, every_metric_policy: Path) -> Ticket:
    """Tue 10:00 opened; 11:00 the agent asks and solves; Wed 10:00 the customer writes again
    (a reopen: resolution cycle 2, and a next reply owed)."""
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Fixed", now=z("2026-12-01T11:00:00"),
                           status="solved")  # fmt: skip
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="Again", now=z("2026-12-02T10:00:00")
    )
    ticket.refresh_from_db()
    return ticket


def test_the_side_panel_lists_every_metric_instance_with_its_state(
    client: Client, personas: Personas, reopened: Ticket
) -> None:
    client.force_login(personas.agent)
    with time_machine.travel(z("2026-12-02T11:30:00"), tick=False):
        html = client.get(f"/console/tickets/{reopened.number}/").content.decode()
    assert sorted(rows(html)) == [
        ("first_response", "1", "met"),
        ("next_reply", "1", "running"),  # 2 business hours from Wed 10:00: due 12:00
        ("periodic_update", "1", "met"),  # the solve fulfilled it
        ("resolution", "1", "met"),
        ("resolution", "2", "running"),
    ]
    assert "Resolution (cycle 2)" in html
    assert re.search(r'data-testid="metric-left">30 min left<', html)  # the next reply, due 12:00
    assert re.search(r'data-testid="metric-elapsed">1 h 30 min<', html)  # resolution 2: Wed 10:00-11:30


def test_the_side_panel_speaks_japanese(client: Client, personas: Personas, reopened: Ticket) -> None:
    personas.agent.language = "ja"
    personas.agent.save(update_fields=["language"])
    client.force_login(personas.agent)
    with time_machine.travel(z("2026-12-02T11:30:00"), tick=False):
        html = client.get(f"/console/tickets/{reopened.number}/").content.decode()
    panel = html[html.index('data-testid="side-metrics"') :]
    assert "SLAメトリクス" in panel and "解決（サイクル2）" in panel and "進行中" in panel


def test_a_breach_shows_before_the_watch_stores_it(
    client: Client, personas: Personas, reopened: Ticket
) -> None:
    client.force_login(personas.agent)
    with time_machine.travel(z("2026-12-02T12:00:01"), tick=False):
        html = client.get(f"/console/tickets/{reopened.number}/").content.decode()
    assert ("next_reply", "1", "breached") in rows(html)


def test_the_seed_policy_shows_no_metric_table(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    client.force_login(personas.agent)
    html = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="side-metrics"' not in html and 'data-testid="side-sla"' in html


def test_explain_lists_each_metrics_events_and_business_hours(
    client: Client, personas: Personas, every_metric_policy: Path
) -> None:
    # Tue 10:00 opened, 11:00 asked (pending: resolution pauses), Wed 10:00 the customer answers.
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="Which?", now=z("2026-12-01T11:00:00"))
    actions.do_customer_reply(
        ticket=ticket, customer=personas.customer, text="All", now=z("2026-12-02T10:00:00")
    )
    client.force_login(personas.agent)
    with time_machine.travel(z("2026-12-02T11:00:00"), tick=False):
        html = client.get(f"/console/tickets/{ticket.number}/explain/").content.decode()
    section = (
        r'data-testid="explain-metric" data-metric="(\w+)" data-cycle="1" data-state="\w+">(.*?)</section>'
    )
    sections = dict(re.findall(section, html, re.S))
    assert set(sections) == {"first_response", "next_reply", "periodic_update", "resolution"}
    resolution = sections["resolution"]
    events = re.findall(r'data-testid="explain-metric-event">([^:<]+):', resolution)
    assert events == ["Started", "Paused", "Resumed"]
    # Counted Tue 10:00-11:00 and Wed 10:00-11:00: one business hour each, two in all.
    assert re.findall(r'data-testid="explain-metric-interval">.*?<td>([^<]+)</td></tr>', resolution) == [
        "1 h 0 min", "1 h 0 min",
    ]  # fmt: skip
    assert re.search(r'data-testid="explain-metric-elapsed">2 h 0 min<', resolution)
    assert "Resolved within 3 business days" in resolution


def next_due_cells(html: str) -> dict[str, str]:
    """Ticket number -> the metric due next on its queue row (rows with none left out)."""
    rows = re.findall(r'data-ticket="(\d+)".*?data-testid="row-next-due" data-metric="(\w*)"', html, re.S)
    return {number: metric for number, metric in rows if metric}


def test_each_queue_row_shows_the_metric_due_next(
    client: Client, personas: Personas, reopened: Ticket
) -> None:
    fresh = open_ticket(personas.customer, now=z("2026-12-02T09:00:00"))
    client.force_login(personas.agent)
    with time_machine.travel(z("2026-12-02T11:30:00"), tick=False):
        html = client.get("/console/queues/central-europe/").content.decode()
    cells = next_due_cells(html)
    assert cells == {str(reopened.number): "next_reply", str(fresh.number): "first_response"}
    assert "Next due: Next reply, " in html  # under the first-response due, which it is not


def test_on_the_seed_policy_the_next_due_is_the_first_response(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    answered = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
    actions.do_agent_reply(ticket=answered, agent=personas.agent, text="Hi", now=z("2026-12-01T11:00:00"))
    client.force_login(personas.agent)
    html = client.get("/console/queues/central-europe/").content.decode()
    assert next_due_cells(html) == {str(ticket.number): "first_response"}


def test_queue_and_ticket_pages_read_a_constant_number_of_queries_with_every_metric(
    client: Client,
    personas: Personas,
    reopened: Ticket,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client.force_login(personas.agent)
    queue = "/console/queues/central-europe/?size=50"
    client.get(f"/console/tickets/{reopened.number}/")  # the first view marks the ticket seen
    with CaptureQueriesContext(connection) as one_ticket:
        client.get(queue)
    with CaptureQueriesContext(connection) as ticket_page:
        client.get(f"/console/tickets/{reopened.number}/")
    for i in range(20):
        ticket = open_ticket(personas.customer, now=z("2026-12-01T10:00:00"))
        actions.do_agent_reply(
            ticket=ticket, agent=personas.agent, text=f"r{i}", now=z("2026-12-01T11:00:00")
        )
        actions.do_customer_reply(
            ticket=ticket, customer=personas.customer, text="x", now=z("2026-12-01T12:00:00")
        )
    with django_assert_max_num_queries(len(one_ticket)):
        client.get(queue)
    # One more than the seed policy's caps (11 and 15): the page's metric events, read in one
    # query, and only when a plan promises more than the first response.
    assert len(one_ticket) <= 12
    assert len(ticket_page) <= 16
