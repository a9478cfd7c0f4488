"""Tags on tickets: the normal form (`tickets/tags.py`) and the tag actions (`actions/tags.py`)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError, StaleTicket, ticket_version
from policydesk.tickets.models import AuditEvent, Tag
from policydesk.tickets.tags import BadTag, normalise_tag, parse_tags
from tests.conftest import NOW, Personas, open_ticket

LATER = NOW + timedelta(minutes=5)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("  Billing ", "billing"),
        ("ＡＰＩ", "api"),  # full-width Latin: NFKC, then lower case
        ("請求", "請求"),  # no case in Japanese: kept as typed
        ("ｾｷｭﾘﾃｨ", "セキュリティ"),  # half-width katakana become full-width
        ("ÉTÉ", "été"),
        ("sso-login", "sso-login"),
    ],
)
def test_a_tag_is_stored_in_its_normal_form(typed: str, stored: str) -> None:
    assert normalise_tag(typed) == stored


@pytest.mark.parametrize("typed", ["", "   ", "two words", "a,b", "x" * 51, "全角\u3000空白"])
def test_a_tag_that_is_not_one_word_is_refused(typed: str) -> None:
    with pytest.raises(BadTag):
        normalise_tag(typed)


def test_a_text_field_gives_its_tags_once_each_in_typed_order() -> None:
    assert parse_tags("Billing, 請求 ＡＰＩ、billing\u3000api ,, ") == ["billing", "請求", "api"]


def test_set_tags_creates_the_tags_and_records_what_changed(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_set_tags(ticket=ticket, tags=["Billing", "ＡＰＩ", "請求"], actor=personas.agent, now=NOW)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["api", "billing", "請求"]
    actions.do_set_tags(ticket=ticket, tags=["billing", "sso"], actor=personas.agent, now=LATER)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["billing", "sso"]
    events = AuditEvent.objects.filter(action="ticket.tags").order_by("id")
    assert [event.data for event in events] == [
        {"added": ["billing", "api", "請求"], "removed": []},
        {"added": ["sso"], "removed": ["api", "請求"]},
    ]
    assert events[0].actor == personas.agent and events[0].subject_id == str(ticket.pk)
    ticket.refresh_from_db()
    assert ticket.updated_at == LATER
    # The tags stay, for the next ticket to reuse: one row per name, whatever its case.
    assert Tag.objects.count() == 4


def test_a_tag_is_one_row_whatever_case_it_was_typed_in(personas: Personas) -> None:
    first, second = open_ticket(personas.customer), open_ticket(personas.customer)
    actions.do_set_tags(ticket=first, tags=["API"], actor=personas.agent, now=NOW)
    actions.do_set_tags(ticket=second, tags=["ａｐｉ"], actor=personas.agent, now=NOW)
    assert list(Tag.objects.values_list("name", flat=True)) == ["api"]
    assert Tag.objects.get().tickets.count() == 2


def test_setting_the_same_tags_again_records_nothing(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_set_tags(ticket=ticket, tags=["billing"], actor=personas.agent, now=NOW)
    version = ticket_version(ticket)
    actions.do_set_tags(ticket=ticket, tags=["BILLING"], actor=personas.agent, now=LATER)
    assert ticket_version(ticket) == version


def test_add_and_remove_tags_keep_the_others(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    actions.do_set_tags(ticket=ticket, tags=["billing"], actor=personas.agent, now=NOW)
    actions.do_add_tags(ticket=ticket, tags=["API", "billing"], actor=personas.agent, now=NOW)
    assert sorted(ticket.tags.values_list("name", flat=True)) == ["api", "billing"]
    actions.do_remove_tags(ticket=ticket, tags=["Billing", "unknown"], actor=personas.agent, now=NOW)
    assert list(ticket.tags.values_list("name", flat=True)) == ["api"]
    added = AuditEvent.objects.filter(action="ticket.tags").order_by("id")[1]
    assert added.data == {"added": ["api"], "removed": []}


def test_a_bad_tag_refuses_the_whole_change(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    with pytest.raises(ActionError, match="two words"):
        actions.do_set_tags(ticket=ticket, tags=["billing", "two words"], actor=personas.agent, now=NOW)
    with pytest.raises(ActionError, match="at most 20 tags"):
        actions.do_set_tags(ticket=ticket, tags=[f"t{n}" for n in range(21)], actor=personas.agent, now=NOW)
    assert not ticket.tags.exists() and not Tag.objects.exists()
    assert not AuditEvent.objects.filter(action="ticket.tags").exists()


def test_tags_on_a_ticket_changed_since_are_held(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    loaded = ticket_version(ticket)
    actions.do_set_priority(ticket=ticket, priority="high", actor=personas.lead, now=NOW)
    with pytest.raises(StaleTicket) as held:
        actions.do_set_tags(
            ticket=ticket, tags=["billing"], actor=personas.agent, now=LATER, expected_version=loaded
        )
    assert [event.action for event in held.value.since] == ["ticket.priority"]
    assert not ticket.tags.exists()
    actions.do_set_tags(
        ticket=ticket, tags=["billing"], actor=personas.agent, now=LATER, expected_version=held.value.version
    )
    assert list(ticket.tags.values_list("name", flat=True)) == ["billing"]
