"""Merging one ticket into another (`do_merge_tickets`, issue 13): what moves, the clock the
surviving ticket keeps, who is told, what is refused, and mail to the old thread."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.mail.models import OutgoingMail
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError, StaleTicket, Upload
from policydesk.tickets.models import Attachment, AuditEvent, Message, Ticket
from tests.conftest import NOW, Personas, open_ticket

LATER = NOW + timedelta(hours=3)


@pytest.fixture
def pair(personas: Personas) -> tuple[Ticket, Ticket]:
    """Felix's duplicate (source, newer) and Hanna's ticket (target), same organisation."""
    target = open_ticket(personas.customer, subject="Export stops at 1000 rows", now=NOW)
    source = open_ticket(
        personas.same_org_customer,
        subject="CSV export truncated",
        text="Only 1000 rows.",
        now=NOW + timedelta(minutes=10),
    )
    return source, target


def merge(personas: Personas, source: Ticket, target: Ticket, **kwargs: object) -> Ticket:
    return actions.do_merge_tickets(source=source, target=target, agent=personas.agent, now=LATER, **kwargs)  # type: ignore[arg-type]


def test_messages_files_and_people_move_in_time_order(
    personas: Personas, pair: tuple[Ticket, Ticket]
) -> None:
    source, target = pair
    actions.do_customer_reply(
        ticket=target, customer=personas.customer, text="Also in Excel.", now=NOW + timedelta(minutes=20),
        uploads=(Upload("excel.png", "image/png", b"png"),),
    )  # fmt: skip
    actions.do_set_tags(ticket=source, tags=["export", "請求"], actor=personas.agent, now=NOW)
    merge(personas, source, target)
    assert sorted(target.tags.values_list("name", flat=True)) == ["export", "請求"]
    texts = list(target.messages.values_list("text", flat=True))
    assert texts[:3] == ["Since this morning.", "Only 1000 rows.", "Also in Excel."]  # time order
    assert texts[-1].startswith(f"Ticket #{source.number} (CSV export truncated) was merged")
    assert target.messages.last().kind == Message.Kind.INTERNAL  # type: ignore[union-attr]
    assert not source.messages.exists()
    assert set(Attachment.objects.values_list("ticket_id", flat=True)) == {target.pk}
    assert list(target.participants.all()) == [personas.same_org_customer]
    source.refresh_from_db()
    assert source.status == Ticket.Status.CLOSED and source.merged_into_id == target.pk
    event = AuditEvent.objects.get(action="ticket.merged")
    assert event.subject_id == str(source.pk) and event.data["into"] == target.number
    assert event.data["participants_added"] == [personas.same_org_customer.pk]


def test_the_surviving_ticket_keeps_the_earliest_unmet_due(
    personas: Personas, pair: tuple[Ticket, Ticket]
) -> None:
    source, target = pair  # target opened first: its due is the earlier one
    assert target.first_response_due is not None and source.first_response_due is not None
    assert target.first_response_due <= source.first_response_due
    due = target.first_response_due
    merge(personas, source, target)
    target.refresh_from_db()
    assert target.first_response_due == due and target.first_responded_at is None


def test_an_earlier_unmet_due_of_the_merged_ticket_wins(personas: Personas) -> None:
    older = open_ticket(personas.same_org_customer, subject="Older", now=NOW - timedelta(days=1))
    newer = open_ticket(personas.customer, subject="Newer", now=NOW)
    merge(personas, older, newer)
    newer.refresh_from_db()
    assert newer.first_response_due == older.first_response_due
    assert AuditEvent.objects.get(action="ticket.merged").data["first_response_due"]["clock"] == "earlier"


def test_an_answered_target_waits_again_for_an_unanswered_merged_ticket(
    personas: Personas, pair: tuple[Ticket, Ticket]
) -> None:
    source, target = pair
    actions.do_agent_reply(
        ticket=target, agent=personas.agent, text="Looking", now=NOW + timedelta(minutes=30)
    )
    merge(personas, source, target)
    target.refresh_from_db()
    assert target.first_responded_at is None and target.first_response_due == source.first_response_due
    assert target.status == Ticket.Status.PENDING  # the status is the agent's to change


def test_an_answered_merged_ticket_brings_no_due(personas: Personas, pair: tuple[Ticket, Ticket]) -> None:
    source, target = pair
    actions.do_agent_reply(ticket=source, agent=personas.agent, text="Seen", now=NOW + timedelta(minutes=30))
    due = target.first_response_due
    merge(personas, source, target)
    target.refresh_from_db()
    assert target.first_response_due == due


def test_both_customers_are_told_and_replies_go_to_the_surviving_ticket(
    personas: Personas, pair: tuple[Ticket, Ticket]
) -> None:
    source, target = pair
    merge(personas, source, target)
    told = OutgoingMail.objects.filter(kind=OutgoingMail.Kind.MERGED).order_by("id")
    assert [m.recipient for m in told] == ["felix@kumo.example", "hanna@kumo.example"]
    assert all(m.ticket_id == target.pk for m in told)
    assert f"[#{source.number}]" in told[0].body and f"[#{target.number}]" in told[0].body
    # The next public answer reaches both.
    actions.do_agent_reply(ticket=target, agent=personas.agent, text="Fixed in 4.2.1", now=LATER)
    answered = OutgoingMail.objects.filter(kind=OutgoingMail.Kind.AGENT_REPLY).values_list(
        "recipient", flat=True
    )
    assert sorted(answered) == ["felix@kumo.example", "hanna@kumo.example"]


def test_merging_across_organisations_is_refused(personas: Personas) -> None:
    mine = open_ticket(personas.customer)
    theirs = open_ticket(personas.other_org_customer)
    with pytest.raises(ActionError, match="same organisation"):
        merge(personas, theirs, mine)
    assert not AuditEvent.objects.filter(action="ticket.merged").exists()
    assert theirs.messages.exists()


def test_self_twice_and_closed_are_refused(personas: Personas, pair: tuple[Ticket, Ticket]) -> None:
    source, target = pair
    with pytest.raises(ActionError):
        merge(personas, target, target)
    third = open_ticket(personas.customer, subject="Third")
    merge(personas, source, target)
    with pytest.raises(ActionError, match="merged into another ticket already"):
        merge(personas, source, third)
    with pytest.raises(ActionError, match="merged into another ticket already"):
        merge(personas, third, Ticket.objects.get(pk=source.pk))
    actions.do_set_status(ticket=third, status="closed", actor=personas.agent, now=LATER)
    with pytest.raises(ActionError, match="closed"):
        merge(personas, third, target)


def test_a_stale_merge_is_held(personas: Personas, pair: tuple[Ticket, Ticket]) -> None:
    source, target = pair
    seen = actions.ticket_version(source)
    actions.do_customer_reply(ticket=source, customer=personas.same_org_customer, text="More", now=NOW)
    with pytest.raises(StaleTicket):
        merge(personas, source, target, expected_version=seen)
    source.refresh_from_db()
    assert source.merged_into_id is None


def test_a_merged_tickets_messages_are_found_in_the_surviving_ticket(
    personas: Personas, pair: tuple[Ticket, Ticket]
) -> None:
    from policydesk.search.service import find

    source, target = pair
    merge(personas, source, target)
    hits = find(personas.agent, "Only 1000 rows", limit=5)
    assert [hit.number for hit in hits] == [target.number]
