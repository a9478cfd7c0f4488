"""The public status page (C16): components with their state, current incidents, history,
in English and Japanese."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.test import Client

from policydesk.status import actions
from policydesk.status.models import Component
from tests.conftest import NOW, Personas, signed_in
from tests.status.conftest import open_incident


def component_states(html: str, components: dict[str, Component]) -> dict[str, str]:
    states = {}
    for slug in components:
        marker = f'data-testid="component-{slug}" data-state="'
        start = html.index(marker) + len(marker)
        states[slug] = html[start : html.index('"', start)]
    return states


def test_page_with_no_incident_says_all_systems_operational(
    client: Client, components: dict[str, Component]
) -> None:
    response = client.get("/status/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "All systems operational" in html
    assert set(component_states(html, components).values()) == {"operational"}
    assert 'data-testid="no-current-incidents"' in html


def test_components_take_the_worst_state_of_their_open_incidents(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    open_incident(
        personas, components, severity="minor", components=[components["dashboards"], components["api"]]
    )
    open_incident(
        personas,
        components,
        title="Sign-in fails",
        severity="critical",
        components=[components["dashboards"]],
    )
    html = client.get("/status/").content.decode()
    assert component_states(html, components) == {
        "dashboards": "major-outage",  # the critical incident wins over the minor one
        "sign-in": "operational",
        "api": "degraded",
    }
    assert "Some systems are affected by an incident" in html


def test_current_incident_shows_state_severity_components_and_timestamped_updates(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    actions.do_post_incident_update(
        incident=incident, state="identified", body="A database node failed.", actor=personas.lead,
        now=NOW + timedelta(minutes=20),
    )  # fmt: skip
    html = client.get("/status/?lang=en").content.decode()
    current = html[
        html.index('data-testid="current-incidents"') : html.index('data-testid="incident-history"')
    ]
    assert "Dashboards do not load" in current
    assert 'data-state="identified"' in current and "Severity: Critical" in current
    assert "Affected: Dashboards" in current
    # Newest update first, each with its time (shown in UTC to anonymous visitors).
    assert current.index("A database node failed.") < current.index("We are looking into")
    assert "Tue 1 Dec 2026, 18:20 (UTC)" in current and "Tue 1 Dec 2026, 18:00 (UTC)" in current


def test_resolved_incident_moves_to_history_and_components_recover(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    actions.do_post_incident_update(
        incident=incident,
        state="resolved",
        body="Fixed.",
        actor=personas.agent,
        now=NOW + timedelta(minutes=30),
    )
    html = client.get("/status/").content.decode()
    history = html[html.index('data-testid="incident-history"') :]
    assert "Dashboards do not load" in history and 'data-state="resolved"' in history
    assert component_states(html, components)["dashboards"] == "operational"
    assert "All systems operational" in html


def test_history_leaves_out_incidents_resolved_over_90_days_ago(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    old = open_incident(personas, components, title="Old outage", now=NOW - timedelta(days=120))
    actions.do_post_incident_update(
        incident=old, state="resolved", body="Fixed.", actor=personas.agent, now=NOW - timedelta(days=119)
    )
    html = client.get("/status/").content.decode()
    assert "Old outage" not in html
    assert "Old outage" in client.get(f"/status/incidents/{old.pk}/").content.decode()


def test_japanese_page_by_lang_parameter_shows_japanese_titles_and_names(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    open_incident(personas, components)
    response = client.get("/status/?lang=ja")
    html = response.content.decode()
    assert response["Content-Language"] == "ja"
    assert '<html lang="ja">' in html
    assert (
        "ダッシュボードが表示されない" in html
        and "ダッシュボードのリクエストの失敗を調査しています。" in html
    )
    assert "ダッシュボード" in html and "ログイン" in html
    assert "2026年12月1日(火) 18:00 (UTC)" in html
    # A component without a Japanese name keeps its English one.
    assert ">API<" in html


def test_english_page_shows_english_titles(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    open_incident(personas, components)
    response = client.get("/status/?lang=en")
    html = response.content.decode()
    assert response["Content-Language"] == "en"
    assert "Dashboards do not load" in html and "ダッシュボードが表示されない" not in html


def test_language_comes_from_accept_language_when_not_chosen(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    open_incident(personas, components)
    response = client.get("/status/", HTTP_ACCEPT_LANGUAGE="ja-JP,ja;q=0.9")
    assert response["Content-Language"] == "ja"
    assert "ダッシュボードが表示されない" in response.content.decode()
    assert "Accept-Language" in response["Vary"]


def test_signed_in_persons_language_wins_over_accept_language(
    personas: Personas, components: dict[str, Component]
) -> None:
    from policydesk.tickets.models import Person

    Person.objects.filter(pk=personas.customer.pk).update(language="ja", time_zone="Asia/Tokyo")
    personas.customer.refresh_from_db()
    open_incident(personas, components)
    response = signed_in(personas.customer).get("/status/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert response["Content-Language"] == "ja"
    assert "2026年12月2日(水) 03:00 (Asia/Tokyo)" in html  # 18:00 UTC in the person's own zone


def test_incident_page_shows_every_update_and_a_missing_one_is_404(
    client: Client, personas: Personas, components: dict[str, Component]
) -> None:
    incident = open_incident(personas, components)
    for minutes in (10, 20, 30):
        actions.do_post_incident_update(
            incident=incident,
            state="monitoring",
            body=f"Update after {minutes} minutes",
            actor=personas.agent,
            now=NOW + timedelta(minutes=minutes),
        )
    response = client.get(f"/status/incidents/{incident.pk}/")
    assert response.content.decode().count('data-testid="incident-update"') == 4
    assert client.get("/status/incidents/999999/").status_code == 404


def test_status_page_query_count_does_not_grow_with_incidents(
    client: Client, personas: Personas, components: dict[str, Component], django_assert_max_num_queries: Any
) -> None:
    for n in range(12):
        incident = open_incident(personas, components, title=f"Incident {n}")
        if n % 2:
            actions.do_post_incident_update(
                incident=incident,
                state="resolved",
                body="Fixed.",
                actor=personas.agent,
                now=NOW + timedelta(minutes=n),
            )
    with django_assert_max_num_queries(8):
        response = client.get("/status/")
    assert response.content.decode().count('data-testid="incident-title"') == 12


def test_status_page_is_read_only(client: Client) -> None:
    assert client.post("/status/").status_code == 405
