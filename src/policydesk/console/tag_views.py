"""The console's tags and saved views: a ticket's tags in the workspace (in place with htmx, a
plain form without), tag suggestions as you type, and saving or deleting a queue's view."""

from __future__ import annotations

import re
import unicodedata

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from policydesk.console import forms as console_forms
from policydesk.console import queries
from policydesk.console.pages import Viewer
from policydesk.console.saved_views import view_url
from policydesk.console.views import ticket_action
from policydesk.tickets import actions
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import Ticket
from policydesk.tickets.tags import BadTag, normalise_tag
from policydesk.web import navigation
from policydesk.web.staff import staff_only


@ticket_action("tags")
def set_tags(viewer: Viewer, ticket: Ticket, form: console_forms.TagsForm) -> str:
    actions.do_set_tags(
        ticket=ticket, tags=form.wanted(), actor=viewer.person, now=viewer.now, expected_version=viewer.seen
    )
    return _("Tags saved.")


#: What is typed before the last word, and the last word (`tickets/tags.py` SEPARATORS).
_LAST_WORD = re.compile(r"(.*?)([^,、\s]*)", re.DOTALL)


@require_GET
@staff_only
def suggest_tags(request: HttpRequest) -> HttpResponse:
    """`<option>`s for the tags input's `<datalist>`: up to ten of the most used tags starting with
    the last word typed (`?q=`, or the input's own `add=`), each completing what was typed; only
    tags of tickets the agent may see."""
    typed = unicodedata.normalize("NFKC", request.GET.get("q", request.GET.get("add", "")))[:500]
    match = _LAST_WORD.fullmatch(typed)
    head, last = (match.group(1), match.group(2)) if match else ("", "")
    try:
        prefix = normalise_tag(last) if last else ""
    except BadTag:
        return HttpResponse("")
    names = queries.suggested_tags(request.user, prefix)  # type: ignore[arg-type]
    return HttpResponse(format_html_join("", '<option value="{}{}"></option>', ((head, n) for n in names)))


@require_POST
@staff_only
def save_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Save the queue page's filters (the form's `query`) as a view of queue `slug`."""
    viewer = Viewer.of(request)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    if not any(queue.slug == slug for queue in queues):
        raise Http404
    form = console_forms.SaveViewForm(request.POST)
    back = reverse("console:queue", kwargs={"slug": slug})
    if not form.is_valid():
        messages.error(request, _("Please name the view."))
    else:
        try:
            view = actions.do_save_view(
                owner=viewer.person, name=form.cleaned_data["name"], queue=slug,
                query=form.cleaned_data["query"], shared=form.cleaned_data["shared"], now=viewer.now,
            )  # fmt: skip
        except ActionError as refused:
            messages.error(request, str(refused))
        else:
            messages.success(request, _("View saved: %(name)s.") % {"name": view.name})
            return redirect(view_url(view))
    query = str(form.data.get("query", ""))
    return redirect(f"{back}?{actions.view_query(query)}" if query else back)


@require_POST
@staff_only
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    """Delete a view from the sidebar: one's own, or (a lead or admin) a shared one."""
    viewer = Viewer.of(request)
    view = get_object_or_404(queries.saved_views_for(viewer.person), pk=view_id)
    try:
        actions.do_delete_view(view=view, actor=viewer.person, now=viewer.now)
    except ActionError as refused:
        messages.error(request, str(refused))
    else:
        messages.success(request, _("View deleted: %(name)s.") % {"name": view.name})
    return redirect("console:index")
