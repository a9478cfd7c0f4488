"""The console's notifications: the header's counter (one query, polled), the list page, mark read."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from policydesk.console import views
from policydesk.inbox.models import Notification
from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Ticket
from tests.conftest import Personas, open_ticket

IN_HOURS = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def assigned(personas: Personas, subject: str = "Charts are empty") -> Ticket:
    ticket = open_ticket(personas.customer, now=IN_HOURS, subject=subject)
    return actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.lead, now=IN_HOURS)


def counter(client: Client, url: str = "/console/profile/") -> str:
    html = client.get(url).content.decode()
    start = html.index('data-testid="notification-count"')
    return html[start : html.index("</span>", start)]


def test_the_header_counts_my_unread_notifications_on_every_console_page(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.agent)
    assert 'data-count="0" hidden>0' in counter(client)
    ticket = assigned(personas)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="?", now=IN_HOURS)
    for url in (
        "/console/profile/",
        "/console/overview/",
        "/console/notifications/",
        "/console/queues/central-europe/",
    ):
        assert counter(client, url).endswith('data-count="2">2'), url


def test_the_counter_costs_one_query_however_many_notifications(
    client: Client, personas: Personas, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    client.force_login(personas.agent)
    ticket = assigned(personas)
    with CaptureQueriesContext(connection) as one:
        assert client.get("/console/notifications/count/").json() == {"unread": 1}
    for minute in range(20):
        actions.do_customer_reply(
            ticket=ticket, customer=personas.customer, text="?", now=IN_HOURS + timedelta(minutes=minute)
        )
    with django_assert_max_num_queries(len(one)):
        assert client.get("/console/notifications/count/").json() == {"unread": 21}
    assert len(one) <= 3  # session, person, the count


def test_the_counter_endpoint_and_the_list_are_staff_only(client: Client, personas: Personas) -> None:
    client.force_login(personas.customer)
    assert client.get("/console/notifications/count/").status_code == 404
    assert client.get("/console/notifications/").status_code == 404
    assert client.post("/console/notifications/read/").status_code == 404


def test_the_list_is_newest_first_links_to_the_ticket_and_pages(client: Client, personas: Personas) -> None:
    first = assigned(personas, "First")
    second = assigned(personas, "Second")
    client.force_login(personas.agent)
    html = client.get("/console/notifications/").content.decode()
    assert html.index("Second") < html.index("First")
    assert f'href="/console/tickets/{second.number}/"' in html
    assert f"lead@example.com assigned ticket #{first.number} to you" in html
    assert html.count('data-unread="yes"') == 2

    for minute in range(views.NOTIFICATIONS_PER_PAGE):
        actions.do_customer_reply(
            ticket=first, customer=personas.customer, text="?", now=IN_HOURS + timedelta(minutes=minute)
        )
    page_two = client.get("/console/notifications/?page=2").content.decode()
    assert page_two.count('data-testid="notification"') == 2
    assert "Page 2 of 2" in page_two


def test_mark_all_read_is_an_audited_action(client: Client, personas: Personas) -> None:
    assigned(personas)
    assigned(personas)
    client.force_login(personas.agent)
    response = client.post("/console/notifications/read/")
    assert response.status_code == 302 and response["Location"] == "/console/notifications/"
    assert not Notification.objects.filter(read_at=None).exists()
    event = AuditEvent.objects.get(action="notifications.read")
    assert (event.actor, event.data) == (personas.agent, {"count": 2})
    assert 'data-count="0" hidden' in counter(client)
    assert 'data-testid="mark-all-read"' not in client.get("/console/notifications/").content.decode()


def test_opening_the_ticket_marks_its_notifications_read(client: Client, personas: Personas) -> None:
    one = assigned(personas)
    other = assigned(personas)
    client.force_login(personas.agent)
    page = client.get(f"/console/tickets/{one.number}/").content.decode()
    unread = Notification.objects.filter(read_at=None)
    assert [n.ticket_id for n in unread] == [other.pk]
    assert 'data-testid="notification-count" data-count="1"' in page  # the header counts what is left
    client.get(f"/console/tickets/{one.number}/")  # nothing left to mark: no second audit row
    assert AuditEvent.objects.filter(action="notifications.read").count() == 1
