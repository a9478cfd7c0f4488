"""Attainment reports for leads (C10): tables with a chart each, and a CSV per table.

Leads and admins only; agents and customers get a 404, anonymous people the sign-in page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from policydesk import display, languages
from policydesk.desk_policy import get_policy
from policydesk.helpcentre.queries import article_tallies, search_miss_tallies
from policydesk.reports import metric_report, queries, tables
from policydesk.reports.forms import PeriodForm
from policydesk.reports.satisfaction import satisfaction_tables
from policydesk.tickets import access
from policydesk.web import navigation
from policydesk.web.labels import Labels
from policydesk.web.staff import staff_only

View = Callable[..., HttpResponse]


def leads_only(view: View) -> View:
    """The console's staff check, then leads and admins only (an agent gets a 404)."""

    @functools.wraps(view)
    def inner(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not access.sees_all_queues(request.user):  # type: ignore[arg-type]
            raise Http404
        return view(request, *args, **kwargs)

    return staff_only(inner)


def _tables(request: HttpRequest) -> tuple[PeriodForm, queries.Period, list[tables.Table], Any]:
    now = timezone.now()
    policy = get_policy()
    labels = Labels(policy, languages.current())
    form = PeriodForm(request.GET or None, default=queries.Period.default(now))
    period, tag = form.period(), form.chosen_tag()
    attainment = queries.attainment_report(policy, period, now, tag)
    labels = Labels(policy, languages.current())
    report = [
        *tables.report_tables(
            attainment,
            queries.deflection_report(policy, period, now),
            queries.backlog_report(policy, now, tag),
            labels,
        ),
        *tables.metric_tables(metric_report.metric_report(policy, period, now, tag), labels),
        tables.help_centre_table(article_tallies(period.start, period.end)),
        *satisfaction_tables(period, labels),
        tables.search_miss_table(search_miss_tallies(period.start, period.end)),
    ]
    return form, period, report, attainment


@require_GET
@leads_only
def index(request: HttpRequest) -> HttpResponse:
    form, period, report, attainment = _tables(request)
    person = request.user
    lang = languages.current()
    context = {
        "queues": [(q, None) for q in navigation.queues_for(person, get_policy(), lang)],  # type: ignore[arg-type]
        "form": form,
        "period": period,
        "tables": report,
        "total": attainment.total,
        "total_attainment": tables.cell(attainment.total.attainment),
        "now_text": display.format_instant(attainment.now, getattr(person, "time_zone", ""), lang),
        "query": request.GET.urlencode(),
        "tag": form.chosen_tag(),
    }
    return render(request, "reports/index.html", context)


@require_GET
@leads_only
def export_csv(request: HttpRequest, slug: str) -> HttpResponse:
    if slug not in tables.REPORT_SLUGS and slug not in tables.METRIC_SLUGS:
        raise Http404
    _, period, report, _ = _tables(request)
    table = next((t for t in report if t.slug == slug), None)
    if table is None:  # a metric table, and the policy promises only first responses
        raise Http404
    # A byte-order mark, so that spreadsheet programs read Japanese labels as UTF-8.
    response = HttpResponse("\ufeff" + table.csv(), content_type="text/csv; charset=utf-8")
    filename = f"policydesk-{slug}-{period.start.isoformat()}-{period.end.isoformat()}.csv"
    # The tag is not in the file's name: a header cannot carry every script safely; the CSV's
    # link keeps it in the query, so the file holds the tickets the page showed.
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
