"""`GET /api/v1/search`: results, limits, bad queries, and its place in the OpenAPI."""

from __future__ import annotations

from typing import Any

from tests.api.conftest import Desk


def test_search_returns_ranked_hits_with_marked_snippets(desk: Desk, as_person: Any) -> None:
    response = as_person("agent").get("/search", q="charts", limit=5)
    assert response.status_code == 200
    (item,) = response.json()["items"]
    assert item == {
        "ticket": desk.eu_ticket.number,
        "subject": "Charts are empty",
        "score": item["score"],
        "snippet": "<mark>Charts</mark> are empty",
    }
    assert item["score"] > 0


def test_a_query_it_cannot_read_is_a_400_naming_the_parameter(desk: Desk, as_person: Any) -> None:
    response = as_person("agent").get("/search", q="created:soon")
    assert response.status_code == 400
    assert response.json()["error"]["details"][0]["loc"] == ["query", "q"]


def test_limit_and_an_empty_q_are_validated(desk: Desk, as_person: Any) -> None:
    api = as_person("lead")
    assert api.get("/search", q="morning", limit=0).status_code == 422
    assert api.get("/search", q="morning", limit=101).status_code == 422
    assert api.get("/search", q="").status_code == 422
    assert len(api.get("/search", q="morning", limit=1).json()["items"]) == 1


def test_a_nul_in_the_query_is_harmless(desk: Desk, as_person: Any) -> None:
    assert as_person("lead").get("/search", q="char\x00ts").status_code == 200


def test_the_openapi_documents_search(desk: Desk, as_person: Any) -> None:
    schema = as_person(None).get("/openapi.json").json()
    assert "get" in schema["paths"]["/api/v1/search"]
