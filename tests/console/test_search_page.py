"""The console's search: the box on every page, the results page across the agent's queues."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from policydesk.tickets.models import Ticket
from tests.conftest import Personas, open_ticket, signed_in

SEARCH = "/console/search/"


@pytest.mark.parametrize(
    "url", ["/console/overview/", "/console/notifications/", "/console/profile/", SEARCH]
)
def test_every_console_page_has_the_search_box(personas: Personas, url: str) -> None:
    page = signed_in(personas.agent).get(url).content.decode()
    assert '<form role="search" class="console-search" action="/console/search/"' in page
    assert 'id="console-search" name="q"' in page and 'data-testid="console-search"' in page


def test_results_link_the_tickets_with_the_match_marked(personas: Personas) -> None:
    ticket = open_ticket(
        personas.customer, subject="請求書が届かない", text="先月の請求書 <PDF> が見つかりません"
    )
    page = signed_in(personas.agent).get(SEARCH, {"q": "請求"}).content.decode()
    assert f'href="/console/tickets/{ticket.number}/"' in page
    assert "<mark>請求</mark>書が届かない" in page
    assert "&lt;PDF&gt;" not in page or "<PDF>" not in page  # the text is escaped, only <mark> is markup
    assert 'value="請求"' in page  # the header's box keeps the query


def test_the_results_page_speaks_japanese(personas: Personas) -> None:
    open_ticket(personas.customer, subject="障害", text="落ちました")
    client = signed_in(personas.agent, HTTP_ACCEPT_LANGUAGE="ja")
    page = client.get(SEARCH, {"q": "障害"}).content.decode()
    assert "検索" in page and "1 件のチケット" in page
    empty = client.get(SEARCH, {"q": "存在しない言葉"}).content.decode()
    assert 'data-testid="search-empty"' in empty and "一致するチケットはありません" in empty


def test_a_query_it_cannot_read_says_how_to_write_one(personas: Personas) -> None:
    response = signed_in(personas.agent).get(SEARCH, {"q": "created:yesterday"})
    assert response.status_code == 200
    assert 'data-testid="search-error"' in response.content.decode()


def test_no_query_shows_the_form_only(personas: Personas) -> None:
    page = signed_in(personas.agent).get(SEARCH).content.decode()
    assert 'data-testid="search-form"' in page and 'data-testid="search-results"' not in page


def test_queries_do_not_grow_with_the_results(personas: Personas, client: Client) -> None:
    client.force_login(personas.agent)
    open_ticket(personas.customer, subject="Sync broken 0")
    client.get(SEARCH, {"q": "sync"})  # warm the session and the policy
    with CaptureQueriesContext(connection) as few:
        client.get(SEARCH, {"q": "sync"})
    for index in range(1, 8):
        open_ticket(personas.customer, subject=f"Sync broken {index}")
    with CaptureQueriesContext(connection) as many:
        page = client.get(SEARCH, {"q": "sync"}).content.decode()
    assert page.count('data-testid="search-hit-link"') == 8
    assert len(many) == len(few)


def test_a_customer_is_not_shown_the_console_search(personas: Personas, ticket: Ticket) -> None:
    assert signed_in(personas.customer).get(SEARCH, {"q": "charts"}).status_code == 404
