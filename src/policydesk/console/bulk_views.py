"""Bulk changes from a queue (issue 13): the tickets ticked (or every ticket matching the queue's
filters) get one change, each through its own action (`tickets/bulk.py`); the job's page shows
progress and what could not be done, with the reason."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from policydesk.console import forms as console_forms
from policydesk.console import queries
from policydesk.console.pages import Viewer, sidebar
from policydesk.macros.models import Macro
from policydesk.tickets.actions import ActionError
from policydesk.tickets.bulk import MAX_TICKETS, do_start_bulk
from policydesk.tickets.models import BulkJob, Ticket
from policydesk.web import navigation
from policydesk.web.staff import staff_only


@require_POST
@staff_only
def start(request: HttpRequest) -> HttpResponse:
    """Start a bulk change; back to the queue with the reason if it cannot start."""
    viewer = Viewer.of(request)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    current = next((q for q in queues if q.slug == request.POST.get("queue", "")), None)
    if current is None:
        raise Http404
    queue_url = f"/console/queues/{current.slug}/"
    back = request.POST.get("back", "")
    if not back.startswith(queue_url):  # only this queue's page, with its filters
        back = queue_url
    action = request.POST.get("action", "")
    value = {
        "assign": request.POST.get("assignee", ""),
        "status": request.POST.get("status", ""),
        "priority": request.POST.get("priority", ""),
        "tags": request.POST.get("tags", "")[:500],
        "macro": request.POST.get("macro", ""),
        "merge": request.POST.get("into", "").strip().lstrip("#"),
    }.get(action, "")
    if request.POST.get("all_matching"):
        filter_form = console_forms.QueueFilterForm(
            QueryDict(back.partition("?")[2]), policy=viewer.policy, lang=viewer.lang,
            staff=queries.staff_for_queues(viewer.person, queues),
        )  # fmt: skip
        tickets = queries.queue_tickets(viewer.person, current, filter_form.filters())
        numbers = list(
            tickets.order_by(*queries.DUE_ORDER).values_list("number", flat=True)[: MAX_TICKETS + 1]
        )
    else:
        numbers = [int(n) for n in request.POST.getlist("tickets") if n.isdigit()]
    try:
        job = do_start_bulk(actor=viewer.person, action=action, value=value, numbers=numbers, now=viewer.now)
    except ActionError as refused:
        messages.error(request, str(refused))
        return redirect(back)
    return redirect("console:bulk-job", pk=job.pk)


def _what(job: BulkJob) -> str:
    """The change, with the macro's title for a macro (a deleted one is just "Apply a macro")."""
    what = str(job.get_action_display())
    if job.action == BulkJob.Action.MACRO and job.value.isdigit():
        title = Macro.objects.filter(pk=int(job.value)).values_list("title", flat=True).first()
        return _("%(change)s “%(title)s”") % {"change": what, "title": title} if title else what
    return what


@require_GET
@staff_only
def job(request: HttpRequest, pk: int) -> HttpResponse:
    """A bulk job's progress and outcome (its owner's only); refreshed while it runs (htmx)."""
    viewer = Viewer.of(request)
    found = get_object_or_404(BulkJob, pk=pk, actor=viewer.person)
    subjects = dict(
        Ticket.objects.filter(number__in=[f["number"] for f in found.failed[:200]]).values_list(
            "number", "subject"
        )
    )
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    context = {
        "job": found,
        "failed": [(f["number"], subjects.get(f["number"], ""), f["reason"]) for f in found.failed],
        "queues": sidebar(viewer, queues),
        "count_cap": queries.COUNT_CAP,
        "current": None,
        "running": found.state != BulkJob.State.DONE,
        "what": _what(found),
        "max_tickets": MAX_TICKETS,
    }
    context["processed"] = found.done + len(found.failed)
    return render(request, "console/bulk_job.html", context)
