"""Satisfaction reports: what customers answered to "Were you satisfied?" about the tickets
solved in the period (surveys asked in it), by plan, queue (office), agent and week, with the
response counts, and the comments they wrote. Plan, queue and agent are as they were at the solve
(`SatisfactionSurvey`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC

from django.utils.translation import gettext as _

from policydesk.reports.queries import Period, week_of
from policydesk.reports.tables import Column, Table, Value
from policydesk.satisfaction.models import SatisfactionSurvey
from policydesk.web.labels import Labels

#: The most comments listed (newest first); the CSV has the same rows.
MAX_COMMENTS = 200


@dataclass(frozen=True)
class Answer:
    """One survey as the reports read it."""

    plan: str
    office: str
    agent: str
    week: str
    rating: str
    ticket: int
    comment: str
    answered_at: str


def answers(period: Period) -> list[Answer]:
    """Every survey asked in the period (one query)."""
    rows = (
        SatisfactionSurvey.objects.filter(asked_at__gte=period.start_at, asked_at__lt=period.end_at)
        .order_by("-answered_at", "-id")
        .values_list(
            "plan", "office", "agent__name", "agent__email", "asked_at", "rating", "ticket__number",
            "comment", "answered_at",
        )
    )  # fmt: skip
    return [
        Answer(
            plan=plan,
            office=office,
            agent=name or email or "",
            rating=rating,
            ticket=number,
            comment=comment,
            week=week_of(asked.astimezone(UTC).date()).isoformat(),
            answered_at=answered.astimezone(UTC).strftime("%Y-%m-%d %H:%M") if answered else "",
        )
        for plan, office, name, email, asked, rating, number, comment, answered in rows
    ]


def _share(part: int, whole: int) -> float | None:
    return 100 * part / whole if whole else None


def _grouped(
    slug: str, title: str, first: str, rows: Iterable[Answer], key: Callable[[Answer], str],
    label: Callable[[str], str], order: Iterable[str] = (),
) -> Table:  # fmt: skip
    asked: Counter[str] = Counter()
    good: Counter[str] = Counter()
    bad: Counter[str] = Counter()
    for row in rows:
        group = key(row)
        asked[group] += 1
        good[group] += row.rating == SatisfactionSurvey.Rating.GOOD
        bad[group] += row.rating == SatisfactionSurvey.Rating.BAD
    groups = [g for g in order if g in asked] or sorted(asked, key=lambda g: (-asked[g], g))
    columns = [
        Column("group", first),
        Column("asked", _("Asked")),
        Column("answered", _("Answered")),
        Column("good", _("Good"), charted=True),
        Column("bad", _("Bad"), charted=True),
        Column("response_rate", _("Response rate %")),
        Column("satisfaction", _("Satisfied %")),
    ]
    values: list[list[Value]] = [
        [
            asked[g],
            good[g] + bad[g],
            good[g],
            bad[g],
            _share(good[g] + bad[g], asked[g]),
            _share(good[g], good[g] + bad[g]),
        ]
        for g in groups
    ]
    description = _(
        "Tickets solved in the period whose customer was asked \u201cWere you satisfied?\u201d, and what "
        "they answered; satisfied is good as a share of the answers."
    )
    return Table(slug, title, description, columns, [label(g) for g in groups], values, chart_kind="bar")


def _comments(rows: Iterable[Answer], labels: Labels) -> Table:
    written = [row for row in rows if row.rating and row.comment][:MAX_COMMENTS]
    columns = [
        Column("ticket", _("Ticket")),
        Column("rating", _("Rating")),
        Column("comment", _("Comment")),
        Column("agent", _("Agent")),
        Column("plan", _("Plan")),
        Column("answered", _("Answered (UTC)")),
    ]
    ratings = dict(SatisfactionSurvey.Rating.choices)
    values: list[list[Value]] = [
        [str(ratings.get(row.rating, row.rating)), row.comment, row.agent or "-", labels.plan(row.plan),
         row.answered_at]
        for row in written
    ]  # fmt: skip
    return Table(
        "satisfaction-comments",
        _("Satisfaction comments"),
        _("What customers wrote with their answer, newest first (at most %(count)s).")
        % {"count": MAX_COMMENTS},
        columns,
        [f"#{row.ticket}" for row in written],
        values,
        chart_kind="none",
    )


def satisfaction_tables(period: Period, labels: Labels) -> list[Table]:
    """The satisfaction reports of the page, in page order."""
    rows = answers(period)

    def week(key: str) -> str:
        return _("Week of %(monday)s") % {"monday": key}

    weeks = [monday.isoformat() for monday in period.weeks()]
    return [
        _grouped(
            "satisfaction-plan", _("Satisfaction by plan"), _("Plan"), rows, lambda r: r.plan, labels.plan
        ),
        _grouped(
            "satisfaction-office",
            _("Satisfaction by office"),
            _("Office"),
            rows,
            lambda r: r.office,
            labels.queue,
        ),
        _grouped(
            "satisfaction-agent",
            _("Satisfaction by agent"),
            _("Agent"),
            rows,
            lambda r: r.agent,
            lambda key: key or _("Nobody"),
        ),
        _grouped(
            "satisfaction-week", _("Satisfaction by week"), _("Week"), rows, lambda r: r.week, week, weeks
        ),
        _comments(rows, labels),
    ]
