"""Satisfaction in the reports (leads only, like the others): by plan, office, agent and week,
with the response counts, and the comments; surveys asked in the period."""

from __future__ import annotations

from typing import Any

import pytest

from policydesk.tickets import actions
from policydesk.tickets.models import Ticket
from tests.conftest import Personas, signed_in
from tests.reports.conftest import REPORT_NOW, at
from tests.reports.test_reports_page import PERIOD_QUERY, tables_of


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    time_machine.move_to(REPORT_NOW, tick=False)


def test_satisfaction_by_plan_office_agent_and_week(personas: Personas, rated: dict[str, Ticket]) -> None:
    tables = tables_of(signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode())
    header, *plans = tables["satisfaction-plan"]
    assert header == ["Plan", "Asked", "Answered", "Good", "Bad", "Response rate %", "Satisfied %"]
    assert sorted(plans) == [
        ["Enterprise", "1", "1", "0", "1", "100.0", "0.0"],
        ["Growth", "1", "1", "1", "0", "100.0", "100.0"],
        ["Premium Success", "1", "0", "0", "0", "0.0", "-"],
    ]
    offices = {row[0]: row[1:] for row in tables["satisfaction-office"][1:]}
    assert len(offices) == 3 and sum(int(row[0]) for row in offices.values()) == 3
    assert tables["satisfaction-agent"][1:] == [["lead@example.com", "3", "2", "1", "1", "66.7", "50.0"]]
    assert tables["satisfaction-week"][1:] == [
        ["Week of 2026-11-02", "1", "0", "0", "0", "0.0", "-"],  # M1, solved on the 8th (a Sunday)
        ["Week of 2026-11-09", "2", "2", "1", "1", "100.0", "50.0"],
    ]
    header, *comments = tables["satisfaction-comments"]
    assert header == ["Ticket", "Rating", "Comment", "Agent", "Plan", "Answered (UTC)"]
    assert [row[:3] for row in comments] == [
        [f"#{rated['E1'].number}", "Bad, I'm not satisfied", "Too slow"],
        [f"#{rated['G1'].number}", "Good, I'm satisfied", "Clear answer"],
    ]


def test_surveys_outside_the_period_are_not_counted(personas: Personas, rated: dict[str, Ticket]) -> None:
    actions.do_customer_reply(ticket=rated["G1"], customer=personas.customer, text="Again", now=at(16, 9))
    actions.do_set_status(ticket=rated["G1"], status="solved", actor=personas.lead, now=at(16, 10))
    tables = tables_of(signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode())
    assert sum(int(row[1]) for row in tables["satisfaction-plan"][1:]) == 3


@pytest.mark.parametrize("name", ["agent", "customer", "other_org_customer"])
def test_only_leads_see_the_comments(personas: Personas, rated: dict[str, Ticket], name: str) -> None:
    client = signed_in(getattr(personas, name))
    assert client.get("/console/reports/satisfaction-comments.csv").status_code == 404


def test_japanese_reports_name_the_answers_in_japanese(personas: Personas, rated: dict[str, Ticket]) -> None:
    html = signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY + "&lang=ja").content.decode()
    comments = tables_of(html)["satisfaction-comments"]
    assert comments[0][:3] == ["チケット", "評価", "コメント"]
    assert comments[1][1] == "悪い(満足していない)"


def test_query_count_does_not_grow_with_surveys(
    personas: Personas, rated: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    client = signed_in(personas.lead)
    with django_assert_max_num_queries(13) as captured:
        client.get("/console/reports/" + PERIOD_QUERY)
    few = len(captured.captured_queries)
    for name in ("G2", "G4", "E2", "M2"):
        actions.do_set_status(ticket=rated[name], status="solved", actor=personas.lead, now=at(15, 9))
    with django_assert_max_num_queries(few):
        client.get("/console/reports/" + PERIOD_QUERY)
