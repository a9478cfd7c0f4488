"""Saved views: a queue's filters under a name in the sidebar, personal or shared (leads and
admins share), with capped counts that, like the lists, hold only what the viewer may see."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from policydesk.console import queries, saved_views
from policydesk.desk_policy import get_policy
from policydesk.tickets import access, actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, Person, SavedView
from policydesk.web import navigation
from tests.conftest import NOW, Personas, open_ticket


def sidebar(response: object) -> dict[str, str]:
    """The sidebar's views: name -> count."""
    html = response.content.decode()  # type: ignore[attr-defined]
    found = re.findall(
        r'data-testid="saved-view-link">\s*<span>([^<(]+?)(?: <span[^>]*>[^<]*</span>)?</span>\s*'
        r'<span class="queue-count" data-testid="saved-view-count">([^<]+)</span>',
        html,
    )
    return {name.strip(): count for name, count in found}


def save(
    person: Person, name: str, query: str = "", queue: str = "unassigned", shared: bool = False
) -> SavedView:
    return actions.do_save_view(owner=person, name=name, queue=queue, query=query, shared=shared, now=NOW)


def test_saving_a_view_keeps_only_the_filters_and_is_audited(personas: Personas) -> None:
    view = save(personas.agent, " Billing ", "tag=billing&after=abc&status=all&evil=1&q=", "central-europe")
    assert (view.name, view.query, view.queue, view.shared) == (
        "Billing",
        "status=all&tag=billing",
        "central-europe",
        False,
    )
    event = AuditEvent.objects.get(action="view.saved")
    assert event.actor == personas.agent and event.data["query"] == "status=all&tag=billing"


def test_an_agent_cannot_share_a_view_and_a_view_needs_a_name(personas: Personas) -> None:
    with pytest.raises(ActionError):
        save(personas.agent, "Everyone's", shared=True)
    with pytest.raises(ActionError):
        save(personas.agent, "   ")
    assert not SavedView.objects.exists() and not AuditEvent.objects.filter(action="view.saved").exists()
    assert save(personas.lead, "Team billing", shared=True).shared


def test_who_deletes_a_view(personas: Personas) -> None:
    mine = save(personas.agent, "Mine")
    shared = save(personas.lead, "Shared", shared=True)
    with pytest.raises(ActionError):
        actions.do_delete_view(view=mine, actor=personas.other_office_agent, now=NOW)
    with pytest.raises(ActionError):
        actions.do_delete_view(view=shared, actor=personas.agent, now=NOW)
    actions.do_delete_view(view=shared, actor=personas.admin, now=NOW)
    actions.do_delete_view(view=mine, actor=personas.agent, now=NOW)
    assert not SavedView.objects.exists()
    assert AuditEvent.objects.filter(action="view.deleted").count() == 2


def test_a_personal_view_is_its_owners_and_a_shared_one_everyones(client: Client, personas: Personas) -> None:
    save(personas.agent, "Jonas billing", "tag=billing")
    save(personas.lead, "Team billing", "tag=billing", shared=True)
    client.force_login(personas.agent)
    assert sidebar(client.get("/console/queues/unassigned/")) == {"Jonas billing": "0", "Team billing": "0"}
    client.force_login(personas.premium_agent)
    assert sidebar(client.get("/console/queues/unassigned/")) == {"Team billing": "0"}


def test_a_shared_view_counts_and_lists_only_what_each_person_may_see(
    client: Client, personas: Personas
) -> None:
    ours = open_ticket(personas.customer)  # central-europe
    theirs = open_ticket(personas.other_org_customer)  # us-west
    for ticket in (ours, theirs):
        actions.do_set_tags(ticket=ticket, tags=["billing"], actor=personas.lead, now=NOW)
    view = save(personas.lead, "Team billing", "tag=billing", shared=True)
    client.force_login(personas.lead)
    assert sidebar(client.get("/console/queues/unassigned/")) == {"Team billing": "2"}
    client.force_login(personas.agent)
    assert sidebar(client.get("/console/queues/unassigned/")) == {"Team billing": "1"}
    page = client.get(saved_views.view_url(view)).content.decode()
    assert re.findall(r'data-testid="queue-row" data-ticket="(\d+)"', page) == [str(ours.number)]


def test_a_view_of_a_queue_the_person_does_not_work_is_not_listed(client: Client, personas: Personas) -> None:
    save(personas.lead, "US West", queue="us-west", shared=True)
    client.force_login(personas.agent)
    assert sidebar(client.get("/console/queues/unassigned/")) == {}


def test_view_counts_are_capped_and_read_in_one_statement(
    personas: Personas,
    settings: object,
    django_assert_num_queries: DjangoAssertNumQueries,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(queries, "COUNT_CAP", 2)
    for index in range(4):
        open_ticket(personas.customer, subject=f"Q{index}")
    save(personas.agent, "All open")
    save(personas.agent, "Critical only", "priority=critical")
    save(personas.lead, "Shared", shared=True)
    access.remember_queues(personas.agent)  # as a request does: the agent's teams read once
    queues = navigation.queues_for(personas.agent, get_policy(), "en")
    staff = queries.staff_for_queues(personas.agent, queues)
    list(staff)  # the queue page has read the assignee choices already
    with django_assert_num_queries(2):  # the views, then every count in one statement
        entries = saved_views.sidebar_views(personas.agent, get_policy(), "en", queues, staff)
    assert [(entry.view.name, entry.count) for entry in entries] == [
        ("All open", 3), ("Critical only", 0), ("Shared", 3),
    ]  # fmt: skip  # 3 = COUNT_CAP + 1, shown as "2+"


def test_save_and_delete_from_the_console(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    response = client.post(
        "/console/queues/central-europe/save-view/", {"name": "Billing", "query": "tag=billing&size=50"}
    )
    view = SavedView.objects.get()
    assert (
        response.status_code == 302
        and response["Location"] == "/console/queues/central-europe/?tag=billing&size=50"
    )
    assert (view.owner, view.shared) == (personas.agent, False)
    # An agent's "shared" is refused with a message, and nothing is saved.
    response = client.post(
        "/console/queues/central-europe/save-view/", {"name": "All", "shared": "on"}, follow=True
    )
    assert "Only leads and admins share views." in response.content.decode()
    assert SavedView.objects.count() == 1
    # Not their queue: 404; somebody else's view: 404.
    assert client.post("/console/queues/us-west/save-view/", {"name": "x"}).status_code == 404
    other = save(personas.other_office_agent, "Ava's", queue="unassigned")
    assert client.post(f"/console/views/{other.pk}/delete/").status_code == 404
    assert client.post(f"/console/views/{view.pk}/delete/").status_code == 302
    assert list(SavedView.objects.all()) == [other]


def test_the_queue_page_offers_sharing_to_leads_only(client: Client, personas: Personas) -> None:
    client.force_login(personas.agent)
    page = client.get("/console/queues/central-europe/?tag=billing").content.decode()
    assert 'data-testid="save-view-form"' in page and 'name="shared"' not in page
    assert 'name="query" value="tag=billing"' in page
    client.force_login(personas.lead)
    assert 'name="shared"' in client.get("/console/queues/central-europe/").content.decode()


def test_a_view_keeps_its_order_and_the_queue_pages_newest_first_across_pages(
    client: Client, personas: Personas
) -> None:
    from datetime import timedelta

    from tests.console.test_queues import row_numbers

    made = [
        open_ticket(personas.customer, subject=f"Q{i}", now=NOW + timedelta(minutes=i)) for i in range(52)
    ]
    view = save(personas.agent, "Newest", "sort=newest&size=25&junk=1", "central-europe")
    assert view.query == "sort=newest&size=25"
    client.force_login(personas.agent)
    newest = [t.number for t in reversed(made)]
    due = client.get("/console/queues/central-europe/?size=100")
    assert row_numbers(due) == [t.number for t in made]  # due order: the oldest is due first
    page = client.get(saved_views.view_url(view))
    assert row_numbers(page) == newest[:25]
    seen = row_numbers(page)
    while (after := re.search(r'href="([^"]*after=[^"]*)"', page.content.decode())) is not None:
        page = client.get(after.group(1).replace("&amp;", "&"))
        seen += row_numbers(page)
    assert seen == newest  # every ticket once, newest first, page by page
    back = re.search(r'href="([^"]*before=[^"]*)"', page.content.decode())
    assert back is not None and row_numbers(client.get(back.group(1).replace("&amp;", "&"))) == newest[25:50]
    assert (
        'name="sort"' in page.content.decode() and '<option value="newest" selected' in page.content.decode()
    )
    # An unknown order is dropped (due order), as every invalid filter.
    assert row_numbers(client.get("/console/queues/central-europe/?sort=random&size=100")) == [
        t.number for t in made
    ]
