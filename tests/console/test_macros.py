"""Macros in the console: the composer's picker (search, apply in place, the plain-form fallback)
and the management page (list with usage for leads, create, preview, edit, delete)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from html import unescape

import pytest
import time_machine
from django.test import Client

from policydesk.macros.actions import MacroFields, do_save_macro
from policydesk.macros.models import Macro
from policydesk.tickets import actions
from policydesk.tickets.models import AuditEvent, Message, Ticket
from tests.conftest import NOW, Personas, open_ticket, signed_in

LATER = NOW + timedelta(hours=1)
HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def jonas(personas: Personas) -> Iterator[Client]:
    with time_machine.travel(LATER, tick=False):
        yield signed_in(personas.agent)


@pytest.fixture
def ticket(personas: Personas) -> Ticket:
    return open_ticket(personas.customer)


@pytest.fixture
def macros(personas: Personas) -> dict[str, Macro]:
    def save(title: str, **fields: object) -> Macro:
        return do_save_macro(
            macro=None, fields=MacroFields(title=title, **fields), actor=personas.lead, now=NOW
        )  # type: ignore[arg-type]

    return {
        "trace": save("Ask for a trace", scope="shared", set_priority="high",
                      text_en="Hello, please send a trace for #{{ ticket.number }}. "
                              "{{ organisation.account_executive }}"),
        "thanks": save("Thanks and solve", scope="shared", text_en="Thank you!"),
    }  # fmt: skip


def textarea(html: str) -> str:
    found = re.search(r'<textarea name="text"[^>]*>(.*?)</textarea>', html, re.S)
    assert found is not None
    return unescape(found.group(1)).strip()


def test_the_composer_has_the_picker_and_the_header_links_the_page(
    jonas: Client, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    html = jonas.get(f"/console/tickets/{ticket.number}/").content.decode()
    assert 'data-testid="macro-picker"' in html and f"/console/tickets/{ticket.number}/macros/" in html
    assert "Ask for a trace" not in html  # the list is asked for when the picker opens
    assert 'href="/console/macros/"' in html and "<kbd>m</kbd>" in html
    listed = jonas.get(f"/console/tickets/{ticket.number}/macros/", **HTMX).content.decode()
    assert "Ask for a trace" in listed and "Thanks and solve" in listed


def test_the_search_filters_by_title_as_a_fragment_or_a_page(
    jonas: Client, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    url = f"/console/tickets/{ticket.number}/macros/"
    fragment = jonas.get(url, {"q": "TRACE"}, **HTMX).content.decode()
    assert "Ask for a trace" in fragment and "Thanks and solve" not in fragment and "<html" not in fragment
    assert "No macro has this in its title." in jonas.get(url, {"q": "zzz"}, **HTMX).content.decode()
    page = jonas.get(url, {"q": "thanks"}).content.decode()
    assert "<html" in page and "Thanks and solve" in page and "Ask for a trace" not in page


def test_applying_in_place_puts_the_reply_in_the_composer_and_lists_what_is_missing(
    jonas: Client, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    version = actions.ticket_version(ticket)
    response = jonas.post(
        f"/console/tickets/{ticket.number}/macros/{macros['trace'].pk}/apply/",
        {"version": version, "kind": "reply", "text": ""},
        **HTMX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<article id="workspace"')  # the workspace alone, in place
    assert (
        textarea(html)
        == f"Hello, please send a trace for #{ticket.number}. {{{{ organisation.account_executive }}}}"
    )
    assert 'data-testid="macro-missing"' in html and "organisation.account_executive" in html
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert not Message.objects.filter(ticket=ticket, author__role="agent").exists()


def test_what_the_agent_wrote_is_kept_before_the_macros_text(
    jonas: Client, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    response = jonas.post(
        f"/console/tickets/{ticket.number}/macros/{macros['thanks'].pk}/apply/", {"text": "Done."}, **HTMX
    )
    assert textarea(response.content.decode()) == "Done.\n\nThank you!"


def test_without_javascript_the_page_comes_back_with_the_reply_in_the_composer(
    jonas: Client, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    response = jonas.post(f"/console/tickets/{ticket.number}/macros/{macros['thanks'].pk}/apply/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" in html and textarea(html) == "Thank you!"


def test_a_stale_page_does_not_apply_the_macro(
    jonas: Client, personas: Personas, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    seen = actions.ticket_version(ticket)
    actions.do_add_note(ticket=ticket, agent=personas.lead, text="Meanwhile", now=NOW)
    response = jonas.post(
        f"/console/tickets/{ticket.number}/macros/{macros['trace'].pk}/apply/", {"version": seen}, **HTMX
    )
    assert "changed since you opened it" in response.content.decode()
    ticket.refresh_from_db()
    assert ticket.priority != "high" and Macro.objects.get(pk=macros["trace"].pk).usage_count == 0


@pytest.mark.parametrize("persona", ["other_office_agent", "customer", "other_org_customer"])
def test_outsiders_cannot_pick_or_apply(
    personas: Personas, ticket: Ticket, macros: dict[str, Macro], persona: str
) -> None:
    client = signed_in(getattr(personas, persona))
    assert client.get(f"/console/tickets/{ticket.number}/macros/").status_code == 404
    assert (
        client.post(f"/console/tickets/{ticket.number}/macros/{macros['trace'].pk}/apply/").status_code == 404
    )
    assert Macro.objects.get(pk=macros["trace"].pk).usage_count == 0


def test_another_agents_personal_macro_is_not_found(
    jonas: Client, personas: Personas, ticket: Ticket
) -> None:
    fields = MacroFields(title="Priya's", text_en="Hi")
    theirs = do_save_macro(macro=None, fields=fields, actor=personas.premium_agent, now=NOW)
    assert jonas.post(f"/console/tickets/{ticket.number}/macros/{theirs.pk}/apply/").status_code == 404


# -- the management page --------------------------------------------------------------------------


def test_leads_see_how_often_each_macro_was_used(
    personas: Personas, ticket: Ticket, macros: dict[str, Macro], jonas: Client
) -> None:
    jonas.post(f"/console/tickets/{ticket.number}/macros/{macros['trace'].pk}/apply/")
    lead_page = signed_in(personas.lead).get("/console/macros/").content.decode()
    assert re.findall(r'data-testid="macro-usage">(\d+)<', lead_page) == ["1", "0"]
    agent_page = jonas.get("/console/macros/").content.decode()
    assert "macro-usage" not in agent_page and "Ask for a trace" not in agent_page  # not theirs to manage


def test_an_agent_creates_a_personal_macro_and_is_offered_no_other_scope(
    jonas: Client, personas: Personas
) -> None:
    form = jonas.get("/console/macros/new/").content.decode()
    assert 'value="personal"' in form and 'value="shared"' not in form
    response = jonas.post(
        "/console/macros/new/",
        {"title": "Mine", "text_en": "Hi {{ agent.name }}", "scope": "personal", "active": "on"},
    )
    assert response.status_code == 302
    macro = Macro.objects.get(title="Mine")
    assert macro.owner == personas.agent and macro.scope == "personal"
    assert AuditEvent.objects.filter(action="macro.created", actor=personas.agent).count() == 1
    refused = jonas.post("/console/macros/new/", {"title": "All", "text_en": "Hi", "scope": "shared"})
    assert refused.status_code == 400 and not Macro.objects.filter(title="All").exists()


def test_a_tag_is_refused_with_a_clear_error(personas: Personas) -> None:
    lead = signed_in(personas.lead)
    response = lead.post(
        "/console/macros/new/", {"title": "Bad", "text_en": "{% load static %}", "scope": "shared"}
    )
    assert response.status_code == 400
    assert "no tags" in unescape(response.content.decode()) and not Macro.objects.exists()


def test_the_preview_renders_for_a_sample_ticket_without_saving(personas: Personas, ticket: Ticket) -> None:
    lead = signed_in(personas.lead)
    response = lead.post(
        "/console/macros/new/",
        {
            "title": "P",
            "text_en": "#{{ ticket.number }} {{ organisation.account_executive }}",
            "scope": "shared",
            "preview": "1",
        },
    )
    html = unescape(response.content.decode())
    assert f"#{ticket.number} {{{{ organisation.account_executive }}}}" in html
    assert 'data-testid="macro-preview-missing"' in html and not Macro.objects.exists()


def test_a_lead_edits_and_deletes_a_shared_macro_an_agent_cannot(
    personas: Personas, macros: dict[str, Macro], jonas: Client
) -> None:
    macro = macros["thanks"]
    assert jonas.get(f"/console/macros/{macro.pk}/").status_code == 404
    assert jonas.post(f"/console/macros/{macro.pk}/delete/").status_code == 404
    lead = signed_in(personas.lead)
    edited = lead.post(
        f"/console/macros/{macro.pk}/",
        {"title": "Thanks", "text_en": "Thanks!", "scope": "shared", "active": ""},
    )
    assert edited.status_code == 302
    macro.refresh_from_db()
    assert macro.title == "Thanks" and not macro.active
    assert lead.post(f"/console/macros/{macro.pk}/delete/").status_code == 302
    assert not Macro.objects.filter(pk=macro.pk).exists()


def test_the_picker_and_the_page_speak_japanese(
    personas: Personas, ticket: Ticket, macros: dict[str, Macro]
) -> None:
    client = signed_in(personas.agent)
    html = client.get(f"/console/tickets/{ticket.number}/?lang=ja").content.decode()
    assert "タイトルでマクロを探す" in html and "マクロを選ぶ" in html
    page = client.get("/console/macros/new/?lang=ja").content.decode()
    assert "日本語の返信文" in page and "使える人" in page
    applied = client.post(
        f"/console/tickets/{ticket.number}/macros/{macros['trace'].pk}/apply/?lang=ja", **HTMX
    )
    assert "値のないマクロのプレースホルダー" in applied.content.decode()


def test_the_editor_sets_the_tags_a_macro_adds_and_removes(jonas: Client, personas: Personas) -> None:
    response = jonas.post(
        "/console/macros/new/",
        {"title": "Refund", "text_en": "Hi", "scope": "personal", "active": "on",
         "add_tags": "Billing、ＲＥＦＵＮＤ", "remove_tags": "new"},
    )  # fmt: skip
    assert response.status_code == 302
    macro = Macro.objects.get(title="Refund")
    assert (macro.add_tags, macro.remove_tags) == ("billing, refund", "new")
    form = jonas.get(f"/console/macros/{macro.pk}/").content.decode()
    assert 'name="add_tags" value="billing, refund"' in form and 'name="remove_tags" value="new"' in form


def test_a_bad_macro_tag_is_refused_with_the_reason(jonas: Client) -> None:
    for bad in ({"add_tags": "x" * 51}, {"add_tags": "billing", "remove_tags": "billing"}):
        response = jonas.post(
            "/console/macros/new/", {"title": "Bad", "text_en": "Hi", "scope": "personal", **bad}
        )
        assert response.status_code == 400 and not Macro.objects.exists()
    assert "both add and remove" in unescape(response.content.decode())
