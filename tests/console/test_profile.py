"""The agent's profile page: language, time zone (every console time in it), notification emails."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from django.conf import settings
from django.test import Client

from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Person, Ticket
from tests.conftest import NOW, Personas, open_ticket

ONE_AM_UTC = datetime(2026, 12, 2, 1, 0, tzinfo=UTC)

SAVE = {
    "language": "",
    "time_zone": "Asia/Singapore",
    "delivery": "immediate",
    "notify_customer_reply": "on",
    "notify_assigned": "on",
    "notify_reopened": "on",
}


def test_profile_page_shows_the_persons_settings_and_suggests_zones(
    client: Client, personas: Personas
) -> None:
    client.force_login(personas.agent)
    response = client.get("/console/profile/")
    html = response.content.decode()
    assert response.status_code == 200
    assert 'name="time_zone"' in html and 'list="zone-suggestions"' in html
    assert '<option value="Asia/Singapore">' in html
    assert 'name="notify_mention"' in html and 'value="digest"' in html
    assert 'data-testid="console-user"' in html and 'href="/console/profile/"' in html


def test_agent_saves_zone_and_email_choices_through_the_action(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    response = client.post("/console/profile/", SAVE)
    assert response.status_code == 302 and response["Location"] == "/console/profile/"
    agent = Person.objects.get(pk=personas.agent.pk)
    assert agent.time_zone == "Asia/Singapore"
    assert agent.emails_wanted() == {"customer-reply", "assigned", "reopened"}  # mention unticked
    assert AuditEvent.objects.filter(action="person.profile_updated", actor=agent).count() == 1
    assert "Your profile is saved." in client.get("/console/profile/").content.decode()


def test_unknown_zone_is_refused_on_the_form_and_nothing_changes(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    response = client.post("/console/profile/", {**SAVE, "time_zone": "Asia/Atlantis"})
    assert response.status_code == 400
    assert "Asia/Atlantis is not a time zone we know" in response.content.decode()
    assert Person.objects.get(pk=personas.agent.pk).time_zone == ""
    assert not AuditEvent.objects.filter(action="person.profile_updated").exists()


def test_saved_language_wins_over_an_earlier_language_choice(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    client.get("/console/profile/?lang=en")  # the language cookie, which outranks the profile
    response = client.post("/console/profile/", {**SAVE, "language": "ja"})
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == ""  # deleted
    client.cookies.pop(settings.LANGUAGE_COOKIE_NAME, None)
    page = client.get("/console/profile/")
    assert page["Content-Language"] == "ja"


def test_profile_is_staff_only(client: Client, personas: Personas) -> None:
    client.force_login(personas.customer)
    assert client.get("/console/profile/").status_code == 404
    assert client.post("/console/profile/", SAVE).status_code == 404
    assert Person.objects.get(pk=personas.customer.pk).time_zone == ""


# -- times in the agent's zone ----------------------------------------------------------


def _due_at_one_am_utc(ticket: Ticket) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(first_response_due=ONE_AM_UTC)  # test set-up


def test_singapore_agent_reads_queue_due_times_in_singapore_time(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    _due_at_one_am_utc(ticket)
    client.force_login(personas.agent)
    with time_machine.travel(NOW, tick=False):
        before = client.get("/console/queues/central-europe/").content.decode()
        client.post("/console/profile/", SAVE)
        after = client.get("/console/queues/central-europe/").content.decode()
    assert "Wed 2 Dec 2026, 01:00 (UTC)" in before
    assert "Wed 2 Dec 2026, 09:00 (Asia/Singapore)" in after
    assert "Tue 1 Dec 2026, 18:00 (UTC)" not in after  # "time left as of" too
    assert "Wed 2 Dec 2026, 02:00 (Asia/Singapore)" in after


def test_ticket_page_shows_due_created_and_conversation_times_in_the_agents_zone(
    client: Client, personas: Personas
) -> None:
    ticket = open_ticket(personas.customer)  # opened at NOW, 18:00 UTC
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Looking", now=NOW)
    _due_at_one_am_utc(ticket)
    actions.do_update_profile(
        person=personas.agent, actor=personas.agent, now=NOW, time_zone="Asia/Singapore"
    )
    client.force_login(personas.agent)
    html = client.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert "Wed 2 Dec 2026, 09:00 (Asia/Singapore)" in html  # due
    assert html.count("Wed 2 Dec 2026, 02:00 (Asia/Singapore)") >= 3  # created, first message, note
    assert "(UTC)" not in html


def test_japanese_agent_reads_the_profile_and_times_in_japanese(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    _due_at_one_am_utc(ticket)
    actions.do_update_profile(
        person=personas.agent, actor=personas.agent, now=NOW, language="ja", time_zone="Asia/Tokyo"
    )
    client.force_login(personas.agent)
    assert "マイプロフィール" in client.get("/console/profile/").content.decode()
    queue = client.get("/console/queues/central-europe/").content.decode()
    assert "2026年12月2日(水) 10:00 (Asia/Tokyo)" in queue
