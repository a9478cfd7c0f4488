"""Presence and drafts (`tickets/workspace.py`): machinery in tables, seen by every process."""

from __future__ import annotations

from policydesk.tickets import workspace
from policydesk.tickets.models import Draft, Presence
from tests.conftest import NOW, Personas, open_ticket


def test_presence_lasts_until_renewed(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    workspace.note_presence(ticket, personas.lead, "typing", NOW)
    workspace.note_presence(ticket, personas.premium_agent, "viewing", NOW)
    seen = workspace.others_present(ticket, personas.agent, NOW + workspace.PRESENCE_TTL / 2)
    assert seen == [
        workspace.Present("lead@example.com", True),
        workspace.Present("priya@example.com", False),
    ]
    assert workspace.others_present(ticket, personas.lead, NOW)[0].name == "priya@example.com"
    assert workspace.others_present(ticket, personas.agent, NOW + workspace.PRESENCE_TTL) == []
    workspace.note_presence(ticket, personas.lead, "nonsense", NOW)
    assert Presence.objects.get(person=personas.lead).state == "viewing"
    assert Presence.objects.count() == 2


def test_a_draft_is_kept_per_box_and_an_empty_box_has_none(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    workspace.save_draft(ticket, personas.agent, "reply", "Dear", NOW)
    workspace.save_draft(ticket, personas.agent, "reply", "Dear Hanna", NOW)
    workspace.save_draft(ticket, personas.agent, "note", "Check logs", NOW)
    assert workspace.drafts_of(ticket, personas.agent) == {"reply": "Dear Hanna", "note": "Check logs"}
    assert workspace.drafts_of(ticket, personas.lead) == {}
    workspace.save_draft(ticket, personas.agent, "note", "  ", NOW)
    assert list(Draft.objects.values_list("kind", flat=True)) == ["reply"]
