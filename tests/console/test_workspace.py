"""The ticket workspace (issue 11): the composer, in-place updates with htmx and their plain-form
fallback, the preview of the customer's email, the side panel, next / previous, the explain page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import Attachment, AuditEvent, Message, Ticket
from tests.conftest import NOW, Personas, new_customer, open_ticket

LATER = NOW + timedelta(hours=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def jonas(client: Client, personas: Personas) -> Iterator[Client]:
    client.force_login(personas.agent)
    with time_machine.travel(LATER, tick=False):
        yield client


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    return open_ticket(personas.customer)


def url(ticket: Ticket, action: str = "") -> str:
    return f"/console/tickets/{ticket.number}/" + (f"{action}/" if action else "")


def version(ticket: Ticket) -> str:
    return str(actions.ticket_version(ticket))


# -- the composer -----------------------------------------------------------------------


def test_a_reply_from_the_composer_leaves_the_ticket_pending(jonas: Client, ticket: Ticket) -> None:
    response = jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "Try again", "then": "pending"})
    assert response.status_code == 302 and response["Location"].endswith("#composer")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.PENDING and ticket.first_responded_at == LATER
    assert Message.objects.get(text="Try again").kind == Message.Kind.PUBLIC
    assert OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.AGENT_REPLY).count() == 1


def test_send_and_solve_is_one_action_with_one_audit_row(jonas: Client, ticket: Ticket) -> None:
    before = AuditEvent.objects.count()
    jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "Fixed in 4.2", "then": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.SOLVED and ticket.first_responded_at == LATER
    new = list(AuditEvent.objects.order_by("id")[before:].values_list("action", "data"))
    assert [action for action, _ in new].count("ticket.replied") == 1
    assert not [action for action, _ in new if action == "ticket.status"]
    assert dict(new[[a for a, _ in new].index("ticket.replied")][1])["status"] == "solved"


def test_a_note_from_the_composer_stops_no_clock_and_changes_no_status(jonas: Client, ticket: Ticket) -> None:
    jonas.post(url(ticket, "compose"), {"kind": "note", "text": "Looks like the cache", "then": "solved"})
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.NEW and ticket.first_responded_at is None  # C10
    assert Message.objects.get(text="Looks like the cache").kind == Message.Kind.INTERNAL
    assert not OutgoingMail.objects.filter(ticket=ticket, kind=OutgoingMail.Kind.AGENT_REPLY).exists()


def test_a_note_with_files_is_refused_and_the_text_kept(jonas: Client, ticket: Ticket) -> None:
    upload = SimpleUploadedFile("trace.txt", b"stack", content_type="text/plain")
    response = jonas.post(
        url(ticket, "compose"), {"kind": "note", "text": "See trace", "attachments": upload}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Attach files to a reply" in page and "See trace</textarea>" in page
    assert not Message.objects.filter(text="See trace").exists()


def test_reply_attachments_from_the_composer_are_stored(jonas: Client, ticket: Ticket) -> None:
    upload = SimpleUploadedFile("steps.txt", b"1. open", content_type="text/plain")
    jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "Steps attached", "attachments": upload})
    message = Message.objects.get(text="Steps attached")
    assert list(Attachment.objects.filter(message=message).values_list("filename", flat=True)) == [
        "steps.txt"
    ]


def test_an_unknown_kind_or_then_is_refused(jonas: Client, ticket: Ticket) -> None:
    assert jonas.post(url(ticket, "compose"), {"kind": "shout", "text": "x"}).status_code == 400
    assert (
        jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "x", "then": "closed"}).status_code
        == 400
    )
    assert not Message.objects.filter(text="x").exists()


def test_a_reply_may_not_close_or_reopen_through_the_action(personas: Personas, ticket: Ticket) -> None:
    with pytest.raises(ActionError):
        actions.do_agent_reply(ticket=ticket, agent=personas.agent, text="x", now=LATER, status="closed")
    assert not Message.objects.filter(text="x").exists()


def test_the_composer_twice_with_one_key_sends_once(jonas: Client, ticket: Ticket) -> None:
    data = {"kind": "reply", "text": "Once only", "once_key": "k" * 32}
    jonas.post(url(ticket, "compose"), data)
    jonas.post(url(ticket, "compose"), data)
    assert Message.objects.filter(text="Once only").count() == 1


# -- in place (htmx) ------------------------------------------------------------------


def test_an_htmx_action_answers_with_the_workspace_alone(jonas: Client, ticket: Ticket) -> None:
    response = jonas.post(url(ticket, "priority"), {"priority": "high", "version": version(ticket)}, **HTMX)
    assert response.status_code == 200
    assert "HX-Request" in response["Vary"]
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<article id="workspace"') and "<html" not in fragment
    assert re.search(r'data-testid="flash" data-level="success"[^>]*>Priority set to High', fragment)
    assert 'data-testid="ticket-priority">High<' in fragment
    # The same form without htmx: post, redirect, get (the fallback without JavaScript).
    plain = jonas.post(url(ticket, "priority"), {"priority": "low", "version": version(ticket)})
    assert plain.status_code == 302 and plain["Location"] == url(ticket) + "#priority"


def test_an_htmx_form_with_errors_comes_back_in_place_with_400(jonas: Client, ticket: Ticket) -> None:
    response = jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "  "}, **HTMX)
    assert response.status_code == 400
    fragment = response.content.decode()
    assert "<html" not in fragment and "Please correct the form below." in fragment


def test_a_stale_htmx_reply_is_held_in_place_with_409(
    jonas: Client, personas: Personas, ticket: Ticket
) -> None:
    seen = version(ticket)
    actions.do_agent_reply(ticket=ticket, agent=personas.lead, text="Lead got there first", now=NOW)
    response = jonas.post(url(ticket, "compose"), {"kind": "reply", "text": "Mine", "version": seen}, **HTMX)
    assert response.status_code == 409
    fragment = response.content.decode()
    assert 'data-testid="stale"' in fragment and "Mine</textarea>" in fragment
    assert 'data-testid="send-anyway"' in fragment and "<html" not in fragment
    assert not Message.objects.filter(text="Mine").exists()


def test_the_partial_update_reads_a_constant_number_of_queries(
    jonas: Client, personas: Personas, ticket: Ticket
) -> None:
    def partial() -> int:
        with CaptureQueriesContext(connection) as queries:
            answer = jonas.post(url(ticket, "priority"), {"priority": "high"}, **HTMX)
        assert answer.status_code == 200
        return len(queries)

    few = partial()
    for i in range(20):
        actions.do_add_note(ticket=ticket, agent=personas.lead, text=f"note {i}", now=NOW)
        open_ticket(personas.customer, subject=f"Other {i}")
    assert partial() == few


# -- the preview ----------------------------------------------------------------------------


def test_the_preview_is_the_email_in_the_customers_language_and_saves_nothing(
    jonas: Client, personas: Personas
) -> None:
    yuki = new_customer("yuki@kaisha.example", "growth", "emea", language="ja", actor=personas.admin)
    ticket = open_ticket(yuki, subject="グラフが空です")
    mails = OutgoingMail.objects.count()
    response = jonas.post(url(ticket, "preview"), {"text": "キャッシュを消してください。"}, **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert 'data-testid="preview-to">yuki@kaisha.example<' in fragment
    assert 'data-testid="preview-language">ja<' in fragment
    assert "キャッシュを消してください。" in fragment and "グラフが空です" in fragment
    assert OutgoingMail.objects.count() == mails
    assert not Message.objects.filter(text="キャッシュを消してください。").exists()


def test_the_preview_without_javascript_is_the_whole_page_with_the_text_kept(
    jonas: Client, ticket: Ticket
) -> None:
    response = jonas.post(url(ticket, "preview"), {"kind": "reply", "text": "Draft answer"})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="composer-preview-shown"' in page and "Draft answer</textarea>" in page


# -- the side panel ---------------------------------------------------------------------------


def test_the_side_panel_shows_the_account_and_the_customers_other_tickets(
    jonas: Client, personas: Personas
) -> None:
    customer = new_customer(
        "mina@hoshi.example", "growth", "emea", actor=personas.admin,
        organisation={"account_executive": "ae@vendor.example"},
    )  # fmt: skip
    older = open_ticket(customer, subject="Older question", now=NOW - timedelta(days=2))
    ticket = open_ticket(customer, subject="Current question")
    open_ticket(personas.customer, subject="Someone else's")
    page = jonas.get(url(ticket)).content.decode()
    assert 'data-testid="ticket-account-executive">ae@vendor.example<' in page
    assert 'data-testid="ticket-region">' in page
    others = re.findall(r'data-testid="other-ticket"><a href="([^"]+)">([^<]+)</a>', page)
    assert others == [(url(older), f"#{older.number} Older question")]
    assert 'data-testid="ticket-promise" data-kind="due"' in page
    assert f'href="{url(ticket, "explain")}"' in page


def test_other_tickets_the_agent_may_not_see_are_not_listed(client: Client, personas: Personas) -> None:
    customer = new_customer("lee@multi.example", "growth", "americas", actor=personas.admin)
    americas = open_ticket(customer, subject="Seen by US West")
    customer.organisation.region = "emea"  # moved; its next ticket goes to Central Europe
    customer.organisation.save()
    emea = open_ticket(customer, subject="Seen by Central Europe")
    client.force_login(personas.agent)  # Central Europe only
    page = client.get(url(emea)).content.decode()
    assert americas.office != emea.office
    assert "Seen by US West" not in page and 'data-testid="no-other-tickets"' in page


# -- next / previous, explain -----------------------------------------------------------------


def test_next_and_previous_walk_the_queue_in_due_order(jonas: Client, personas: Personas) -> None:
    first = open_ticket(personas.customer, subject="First", now=NOW)
    second = open_ticket(personas.customer, subject="Second", now=NOW + timedelta(minutes=5))
    response = jonas.get(url(first, "next") + "?queue=central-europe")
    assert response.status_code == 302 and response["Location"] == url(second) + "?queue=central-europe"
    assert jonas.get(url(second, "previous"))["Location"] == url(first) + "?queue=central-europe"
    at_start = jonas.get(url(first, "previous"), follow=True)
    assert "No previous ticket in this queue." in at_start.content.decode()


def test_next_of_a_ticket_the_agent_cannot_see_is_404(client: Client, personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    client.force_login(personas.other_office_agent)
    assert client.get(url(ticket, "next")).status_code == 404
    assert client.get(url(ticket, "explain")).status_code == 404


def test_explain_says_why_the_due_time_clause_by_clause(jonas: Client, ticket: Ticket) -> None:
    page = jonas.get(url(ticket, "explain")).content.decode()
    lines = re.findall(r'data-testid="explain-line">([^<]+)<', page)
    assert any("(C9)" in line for line in lines)  # the office that answers
    assert any(line.startswith("Due at ") for line in lines)
    due = ticket.first_response_due
    assert due is not None and any(f"{due:%Y-%m-%dT%H:%M:%SZ}" in line for line in lines)


def test_a_held_reply_names_the_files_to_attach_again(
    jonas: Client, personas: Personas, ticket: Ticket
) -> None:
    seen = version(ticket)
    actions.do_set_status(ticket=ticket, status="open", actor=personas.lead, now=NOW)
    upload = SimpleUploadedFile("trace.log", b"stack", content_type="text/plain")
    data = {"kind": "reply", "text": "See the trace", "version": seen, "attachments": upload}
    response = jonas.post(url(ticket, "compose"), data, **HTMX)
    assert response.status_code == 409
    assert re.search(r'data-testid="stale-files">[^<]*trace\.log', response.content.decode())
    assert not Attachment.objects.filter(filename="trace.log").exists()


# -- merge --------------------------------------------------------------------------------


def test_merging_from_the_workspace_goes_to_the_surviving_ticket(jonas: Client, personas: Personas) -> None:
    target = open_ticket(personas.customer, subject="Export stops")
    source = open_ticket(personas.same_org_customer, subject="Export truncated")
    response = jonas.post(url(source, "merge"), {"into": target.number, "version": version(source)}, **HTMX)
    assert response.status_code == 200 and response["HX-Redirect"] == url(target)
    source.refresh_from_db()
    assert source.merged_into_id == target.pk
    page = jonas.get(url(source)).content.decode()
    assert 'data-testid="merged-into"' in page and 'data-testid="merge-form"' not in page
    plain = open_ticket(personas.same_org_customer, subject="Third")
    assert jonas.post(url(plain, "merge"), {"into": target.number})["Location"] == url(target)


def test_merging_into_a_ticket_the_agent_cannot_see_is_refused(jonas: Client, personas: Personas) -> None:
    source = open_ticket(personas.customer)
    elsewhere = open_ticket(personas.other_org_customer)  # US West: not Jonas's queue
    response = jonas.post(url(source, "merge"), {"into": elsewhere.number})
    assert response.status_code == 400
    assert f"There is no ticket #{elsewhere.number} you can answer." in response.content.decode()
    source.refresh_from_db()
    assert source.merged_into_id is None
    other = Client()
    other.force_login(personas.other_office_agent)
    assert other.post(url(source, "merge"), {"into": elsewhere.number}).status_code == 404
