"""Where each person lands in the console, the overview of every queue, and the mission-critical
queue one click away with its count on every console page (C4, C6, C9)."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from tests.conftest import NOW, Personas, open_ticket
from tests.console.tickets import customer_of


def landing(client: Client) -> str:
    response = client.get("/console/")
    assert response.status_code == 302
    return str(response["Location"])


def overview_counts(html: str) -> dict[str, tuple[int, int]]:
    rows = re.findall(
        r'data-queue="([a-z-]+)">.*?data-testid="overview-open">(\d+)<.*?data-testid="overview-breached">(\d+)<',
        html,
        re.S,
    )
    return {slug: (int(open_), int(breached)) for slug, open_, breached in rows}


def test_office_agent_lands_on_their_office_queue(client: Client, personas: Personas) -> None:
    client.force_login(personas.other_office_agent)
    assert landing(client) == "/console/queues/us-west/"


def test_agent_on_a_premium_team_lands_on_the_premium_queue(client: Client, personas: Personas) -> None:
    client.force_login(personas.premium_agent)  # on the US West office team too (C4)
    assert landing(client) == "/console/queues/global/"


def test_lead_and_admin_land_on_the_overview(client: Client, personas: Personas) -> None:
    for person in (personas.lead, personas.admin):
        client.force_login(person)
        assert landing(client) == "/console/overview/"


def test_overview_lists_every_queue_with_open_and_breached_counts(client: Client, personas: Personas) -> None:
    late = open_ticket(personas.customer)  # central-europe
    Ticket.objects.filter(pk=late.pk).update(first_response_due=NOW - timedelta(hours=1))  # test set-up
    answered_late = open_ticket(personas.customer)
    Ticket.objects.filter(pk=answered_late.pk).update(first_response_due=NOW - timedelta(hours=1))
    actions.do_agent_reply(ticket=answered_late, agent=personas.agent, text="On it", now=NOW)
    solved = open_ticket(personas.customer)
    actions.do_set_status(ticket=solved, status="solved", actor=personas.agent, now=NOW)
    open_ticket(personas.other_org_customer)  # us-west, due later
    critical = customer_of(personas, "premium", "americas", "maria@redwood.example")
    open_ticket(critical, topic="bug-report-critical")  # C6, global
    client.force_login(personas.lead)
    with time_machine.travel(NOW, tick=False):
        counts = overview_counts(client.get("/console/overview/").content.decode())
    assert counts == {
        "us-west": (1, 0),
        "singapore": (0, 0),
        "central-europe": (2, 1),  # the answered one is open (pending) but not breached
        "global": (1, 0),
        "mission-critical": (1, 0),
        "unassigned": (3, 1),  # the first reply assigned the answered one
        "mine": (0, 0),
    }


def test_overview_of_an_agent_shows_only_their_queues(client: Client, personas: Personas) -> None:
    open_ticket(personas.other_org_customer)  # us-west: not theirs
    client.force_login(personas.agent)
    counts = overview_counts(client.get("/console/overview/").content.decode())
    assert list(counts) == ["central-europe", "mission-critical", "unassigned", "mine"]
    assert counts["unassigned"] == (0, 0)


def test_overview_reads_a_constant_number_of_queries(
    client: Client, personas: Personas, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(personas.lead)
    with CaptureQueriesContext(connection) as empty:
        client.get("/console/overview/")
    for customer in (personas.customer, personas.other_org_customer) * 5:
        open_ticket(customer)
    with django_assert_max_num_queries(len(empty)):
        client.get("/console/overview/")
    assert len(empty) <= 4  # session, person, every queue's two counts in one statement


def test_mission_critical_count_is_beside_every_console_page(client: Client, personas: Personas) -> None:
    critical = customer_of(personas, "premium", "americas", "maria@redwood.example")
    ticket = open_ticket(critical, topic="bug-report-critical")  # C6
    client.force_login(personas.lead)
    pages = (
        "/console/overview/",
        "/console/queues/us-west/",
        f"/console/tickets/{ticket.number}/",
        "/console/profile/",
    )
    for url in pages:
        html = client.get(url).content.decode()
        assert 'href="/console/queues/mission-critical/"' in html, url
        assert 'data-testid="queue-count-mission-critical">1<' in html, url


def test_ticket_page_pays_one_query_for_the_mission_critical_count(
    client: Client, personas: Personas, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    critical = customer_of(personas, "premium", "americas", "maria@redwood.example")
    ticket = open_ticket(personas.customer)
    client.force_login(personas.lead)
    with CaptureQueriesContext(connection) as one:
        client.get(f"/console/tickets/{ticket.number}/")
    for _ in range(5):
        open_ticket(critical, topic="bug-report-critical")
    with django_assert_max_num_queries(len(one)):
        html = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="queue-count-mission-critical">5<' in html
    assert 'data-testid="nav-overview"' in html
