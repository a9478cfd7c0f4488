"""The console's search: the box in every page's header and its results page, across every queue
the agent may see (`policydesk.search.service.find`, permissions inside the query)."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from policydesk.console import queries
from policydesk.console.pages import Viewer, sidebar
from policydesk.search.query import QueryError
from policydesk.search.service import find
from policydesk.web import navigation
from policydesk.web.staff import staff_only

RESULTS = 50
MAX_QUERY = 500


@dataclass(frozen=True)
class ResultRow:
    number: int
    subject: str
    url: str
    status: str
    queue: str
    snippet: SafeString


@require_GET
@staff_only
def search(request: HttpRequest) -> HttpResponse:
    """`/console/search/?q=`: the tickets the agent may see that match, best first."""
    viewer = Viewer.of(request)
    text = request.GET.get("q", "").strip()[:MAX_QUERY]
    rows: list[ResultRow] = []
    error = ""
    if text:
        try:
            hits = find(viewer.person, text, RESULTS)
        except QueryError:
            hits = []
            error = _(
                "This search cannot be read. Filters are written like status:open, assignee:me or "
                "created:>2026-11-01."
            )
        labels = viewer.labels
        rows = [
            ResultRow(
                number=hit.number,
                subject=hit.subject,
                url=reverse("console:ticket", kwargs={"number": hit.number}),
                status=hit.ticket.get_status_display(),
                queue=labels.queue(hit.ticket.office),
                snippet=hit.snippet,
            )
            for hit in hits
        ]
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    context = {
        "q": text,
        "search_query": text,  # the header's box keeps it (console/base.html)
        "rows": rows,
        "error": error,
        "queues": sidebar(viewer, queues),
        "count_cap": queries.COUNT_CAP,
    }
    return render(request, "console/search.html", context)
