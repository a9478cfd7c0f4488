"""The reports page for leads (/console/reports/): permissions, tables, charts' data, CSV."""

from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from policydesk.reports.tables import REPORT_SLUGS
from policydesk.tickets.models import Person, Ticket
from tests.conftest import Personas, signed_in
from tests.reports.conftest import REPORT_NOW

PERIOD_QUERY = "?start=2026-11-02&end=2026-11-15"


@pytest.fixture(autouse=True)
def _clock(time_machine: Any) -> None:
    time_machine.move_to(REPORT_NOW, tick=False)


class TableReader(HTMLParser):
    """The text of each report table's cells, by the table's data-testid."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.current: str | None = None
        self.cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        testid = dict(attrs).get("data-testid") or ""
        if tag == "table" and testid.startswith("table-"):
            self.current = testid.removeprefix("table-")
            self.tables[self.current] = []
        elif tag == "tr" and self.current:
            self.tables[self.current].append([])
        elif tag in ("th", "td") and self.current:
            self.cell = []

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self.current and self.cell is not None:
            self.tables[self.current][-1].append("".join(self.cell).strip())
            self.cell = None
        elif tag == "table":
            self.current = None


def tables_of(html: str) -> dict[str, list[list[str]]]:
    reader = TableReader()
    reader.feed(html)
    return reader.tables


def chart_data(html: str, slug: str) -> dict[str, Any]:
    match = re.search(rf'<script id="chart-data-{slug}" type="application/json">(.*?)</script>', html, re.S)
    assert match, slug
    return json.loads(match.group(1))


@pytest.mark.parametrize("name", ["lead", "admin"])
def test_leads_and_admins_see_the_reports(personas: Personas, name: str) -> None:
    response = signed_in(getattr(personas, name)).get("/console/reports/")
    assert response.status_code == 200
    html = response.content.decode()
    for slug in REPORT_SLUGS:
        assert f'data-testid="report-{slug}"' in html
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize(
    "name",
    ["agent", "other_office_agent", "premium_agent", "customer", "same_org_customer", "other_org_customer"],
)
def test_agents_and_customers_get_404(personas: Personas, name: str) -> None:
    client = signed_in(getattr(personas, name))
    assert client.get("/console/reports/").status_code == 404
    assert client.get("/console/reports/by-plan.csv").status_code == 404


def test_anonymous_people_are_sent_to_sign_in(client: Client, db: None) -> None:
    response = client.get("/console/reports/by-plan.csv")
    assert response.status_code == 302 and response["Location"].startswith("/signin/")


def test_tables_show_the_seeded_figures(personas: Personas, seeded: dict[str, Ticket]) -> None:
    html = signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode()
    tables = tables_of(html)
    header, *rows = tables["by-plan"]
    assert header[:7] == ["Plan", "Tickets", "Met", "Breached", "Pending", "No target", "Attainment %"]
    assert ["Growth", "6", "3", "2", "1", "0", "60.0", "3.0", "17.0"] in rows
    assert ["Enterprise", "2", "2", "0", "0", "0", "100.0", "7.0", "7.0"] in rows
    assert ["Plus", "1", "0", "0", "0", "1", "-", "-", "-"] in rows
    weeks = {row[0]: row for row in tables["by-week"][1:]}
    assert weeks["Week of 2026-11-09"][1:5] == ["7", "3", "2", "1"]
    assert "11 tickets: 6 met, 3 breached, 1 pending; attainment 66.7%." in html


#: Tables that are no chart's: the satisfaction comments (text).
TABLE_ONLY = {"satisfaction-comments"}


def test_each_chart_draws_the_numbers_of_its_table(personas: Personas, rated: dict[str, Ticket]) -> None:
    html = signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode()
    tables = tables_of(html)
    for slug in REPORT_SLUGS:
        header, *rows = tables[slug]
        if slug in TABLE_ONLY:
            assert f'id="chart-data-{slug}"' not in html and rows, slug
            continue
        chart = chart_data(html, slug)
        assert chart["labels"] == [row[0] for row in rows]
        for series in chart["series"]:
            column = header.index(series["label"])
            assert [str(v) for v in series["data"]] == [row[column] for row in rows], slug
    assert 'data-testid="chart-by-plan"' in html
    assert "/static/reports/vendor/chartjs/chart.umd.min.js" in html  # served by us, no CDN
    assert "cdn" not in html.lower()


@pytest.mark.parametrize("slug", REPORT_SLUGS)
def test_csv_matches_the_table(personas: Personas, rated: dict[str, Ticket], slug: str) -> None:
    client = signed_in(personas.lead)
    table = tables_of(client.get("/console/reports/" + PERIOD_QUERY).content.decode())[slug]
    response = client.get(f"/console/reports/{slug}.csv" + PERIOD_QUERY)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"policydesk-{slug}-2026-11-02-2026-11-15.csv" in response["Content-Disposition"]
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(text))) == table


def test_unknown_csv_is_404(personas: Personas) -> None:
    assert signed_in(personas.lead).get("/console/reports/nothing.csv").status_code == 404


def test_reports_in_japanese_use_the_policys_japanese_names(
    personas: Personas, seeded: dict[str, Ticket]
) -> None:
    Person.objects.filter(pk=personas.lead.pk).update(language="ja")
    html = signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode()
    rows = tables_of(html)["by-plan"][1:]
    assert ["グロース", "6", "3", "2", "1", "0", "60.0", "3.0", "17.0"] in rows


def test_default_period_is_the_last_eight_weeks(personas: Personas, seeded: dict[str, Ticket]) -> None:
    html = signed_in(personas.lead).get("/console/reports/").content.decode()
    assert "from 2026-09-28 to 2026-11-16" in html
    assert len(tables_of(html)["by-week"]) == 1 + 8
    # The Monday 11-16 ticket is in the default period (13 tickets; 11-01 23:59 too).
    assert "13 tickets" in html


def test_a_reversed_period_is_refused_and_the_default_shown(
    personas: Personas, seeded: dict[str, Ticket]
) -> None:
    html = signed_in(personas.lead).get("/console/reports/?start=2026-11-15&end=2026-11-02").content.decode()
    assert 'data-testid="period-errors"' in html
    assert "from 2026-09-28 to 2026-11-16" in html


@pytest.mark.parametrize(
    "query",
    ["?start=9999-12-25&end=9999-12-31", "?end=9999-12-31", "?start=0001-01-01&end=0001-01-07"],
)
def test_a_period_beyond_the_supported_years_is_refused_and_the_default_shown(
    personas: Personas, seeded: dict[str, Ticket], query: str
) -> None:
    """Issue 9 (10): year 9999 made the period's end overflow (a 500); now a form error."""
    client = signed_in(personas.lead)
    page = client.get("/console/reports/" + query)
    html = page.content.decode()
    assert page.status_code == 200 and 'data-testid="period-errors"' in html
    assert "Choose a date from 2000-01-01 to 2100-12-31." in html
    assert "from 2026-09-28 to 2026-11-16" in html
    download = client.get("/console/reports/by-plan.csv" + query)
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")


def test_query_count_does_not_grow_with_tickets(
    personas: Personas, seeded: dict[str, Ticket], django_assert_max_num_queries: Any
) -> None:
    client = signed_in(personas.lead)
    # One query per family of tables (the satisfaction tables and the searches with no result
    # brought one each: 11 -> 13), none per ticket.
    with django_assert_max_num_queries(13) as captured:
        client.get("/console/reports/" + PERIOD_QUERY)
    few = len(captured.captured_queries)
    from tests.reports.conftest import _answer, _open, at

    for hour in range(9, 17):
        _answer(_open(personas.customer, at(5, hour)), personas.lead, at(5, hour, 30))
    with django_assert_max_num_queries(few):
        client.get("/console/reports/" + PERIOD_QUERY)


def test_help_centre_articles_read_and_answering_in_the_period(
    personas: Personas, seeded: dict[str, Ticket]
) -> None:
    html = signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY).content.decode()
    assert tables_of(html)["help-centre"] == [
        ["Article", "Read", "Answered a question"],
        ["Empty charts (en)", "3", "1"],
    ]


def test_help_centre_searches_with_no_result_in_the_period_with_csv(
    personas: Personas, seeded: dict[str, Ticket]
) -> None:
    client = signed_in(personas.lead)
    html = client.get("/console/reports/" + PERIOD_QUERY).content.decode()
    expected = [
        ["Search", "Searches with no result", "Days"],
        ["saml login", "3", "2"],
        ["請求書 [email]", "1", "1"],  # no address is kept
    ]
    assert tables_of(html)["search-misses"] == expected
    assert chart_data(html, "search-misses")["series"][0]["data"] == [3, 1]
    exported = client.get("/console/reports/search-misses.csv" + PERIOD_QUERY).content.decode("utf-8")
    assert list(csv.reader(io.StringIO(exported.removeprefix("\ufeff")))) == expected


def test_the_page_filters_by_a_tag_and_breaks_down_by_tag_with_its_csv(
    personas: Personas, seeded: dict[str, Ticket]
) -> None:
    from policydesk.tickets import actions

    for key in ("G1", "G2"):
        actions.do_set_tags(ticket=seeded[key], tags=["請求"], actor=personas.lead, now=REPORT_NOW)
    client = signed_in(personas.lead)
    html = client.get("/console/reports/" + PERIOD_QUERY).content.decode()
    header, *rows = tables_of(html)["by-tag"]
    assert header[0] == "Tag" and [row[:4] for row in rows] == [
        ["請求", "2", "1", "1"],
        ["No tag", "9", "5", "2"],
    ]
    query = PERIOD_QUERY + "&tag=" + quote("請求")
    filtered = client.get("/console/reports/" + query).content.decode()
    assert "2 tickets: 1 met, 1 breached, 0 pending; attainment 50.0%." in filtered
    assert 'data-testid="report-tag"' in filtered
    csv_link = "by-plan.csv" + query.replace("&", "&amp;")
    assert f'href="/console/reports/{csv_link}"' in filtered  # the CSV keeps the tag
    growth = client.get("/console/reports/by-plan.csv" + query).content.decode("utf-8").removeprefix("\ufeff")
    assert list(csv.reader(io.StringIO(growth)))[1][:4] == ["Growth", "2", "1", "1"]
    by_tag = (
        client.get("/console/reports/by-tag.csv" + PERIOD_QUERY)
        .content.decode("utf-8")
        .removeprefix("\ufeff")
    )
    assert list(csv.reader(io.StringIO(by_tag)))[1:] == rows


def test_a_bad_tag_is_refused_and_every_ticket_shown(personas: Personas, seeded: dict[str, Ticket]) -> None:
    html = (
        signed_in(personas.lead).get("/console/reports/" + PERIOD_QUERY + "&tag=two+words").content.decode()
    )
    assert 'data-testid="period-errors"' in html and 'data-testid="report-tag"' not in html
    assert "11 tickets: 6 met, 3 breached, 1 pending; attainment 66.7%." in html
