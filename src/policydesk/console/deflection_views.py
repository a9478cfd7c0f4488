"""A deflected request as staff see it: who sent it, what they wrote, and where the policy sent
it (C12, C17-C20). The customer sees the same request under "My tickets"; nobody else does."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from policydesk.console.macro_views import _chrome
from policydesk.console.pages import Viewer
from policydesk.tickets.models import Deflection
from policydesk.web.staff import staff_only


@require_GET
@staff_only
def deflection(request: HttpRequest, pk: int) -> HttpResponse:
    """Every member of staff may read a deflected request: it is in no queue, and answering the
    customer about it (a call, a reclassification by hand) may fall to anyone."""
    viewer = Viewer.of(request)
    row = get_object_or_404(Deflection.objects.select_related("organisation", "person", "ticket"), pk=pk)
    route = viewer.policy.routes.get(row.route)
    context = {
        "deflection": row,
        "topic": viewer.labels.topic(row.topic),
        "plan": viewer.labels.plan(row.organisation.plan),
        # C17: with the organisation's own account team named; the id for a route since removed.
        "route": (
            viewer.policy.route_text(route, row.organisation.account_team(), viewer.lang)
            if route is not None
            else row.route
        ),
        "when": viewer.instant(row.created_at),
        **_chrome(viewer),
    }
    return render(request, "console/deflection.html", context)
