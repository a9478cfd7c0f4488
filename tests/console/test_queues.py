"""Queues: who sees which, due-time order, time-left badges, filters, pages, query counts (C3, C6, C9)."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.db.models import F
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoAssertNumQueries

from policydesk.console import queries
from policydesk.desk_policy import get_policy
from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from policydesk.web import navigation
from tests.conftest import NOW, Personas, open_ticket
from tests.console.tickets import customer_of


def row_numbers(response: object) -> list[int]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return [int(n) for n in re.findall(r'data-testid="queue-row" data-ticket="(\d+)"', html)]


def badge_states(response: object) -> list[str]:
    html = response.content.decode()  # type: ignore[attr-defined]
    return re.findall(r'data-testid="time-left-badge" data-state="([a-z-]+)"', html)


def queue_links(response: object) -> list[str]:
    return re.findall(r'data-testid="queue-link-([a-z-]+)"', response.content.decode())  # type: ignore[attr-defined]


# -- who sees what --------------------------------------------------------------------


def test_agent_sees_their_office_queue_and_not_another_offices(client: Client, personas: Personas) -> None:
    ours = open_ticket(personas.customer)  # Growth, EMEA -> central-europe (C9)
    theirs = open_ticket(personas.other_org_customer)  # Enterprise, Americas -> us-west
    client.force_login(personas.agent)
    response = client.get("/console/queues/central-europe/")
    assert row_numbers(response) == [ours.number]
    assert queue_links(response) == ["central-europe", "mission-critical", "unassigned", "mine"]
    unassigned = client.get("/console/queues/unassigned/")
    assert theirs.number not in row_numbers(unassigned) and ours.number in row_numbers(unassigned)


def test_premium_team_agent_sees_the_global_queue(client: Client, personas: Personas) -> None:
    premium = open_ticket(customer_of(personas, "premium", "americas", "maria@redwood.example"))
    ours = open_ticket(personas.customer)
    client.force_login(personas.premium_agent)
    response = client.get("/console/queues/global/")
    assert row_numbers(response) == [premium.number]
    assert queue_links(response) == ["us-west", "global", "mission-critical", "unassigned", "mine"]
    assert ours.number not in row_numbers(client.get("/console/queues/unassigned/"))


def test_lead_sees_every_queue(client: Client, personas: Personas) -> None:
    eu = open_ticket(personas.customer)
    us = open_ticket(personas.other_org_customer)
    premium = open_ticket(customer_of(personas, "premium", "americas", "maria@redwood.example"))
    client.force_login(personas.lead)
    response = client.get("/console/queues/us-west/")
    assert queue_links(response) == [
        "us-west", "singapore", "central-europe", "global", "mission-critical", "unassigned", "mine",
    ]  # fmt: skip
    assert row_numbers(response) == [us.number]
    assert row_numbers(client.get("/console/queues/central-europe/")) == [eu.number]
    assert row_numbers(client.get("/console/queues/global/")) == [premium.number]
    assert sorted(row_numbers(client.get("/console/queues/unassigned/"))) == [
        eu.number,
        us.number,
        premium.number,
    ]


def test_mission_critical_queue_holds_premium_critical_bugs_only_c6(
    client: Client, personas: Personas
) -> None:
    maria = customer_of(personas, "premium", "americas", "maria@redwood.example")
    critical = open_ticket(maria, topic="bug-report-critical")
    open_ticket(maria, topic="bug-report")
    open_ticket(personas.customer, topic="bug-report-critical")  # Growth: not mission-critical
    assert critical.mission_critical
    client.force_login(personas.lead)
    response = client.get("/console/queues/mission-critical/")
    assert row_numbers(response) == [critical.number]
    assert 'data-testid="mission-critical-flag"' in response.content.decode()
    client.force_login(personas.agent)  # central-europe only: the global ticket is not theirs
    assert row_numbers(client.get("/console/queues/mission-critical/")) == []


def test_mine_holds_the_tickets_assigned_to_me(client: Client, personas: Personas) -> None:
    mine = open_ticket(personas.customer)
    open_ticket(personas.customer)
    actions.do_assign(ticket=mine, assignee=personas.agent, actor=personas.lead, now=NOW)
    client.force_login(personas.agent)
    assert row_numbers(client.get("/console/queues/mine/")) == [mine.number]
    assert mine.number not in row_numbers(client.get("/console/queues/unassigned/"))


def test_solved_tickets_leave_the_queue_unless_asked_for(client: Client, personas: Personas) -> None:
    solved = open_ticket(personas.customer)
    waiting = open_ticket(personas.customer)
    actions.do_set_status(ticket=solved, status="solved", actor=personas.agent, now=NOW)
    client.force_login(personas.agent)
    assert row_numbers(client.get("/console/queues/central-europe/")) == [waiting.number]
    assert row_numbers(client.get("/console/queues/central-europe/?status=solved")) == [solved.number]
    assert set(row_numbers(client.get("/console/queues/central-europe/?status=all"))) == {
        solved.number,
        waiting.number,
    }


# -- order and badges -----------------------------------------------------------------


def test_queue_is_ordered_by_due_time_then_age_with_no_target_last(
    client: Client, personas: Personas
) -> None:
    plus = open_ticket(
        customer_of(personas, "plus", "emea", "pat@plus.example"), now=NOW - timedelta(hours=3)
    )
    # Tue 19:00 and later, Central Europe: after hours, so both Growth clocks start Wed 10:00 (C8).
    growth_older = open_ticket(personas.customer, now=NOW)
    growth_newer = open_ticket(personas.same_org_customer, now=NOW + timedelta(minutes=30))
    enterprise = open_ticket(
        customer_of(personas, "enterprise", "emea", "eva@ent.example"), now=NOW + timedelta(hours=1)
    )
    assert plus.first_response_due is None  # C3: Plus has no commitment
    assert enterprise.first_response_due < growth_older.first_response_due  # C3: 1 vs 2 business days
    assert growth_older.first_response_due == growth_newer.first_response_due
    with time_machine.travel(NOW + timedelta(hours=2), tick=False):
        client.force_login(personas.agent)  # inside: a session from today would expire by then
        response = client.get("/console/queues/central-europe/")
    assert row_numbers(response) == [enterprise.number, growth_older.number, growth_newer.number, plus.number]
    assert badge_states(response) == ["ok", "ok", "ok", "no-target"]


def test_badges_turn_amber_within_four_hours_and_red_when_overdue(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    due = ticket.first_response_due
    assert due is not None
    expected = [
        (due - timedelta(hours=5), "ok", "5 h 0 min left"),
        (due - timedelta(hours=3), "amber", "3 h 0 min left"),
        (due + timedelta(minutes=1), "red", "1 min overdue"),
    ]
    for when, state, text in expected:
        with time_machine.travel(when, tick=False):
            client.force_login(personas.agent)
            response = client.get("/console/queues/central-europe/")
        assert badge_states(response) == [state]
        assert text in response.content.decode()


def test_answered_ticket_shows_answered_not_overdue(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="On it", now=NOW)
    actions.do_customer_reply(ticket=ticket, customer=personas.customer, text="Still broken", now=NOW)
    with time_machine.travel(NOW + timedelta(days=3), tick=False):  # past the due time
        client.force_login(personas.agent)
        response = client.get("/console/queues/central-europe/")
    assert badge_states(response) == ["answered"]


def test_badge_threshold_is_configurable(personas: Personas, settings: Any) -> None:
    ticket = open_ticket(personas.customer)
    due = ticket.first_response_due
    assert due is not None
    three_hours_before = due - timedelta(hours=3)
    assert queries.time_left_badge(ticket, three_hours_before).state == "amber"
    settings.POLICYDESK_CONSOLE_AMBER_MINUTES = 60
    assert queries.time_left_badge(ticket, three_hours_before).state == "ok"
    assert queries.time_left_badge(ticket, due - timedelta(minutes=59)).state == "amber"
    assert queries.time_left_badge(ticket, due).state == "red"


# -- filters and pages ----------------------------------------------------------------


def test_filters_narrow_the_queue(client: Client, personas: Personas) -> None:
    charts = open_ticket(personas.customer, subject="Charts are empty", priority="high")
    export = open_ticket(personas.customer, subject="CSV export fails", topic="bug-report")
    assigned = open_ticket(personas.customer, subject="Login loops")
    actions.do_assign(ticket=assigned, assignee=personas.agent, actor=personas.agent, now=NOW)
    client.force_login(personas.agent)
    base = "/console/queues/central-europe/"
    assert row_numbers(client.get(base + "?priority=high")) == [charts.number]
    assert row_numbers(client.get(base + "?topic=bug-report")) == [export.number]
    assert row_numbers(client.get(base + "?q=csv")) == [export.number]
    assert row_numbers(client.get(base + f"?assignee={personas.agent.pk}")) == [assigned.number]
    assert set(row_numbers(client.get(base + "?assignee=none"))) == {charts.number, export.number}
    assert row_numbers(client.get(base + "?status=open")) == [assigned.number]  # assigning opens it


def test_filter_form_marks_the_chosen_options(client: Client, personas: Personas) -> None:
    open_ticket(personas.customer, priority="high")
    client.force_login(personas.agent)
    html = client.get(
        f"/console/queues/central-europe/?priority=high&assignee={personas.agent.pk}"
    ).content.decode()
    assert '<option value="high" selected>' in html
    assert f'<option value="{personas.agent.pk}" selected>' in html
    assert '<select name="status" id="id_status"><option value="" selected>' in html


def test_plain_select_renders_like_djangos_select_and_escapes() -> None:
    from django import forms

    from policydesk.console.forms import PlainSelect

    choices = [("", "Anyone"), ("1", "<b>Ann & Bo</b>"), ('"x"', "X")]

    class Both(forms.Form):
        plain = forms.ChoiceField(choices=choices, required=False, widget=PlainSelect)
        django = forms.ChoiceField(choices=choices, required=False)

    for data in ({"plain": "1", "django": "1"}, {"plain": "nope", "django": "nope"}, {}):
        form = Both(data)
        form.is_valid()
        ours, theirs = str(form["plain"]), str(form["django"])
        assert ours == re.sub(r">\s+<", "><", theirs).replace("django", "plain")
    assert "<b>" not in str(Both({})["plain"]) and "&lt;b&gt;Ann &amp; Bo&lt;/b&gt;" in str(Both({})["plain"])


def test_invalid_filters_are_ignored_not_errors(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(personas.agent)
    response = client.get("/console/queues/central-europe/?priority=urgent&assignee=abc&size=7&after=%%%")
    assert response.status_code == 200 and row_numbers(response) == [ticket.number]


def test_pages_walk_forward_and_back(client: Client, personas: Personas) -> None:
    tickets = [open_ticket(personas.customer, now=NOW + timedelta(minutes=i)) for i in range(30)]
    client.force_login(personas.agent)
    first = client.get("/console/queues/central-europe/")
    assert len(row_numbers(first)) == 25
    assert 'data-testid="page-previous"' not in first.content.decode()
    next_url = re.search(r'href="([^"]+)" rel="next"', first.content.decode()).group(1).replace("&amp;", "&")  # type: ignore[union-attr]
    second = client.get(next_url)
    assert row_numbers(first) + row_numbers(second) == [t.number for t in tickets]
    assert 'rel="next"' not in second.content.decode()
    previous_url = (
        re.search(r'href="([^"]+)" rel="prev"', second.content.decode()).group(1).replace("&amp;", "&")
    )  # type: ignore[union-attr]
    assert row_numbers(client.get(previous_url)) == row_numbers(first)


def test_keyset_pages_cross_tickets_without_a_due_time(personas: Personas) -> None:
    plus = customer_of(personas, "plus", "emea", "pat@plus.example")
    for i in range(4):
        open_ticket(personas.customer, now=NOW + timedelta(minutes=i))
        open_ticket(plus, now=NOW + timedelta(minutes=i))
    ordered = list(Ticket.objects.order_by(*queries.DUE_ORDER))
    assert [t.first_response_due is None for t in ordered] == [False] * 4 + [True] * 4
    pages, page = [], queries.keyset_page(Ticket.objects.all(), 3)
    pages.append(page.tickets)
    while page.next_cursor:
        page = queries.keyset_page(Ticket.objects.all(), 3, after=queries.Cursor.decode(page.next_cursor))
        pages.append(page.tickets)
    assert [len(p) for p in pages] == [3, 3, 2] and [t for p in pages for t in p] == ordered
    backwards = []
    while page.previous_cursor:
        page = queries.keyset_page(
            Ticket.objects.all(), 3, before=queries.Cursor.decode(page.previous_cursor)
        )
        backwards.insert(0, page.tickets)
    assert backwards == pages[:-1]


def test_queue_counts_are_bounded(personas: Personas, monkeypatch: pytest.MonkeyPatch) -> None:
    for _ in range(4):
        open_ticket(personas.customer)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    queues = navigation.queues_for(personas.agent, get_policy(), "en")
    counts = queries.queue_counts(personas.agent, queues)
    assert counts["central-europe"] == 3  # cap + 1: shown as "2+"
    assert counts["mine"] == 0


def test_queue_counts_are_read_in_one_query_and_count_only_open_visible_tickets(
    personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    mine = open_ticket(personas.customer)
    actions.do_assign(ticket=mine, assignee=personas.agent, actor=personas.agent, now=NOW)
    solved = open_ticket(personas.customer)
    actions.do_set_status(ticket=solved, status="solved", actor=personas.agent, now=NOW)
    open_ticket(personas.same_org_customer)
    open_ticket(personas.other_org_customer)  # us-west: not the agent's office
    critical = customer_of(personas, "premium", "americas", "maria@redwood.example")
    open_ticket(critical, topic="bug-report-critical")  # C6, global queue
    counts = queries.queue_counts(personas.agent, navigation.queues_for(personas.agent, get_policy(), "en"))
    # The agent sees central-europe only: the us-west and Premium tickets are in no count of theirs.
    assert counts == {"central-europe": 2, "mission-critical": 0, "unassigned": 1, "mine": 1}
    every_queue = navigation.queues_for(personas.lead, get_policy(), "en")
    with django_assert_num_queries(1):  # seven queues, one statement
        lead_counts = queries.queue_counts(personas.lead, every_queue)
    assert len(every_queue) == 7 and lead_counts["mission-critical"] == 1 and lead_counts["global"] == 1
    assert lead_counts["us-west"] == 1 and lead_counts["unassigned"] == 3


def test_queue_page_shows_capped_counts_as_cap_plus(
    client: Client, personas: Personas, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(3):
        open_ticket(personas.customer)
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    client.force_login(personas.agent)
    html = client.get("/console/queues/central-europe/").content.decode()
    assert 'data-testid="queue-count-central-europe">2+<' in html
    assert 'data-testid="queue-count-mine">0<' in html


def test_page_tickets_come_with_what_a_row_shows(
    personas: Personas, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.agent, now=NOW)
    open_ticket(personas.same_org_customer, now=NOW + timedelta(minutes=1))
    office = navigation.Queue("central-europe", "office", "Central Europe")
    with django_assert_num_queries(2):  # the dated part, then the undated part (C3) of a short queue
        page = queries.keyset_page(queries.queue_tickets(personas.lead, office, queries.Filters()), 25)
    with django_assert_num_queries(0):
        shown = [
            (t.organisation.plan, t.requester.email, t.assignee and t.assignee.email) for t in page.tickets
        ]
    assert shown == [
        ("growth", personas.customer.email, personas.agent.email),
        ("growth", personas.same_org_customer.email, None),
    ]


# -- query counts ---------------------------------------------------------------------


def test_queue_page_reads_a_constant_number_of_queries(
    client: Client, personas: Personas, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    other = customer_of(personas, "enterprise", "emea", "eva@ent.example")
    open_ticket(personas.customer)
    client.force_login(personas.agent)
    url = "/console/queues/central-europe/?size=50"
    with CaptureQueriesContext(connection) as one_ticket:
        assert len(row_numbers(client.get(url))) == 1
    for i in range(29):
        ticket = open_ticket(other if i % 2 else personas.customer)
        if i % 3 == 0:
            actions.do_assign(ticket=ticket, assignee=personas.agent, actor=personas.agent, now=NOW)
    with django_assert_max_num_queries(len(one_ticket)):
        assert len(row_numbers(client.get(url))) == 30
    # Session, person, staff for the filter, the page's two parts, every queue count in one statement,
    # the agent's teams (looked up by access.agent_queues three times), and the header's unread
    # notifications (one count, issue 11), the macros the bulk form offers (issue 13).
    assert len(one_ticket) <= 11


def test_open_filter_writes_its_statuses_into_the_sql_for_the_partial_indexes(personas: Personas) -> None:
    sql = str(queries.open_tickets(personas.lead).query)
    assert "IN ('new', 'open', 'pending', 'on-hold')" in sql


def test_inlined_in_refuses_anything_but_identifiers(personas: Personas) -> None:
    hostile = queries.InlinedIn(F("status"), ["new', 'x') OR 1=1 --"])
    with pytest.raises(ValueError, match="identifiers only"):
        list(Ticket.objects.filter(hostile))
