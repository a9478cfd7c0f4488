"""The reports as tables: one definition feeds the HTML table, its chart and its CSV, so the
three always show the same numbers.

Cells are text made by one formatter (`cell`); a chart series holds the same numbers, to
the same precision, as the column it draws.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import mission_critical_promises
from policydesk.helpcentre.queries import ArticleTally, SearchMissTally
from policydesk.reports import queries
from policydesk.reports.metric_report import MetricReport
from policydesk.reports.queries import Attainment, Backlog, DeflectionCount
from policydesk.web.labels import Labels

Number = int | float | None
#: A cell of a table that is no chart's (the satisfaction comments): a number or a text.
Value = Number | str


def cell(value: Number | str) -> str:
    """'-' for nothing, whole numbers as they are, others with one decimal."""
    if value is None:
        return "-"
    if isinstance(value, str):
        return value
    if isinstance(value, int):
        return str(value)
    return f"{value:.1f}"


def rounded(value: Value) -> Value:
    return round(value, 1) if isinstance(value, float) else value


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else seconds / 3600


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    charted: bool = False  # drawn as a series of the chart


@dataclass(frozen=True)
class Table:
    slug: str
    title: str
    description: str
    columns: list[Column]
    labels: list[str]  # the first column: what each row is
    values: list[list[Value]]  # one list per row, one value per column after the first
    chart_kind: str = "bar"  # "bar" (stacked counts), "grouped", or "none" (a table only)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def chart_id(self) -> str:
        return f"chart-data-{self.slug}"

    @property
    def rows(self) -> list[list[str]]:
        """The table's text, first column included: what the page and the CSV show."""
        return [
            [label, *(cell(v) for v in values)]
            for label, values in zip(self.labels, self.values, strict=True)
        ]

    def chart(self) -> dict[str, Any]:
        """The chart's data: the table's own numbers for each charted column."""
        return {
            "kind": self.chart_kind,
            "labels": self.labels,
            "series": [
                {"key": column.key, "label": column.title, "data": [rounded(v[i]) for v in self.values]}
                for i, column in enumerate(self.columns[1:])
                if column.charted
            ],
        }

    def csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow([c.title for c in self.columns])
        writer.writerows(self.rows)
        return out.getvalue()


def _attainment_columns(
    first: str, counted: Column, pending: str, median: str, no_target: bool
) -> list[Column]:
    """The columns of an attainment table: what is counted, met, breached and pending (charted),
    no target (for tickets), attainment, median and 90th percentile business hours."""
    return [
        Column("group", first),
        counted,
        Column("met", _("Met"), charted=True),
        Column("breached", _("Breached"), charted=True),
        Column("pending", pending, charted=True),
        *([Column("no_target", _("No target"))] if no_target else []),
        Column("attainment", _("Attainment %")),
        Column("median_hours", median),
        Column("p90_hours", _("90th percentile business hours")),
    ]


def _attainment_values(rows: Sequence[Attainment], no_target: bool) -> list[list[Value]]:
    return [
        [
            r.tickets, r.met, r.breached, r.pending, *([r.no_target] if no_target else []), r.attainment,
            hours(r.median_seconds), hours(r.p90_seconds),
        ]
        for r in rows
    ]  # fmt: skip


def _attainment_table(
    slug: str,
    title: str,
    description: str,
    first: str,
    rows: Sequence[Attainment],
    label: Callable[[str], str],
) -> Table:
    columns = _attainment_columns(
        first,
        Column("tickets", _("Tickets")),
        _("Pending"),
        _("Median business hours to first response"),
        True,
    )
    values = _attainment_values(rows, no_target=True)
    return Table(slug, title, description, columns, [label(r.key) for r in rows], values)


def _deflection_table(
    slug: str, title: str, first: str, rows: Sequence[DeflectionCount], label: Callable[[str], str]
) -> Table:
    columns = [
        Column("group", first),
        Column("at_intake", _("At intake"), charted=True),
        Column("by_agent", _("By an agent"), charted=True),
        Column("total", _("Total")),
    ]
    values: list[list[Value]] = [[r.at_intake, r.by_agent, r.total] for r in rows]
    description = _(
        "Requests sent elsewhere: by triage when they arrived, or by an agent from an open ticket."
    )
    return Table(slug, title, description, columns, [label(r.key) for r in rows], values)


def _backlog_table(rows: Sequence[Backlog], labels: Labels) -> Table:
    columns = [
        Column("queue", _("Queue")),
        Column("open", _("Open")),
        Column("unanswered", _("Unanswered"), charted=True),
        Column("overdue", _("Overdue"), charted=True),
        Column("mission_critical", _("Mission-critical")),
    ]
    values: list[list[Value]] = [[r.open, r.unanswered, r.overdue, r.mission_critical] for r in rows]
    return Table(
        "backlog",
        _("Backlog by queue"),
        _("Open tickets now (new, open or waiting on the customer), whatever the period."),
        columns,
        [labels.queue(r.queue) for r in rows],
        values,
        chart_kind="grouped",
    )


def help_centre_table(rows: Sequence[ArticleTally]) -> Table:
    """The help centre's articles in the period: read, and "This answered my question" (a request
    that needed no ticket, counted by article)."""
    columns = [
        Column("article", _("Article")),
        Column("views", _("Read"), charted=True),
        Column("deflections", _("Answered a question"), charted=True),
    ]
    return Table(
        "help-centre",
        _("Help center articles"),
        _("How often each article was read, and how often it answered a question on the request form."),
        columns,
        [f"{r.title} ({r.language})" for r in rows],
        [[r.views, r.deflections] for r in rows],
        chart_kind="grouped",
    )


def search_miss_table(rows: Sequence[SearchMissTally]) -> Table:
    """Help-centre searches that found nothing in the period, the most frequent first: what
    readers look for and no article answers (queries only: nobody who searched is kept)."""
    columns = [
        Column("query", _("Search")),
        Column("searches", _("Searches with no result"), charted=True),
        Column("days", _("Days")),
    ]
    return Table(
        "search-misses",
        _("Help center searches with no result"),
        _(
            "What readers searched the help center for and found no article, by query (in lower "
            "case; email addresses and long numbers are not kept)."
        ),
        columns,
        [r.query for r in rows],
        [[r.searches, r.days] for r in rows],
    )


def route_label(labels: Labels, route_id: str) -> str:
    route = labels.policy.routes.get(route_id)
    if route is None:
        return route_id
    where = ", ".join(route.contacts) if route.contacts else (route.url or "")
    return f"{route_id} ({where})" if where else route_id


def report_tables(
    attainment: queries.AttainmentReport,
    deflections: queries.DeflectionReport,
    backlog: Sequence[Backlog],
    labels: Labels,
) -> list[Table]:
    """Every report of the page, in page order."""
    decided = _(
        "Met, breached and pending first responses; attainment is met as a share of met and breached."
    )

    def week(key: str) -> str:
        return key if key == "all" else _("Week of %(monday)s") % {"monday": key}

    return [
        _attainment_table(
            "by-plan", _("First response by plan"), decided, _("Plan"), attainment.by_plan, labels.plan
        ),
        _attainment_table(
            "by-office",
            _("First response by office"),
            decided,
            _("Office"),
            attainment.by_office,
            labels.queue,
        ),
        _attainment_table(
            "by-week", _("First response by week"), decided, _("Week"), attainment.by_week, week
        ),
        _attainment_table(
            "mission-critical",
            _("Mission-critical response times by week"),
            _("Requests the policy marks mission-critical (C6). %(promises)s")
            % {"promises": mission_critical_promises(languages.current())},
            _("Week"),
            attainment.mission_critical,
            week,
        ),
        _attainment_table(
            "by-tag",
            _("First response by tag"),
            _(
                "The tags of the most tickets (at most %(count)s), then the tickets without a tag; a "
                "ticket with two tags counts under each. Tags as they are now."
            )
            % {"count": queries.MAX_TAG_ROWS},
            _("Tag"),
            attainment.by_tag,
            lambda key: key or _("No tag"),
        ),
        _deflection_table(
            "deflections-topic", _("Deflections by topic"), _("Topic"), deflections.by_topic, labels.topic
        ),
        _deflection_table(
            "deflections-route",
            _("Deflections by route"),
            _("Route"),
            deflections.by_route,
            lambda key: route_label(labels, key),
        ),
        _backlog_table(backlog, labels),
    ]


REPORT_SLUGS = (
    "by-plan",
    "by-office",
    "by-week",
    "mission-critical",
    "by-tag",
    "deflections-topic",
    "deflections-route",
    "backlog",
    "help-centre",
    # reports/satisfaction.py
    "satisfaction-plan",
    "satisfaction-office",
    "satisfaction-agent",
    "satisfaction-week",
    "satisfaction-comments",
    "search-misses",
)
#: The SLA metric reports, shown when a plan promises more than a first response.
METRIC_SLUGS = ("metrics-by-plan", "metrics-by-office", "metrics-by-week")


def metric_tables(report: MetricReport | None, labels: Labels) -> list[Table]:
    """Each SLA metric's figures by plan, office and week (none when the policy promises only
    first responses: `metric_report.metric_report` is then None)."""
    if report is None:
        return []
    description = _(
        "Each metric instance of the tickets opened in the period: met, breached, or still running "
        "(or paused); attainment is met as a share of met and breached. Business hours are those "
        "counted until the metric was fulfilled, pauses left out."
    )

    def week(key: str) -> str:
        return _("Week of %(monday)s") % {"monday": key}

    def table(
        slug: str, title: str, first: str, rows: Sequence[Attainment], group: Callable[[str], str]
    ) -> Table:
        columns = _attainment_columns(
            first, Column("instances", _("Instances")), _("Running"), _("Median business hours"), False
        )
        values = _attainment_values(rows, no_target=False)

        def label(key: str) -> str:
            metric, _bar, rest = key.partition("|")
            return f"{labels.metric(metric)} · {group(rest)}"

        return Table(slug, title, description, columns, [label(r.key) for r in rows], values)

    return [
        table("metrics-by-plan", _("SLA metrics by plan"), _("Metric · plan"), report.by_plan, labels.plan),
        table(
            "metrics-by-office",
            _("SLA metrics by office"),
            _("Metric · office"),
            report.by_office,
            labels.queue,
        ),
        table("metrics-by-week", _("SLA metrics by week"), _("Metric · week"), report.by_week, week),
    ]
