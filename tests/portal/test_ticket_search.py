"""Search in the customer's "my tickets" (`/tickets/?q=`)."""

from __future__ import annotations

from policydesk.tickets import actions
from tests.conftest import NOW, Personas, open_ticket, signed_in


def test_a_customer_finds_their_ticket_by_a_word_of_the_conversation(personas: Personas) -> None:
    mine = open_ticket(personas.customer, subject="Login", text="ｷｬｯｼｭを削除しました")
    open_ticket(personas.other_org_customer, subject="Login", text="キャッシュも")
    page = signed_in(personas.customer).get("/tickets/", {"q": "キャッシュ"}).content.decode()
    assert f'data-testid="search-hit-{mine.number}"' in page
    assert page.count('data-testid="search-hit-') == 1
    assert "<mark>ｷｬｯｼｭ</mark>" in page


def test_an_internal_note_never_finds_or_shows_anything_to_the_customer(personas: Personas) -> None:
    ticket = open_ticket(personas.customer, subject="Login", text="Loop")
    actions.do_add_note(ticket=ticket, agent=personas.agent, text="Kunde ist schwierig", now=NOW)
    page = signed_in(personas.customer).get("/tickets/", {"q": "schwierig"}).content.decode()
    assert 'data-testid="search-empty"' in page and "Kunde ist" not in page


def test_the_search_speaks_japanese_and_a_bad_query_is_explained(personas: Personas) -> None:
    client = signed_in(personas.customer, HTTP_ACCEPT_LANGUAGE="ja")
    page = client.get("/tickets/", {"q": "なにもない"}).content.decode()
    assert "あなたのチケットはありません" in page
    bad = client.get("/tickets/", {"q": "status:lost"}).content.decode()
    assert 'data-testid="search-error"' in bad and "status:open" in bad


def test_without_a_query_the_list_is_as_before(personas: Personas) -> None:
    ticket = open_ticket(personas.customer)
    page = signed_in(personas.customer).get("/tickets/").content.decode()
    assert f'data-testid="ticket-row-{ticket.number}"' in page and 'data-testid="ticket-search"' in page
