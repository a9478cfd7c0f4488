"""A macro applied in bulk (`macros/bulk.py` through `tickets/bulk.py`): each ticket's reply rendered
in its customer's language and sent, its changes made, audited as a single apply; what could not
be done listed with the reason (a placeholder without a value, a closed ticket, another queue)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.macros.actions import MacroFields, do_save_macro
from policydesk.macros.models import Macro
from policydesk.tickets import actions, bulk
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import AuditEvent, BulkJob, Message, Person, Ticket
from tests.conftest import NOW, Personas, new_customer, open_ticket, signed_in

LATER = NOW + timedelta(hours=1)


@pytest.fixture
def macro(personas: Personas) -> Macro:
    fields = MacroFields(
        title="Known issue", scope="shared", set_priority="high", add_tags=("known-issue",),
        text_en="Hello {{ requester.first_name }}, #{{ ticket.number }} is a known issue.",
        text_ja="{{ requester.first_name }} 様、#{{ ticket.number }} は既知の問題です。",
    )  # fmt: skip
    return do_save_macro(macro=None, fields=fields, actor=personas.lead, now=NOW)


def customer(personas: Personas, email: str, name: str, language: str) -> Person:
    return new_customer(email, "growth", "emea", actor=personas.admin, name=name, language=language)


def test_each_ticket_gets_its_reply_in_its_customers_language_and_the_changes(
    personas: Personas, macro: Macro
) -> None:
    english = open_ticket(customer(personas, "ada@one.example", "Ada Lovelace", "en"))
    japanese = open_ticket(customer(personas, "kenji@two.example", "Kenji Sato", "ja"))
    job = bulk.do_start_bulk(
        actor=personas.agent, action="macro", value=str(macro.pk),
        numbers=[english.number, japanese.number], now=LATER,
    )  # fmt: skip
    assert job.state == BulkJob.State.DONE and job.done == 2 and not job.failed
    replies = dict(Message.objects.filter(author=personas.agent).values_list("ticket__number", "text"))
    assert replies == {
        english.number: f"Hello Ada, #{english.number} is a known issue.",
        japanese.number: f"Kenji 様、#{japanese.number} は既知の問題です。",
    }
    for ticket in Ticket.objects.filter(pk__in=[english.pk, japanese.pk]):
        assert ticket.priority == "high" and ticket.status == "pending"  # the reply waits on the customer
        assert ticket.first_responded_at == LATER
        assert list(ticket.tags.values_list("name", flat=True)) == ["known-issue"]
    # Audited as a single apply and send: the macro's row, then each change's and the reply's own.
    applied = AuditEvent.objects.filter(action="macro.applied").order_by("id")
    assert [row.data["ticket"] for row in applied] == [english.number, japanese.number]
    assert all(row.data["changes"] == ["priority", "tags", "reply"] for row in applied)
    for action in ("ticket.priority", "ticket.tags", "ticket.replied"):
        assert AuditEvent.objects.filter(action=action, actor=personas.agent).count() == 2
    assert Macro.objects.get(pk=macro.pk).usage_count == 2


def test_what_could_not_be_done_is_listed_with_the_reason_and_left_unchanged(
    personas: Personas, macro: Macro
) -> None:
    good = open_ticket(customer(personas, "ada@one.example", "Ada Lovelace", "en"))
    nameless = open_ticket(personas.customer)  # Hanna has no name: {{ requester.first_name }} is empty
    closed = open_ticket(customer(personas, "bo@three.example", "Bo Berg", "en"))
    actions.do_set_status(ticket=closed, status="closed", actor=personas.agent, now=NOW)
    elsewhere = open_ticket(personas.other_org_customer)  # US West: not Jonas's queue
    job = bulk.do_start_bulk(
        actor=personas.agent, action="macro", value=str(macro.pk),
        numbers=[good.number, nameless.number, closed.number, elsewhere.number], now=LATER,
    )  # fmt: skip
    assert job.done == 1
    assert job.failed == [
        {"number": nameless.number, "reason": "no value for the placeholders {{ requester.first_name }}"},
        {"number": closed.number, "reason": "the ticket is closed"},
        {"number": elsewhere.number, "reason": "no such ticket in your queues"},
    ]
    for refused in (nameless, closed, elsewhere):
        ticket = Ticket.objects.get(pk=refused.pk)
        assert ticket.priority != "high" and not ticket.tags.exists()
        assert not ticket.messages.filter(author=personas.agent).exists()
    assert AuditEvent.objects.filter(action="macro.applied").count() == 1
    assert Macro.objects.get(pk=macro.pk).usage_count == 1


def test_a_solving_macro_sends_and_solves_another_status_is_set_after_the_reply(
    personas: Personas,
) -> None:
    ada = customer(personas, "ada@one.example", "Ada Lovelace", "en")
    solving, holding = (
        do_save_macro(
            macro=None,
            fields=MacroFields(title=status, text_en="Done.", set_status=status),
            actor=personas.agent,
            now=NOW,
        )
        for status in ("solved", "open")
    )
    first, second = open_ticket(ada), open_ticket(ada)
    bulk.do_start_bulk(
        actor=personas.agent, action="macro", value=str(solving.pk), numbers=[first.number], now=LATER
    )
    bulk.do_start_bulk(
        actor=personas.agent, action="macro", value=str(holding.pk), numbers=[second.number], now=LATER
    )
    assert Ticket.objects.get(pk=first.pk).status == "solved"
    assert (
        AuditEvent.objects.get(action="ticket.replied", subject_id=str(first.pk)).data["status"] == "solved"
    )
    assert Ticket.objects.get(pk=second.pk).status == "open"
    assert AuditEvent.objects.get(action="ticket.status", subject_id=str(second.pk)).data == {
        "before": "pending", "after": "open"
    }  # fmt: skip


@pytest.mark.parametrize("value", ["", "424242", "not-a-number", "personal"])
def test_a_macro_the_agent_may_not_use_refuses_the_job_before_it_starts(
    personas: Personas, value: str
) -> None:
    if value == "personal":  # the lead's own macro: not Jonas's to use
        mine = do_save_macro(
            macro=None, fields=MacroFields(title="Mine", text_en="Hi"), actor=personas.lead, now=NOW
        )
        value = str(mine.pk)
    ticket = open_ticket(personas.customer)
    with pytest.raises(ActionError, match="choose a macro you may use"):
        bulk.do_start_bulk(
            actor=personas.agent, action="macro", value=value, numbers=[ticket.number], now=LATER
        )
    assert not BulkJob.objects.exists()


def test_the_queues_bulk_form_offers_the_macros_and_applies_one(personas: Personas, macro: Macro) -> None:
    ticket = open_ticket(customer(personas, "ada@one.example", "Ada Lovelace", "en"))
    jonas = signed_in(personas.agent)
    page = jonas.get("/console/queues/central-europe/").content.decode()
    assert '<option value="macro">' in page and f'<option value="{macro.pk}">Known issue</option>' in page
    answer = jonas.post(
        "/console/bulk/",
        {
            "queue": "central-europe",
            "action": "macro",
            "macro": str(macro.pk),
            "tickets": [ticket.number, 777],
        },
    )
    job = BulkJob.objects.get()
    assert answer.status_code == 302 and answer["Location"] == f"/console/bulk/{job.pk}/"
    shown = jonas.get(answer["Location"]).content.decode()
    assert "Apply a macro “Known issue”" in shown and "no such ticket in your queues" in shown
    assert Ticket.objects.get(pk=ticket.pk).messages.filter(author=personas.agent).count() == 1
    refused = jonas.post(
        "/console/bulk/",
        {"queue": "central-europe", "action": "macro", "macro": "", "tickets": [ticket.number]},
    )
    assert refused.status_code == 302 and refused["Location"] == "/console/queues/central-europe/"
    assert BulkJob.objects.count() == 1
