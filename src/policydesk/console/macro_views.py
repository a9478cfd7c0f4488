"""Macros in the console: the composer's picker (search, apply) and the management page.

Applying a macro makes its changes at once (they are the ticket's own actions, each audited) and
puts its reply, rendered for the customer, into the composer, unsent, with the placeholders that
had no value listed above it: the agent reads it, fills what is missing and sends it."""

from __future__ import annotations

import dataclasses

from django.contrib import messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policydesk.console import queries
from policydesk.console.macro_forms import MacroForm
from policydesk.console.pages import Viewer, sidebar
from policydesk.console.ticket_page import render_ticket, seen, ticket_for
from policydesk.macros import access, actions, rendering
from policydesk.macros.models import Macro
from policydesk.tickets import access as ticket_access
from policydesk.tickets.actions import ActionError, StaleTicket, ticket_version
from policydesk.tickets.models import Person, Ticket
from policydesk.web import navigation
from policydesk.web.staff import staff_only

#: How many macros the picker lists at most (the search narrows them).
MACRO_PICKER_SIZE = 30


def _matching(person: Person, query: str) -> QuerySet[Macro]:
    macros = access.usable_macros(person).only("pk", "title")
    return macros.filter(title__icontains=query.strip()) if query.strip() else macros


@require_GET
@staff_only
def pick(request: HttpRequest, number: int) -> HttpResponse:
    """The macros whose title has `q`: the picker's list (htmx), or a page of its own without JS."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    query = request.GET.get("q", "")
    context = {
        "ticket": ticket,
        "macros": list(_matching(viewer.person, query)[:MACRO_PICKER_SIZE]),
        "q": query,
    }
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "console/_macro_list.html", context)
    else:
        context.update(_chrome(viewer), version=ticket_version(ticket))
        response = render(request, "console/macro_pick.html", context)
    patch_vary_headers(response, ("HX-Request",))
    return response


@require_POST
@staff_only
def apply(request: HttpRequest, number: int, macro_id: int) -> HttpResponse:
    """Apply the macro to the ticket: its changes now, its reply into the composer (after what the
    agent had written), not sent."""
    viewer = dataclasses.replace(Viewer.of(request), seen=seen(request))
    ticket = ticket_for(viewer, number)
    macro = get_object_or_404(access.usable_macros(viewer.person), pk=macro_id)
    written = request.POST.get("text", "").rstrip()
    try:
        applied = actions.do_apply_macro(
            ticket=ticket, macro=macro, agent=viewer.person, now=viewer.now, expected_version=viewer.seen
        )
    except StaleTicket:
        messages.error(
            request, _("The ticket changed since you opened it; look at it again and apply the macro again.")
        )
        return render_ticket(request, viewer, ticket_for(viewer, number), composer_text=written or None)
    except ActionError as refused:
        messages.error(request, str(refused))
        return render_ticket(request, viewer, ticket, composer_text=written or None)
    messages.success(
        request,
        _("Macro “%(title)s” applied; its reply is in the composer, not sent yet.") % {"title": macro.title},
    )
    text = f"{written}\n\n{applied.text}" if written else applied.text
    return render_ticket(
        request, viewer, ticket_for(viewer, number), composer_text=text, macro_missing=applied.missing
    )


# -- the management page ---------------------------------------------------------------------


def _chrome(viewer: Viewer) -> dict[str, object]:
    """What console/base.html needs around a page: the queue list."""
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    return {"queues": sidebar(viewer, queues), "count_cap": queries.COUNT_CAP}


@require_GET
@staff_only
def macro_list(request: HttpRequest) -> HttpResponse:
    """The macros the person may manage, and (for leads and admins) how often each was used."""
    viewer = Viewer.of(request)
    macros = access.manageable_macros(viewer.person).select_related("owner", "team")
    context = {
        "macros": macros,
        "show_usage": ticket_access.sees_all_queues(viewer.person),
        **_chrome(viewer),
    }
    return render(request, "console/macros.html", context)


@require_http_methods(["GET", "POST"])
@staff_only
def macro_edit(request: HttpRequest, macro_id: int | None = None) -> HttpResponse:
    """Create or change a macro; "Preview" renders its texts for a sample ticket without saving."""
    viewer = Viewer.of(request)
    macro = get_object_or_404(access.manageable_macros(viewer.person), pk=macro_id) if macro_id else None
    status, previews = 200, []
    if request.method == "POST":
        form = MacroForm(request.POST, policy=viewer.policy, lang=viewer.lang, person=viewer.person)
        if not form.is_valid():
            messages.error(request, _("Please correct the form below."))
            status = 400
        elif "preview" in request.POST:
            previews = _previews(viewer, form)
        else:
            try:
                actions.do_save_macro(
                    macro=macro, fields=form.fields_of(), actor=viewer.person, now=viewer.now
                )
            except ActionError as refused:
                form.add_error(None, str(refused))
                status = 400
            else:
                messages.success(request, _("The macro is saved."))
                return redirect("console:macros")
    else:
        initial = MacroForm.initial_of(macro) if macro else {"active": True}
        form = MacroForm(initial=initial, policy=viewer.policy, lang=viewer.lang, person=viewer.person)
    context = {"form": form, "macro": macro, "previews": previews, **_chrome(viewer)}
    return render(request, "console/macro_edit.html", context, status=status)


@dataclasses.dataclass(frozen=True)
class Preview:
    language: str
    text: str
    missing: tuple[str, ...]
    ticket: Ticket


def _previews(viewer: Viewer, form: MacroForm) -> list[Preview]:
    """Each text rendered for the newest ticket the person may see (a sample), or the error."""
    sample = (
        ticket_access.visible_tickets(viewer.person)
        .select_related("organisation", "requester")
        .order_by("-pk")
        .first()
    )
    if sample is None:
        form.add_error(None, _("There is no ticket to preview the macro with."))
        return []
    shown = []
    for lang, text in (("en", form.cleaned_data["text_en"]), ("ja", form.cleaned_data["text_ja"])):
        if not text.strip():
            continue
        try:
            rendering.check(text)
        except rendering.PlaceholderError as error:
            form.add_error(f"text_{lang}", str(error))
            continue
        done = rendering.render_text(text, rendering.values_for(sample, viewer.person, lang), lang)
        shown.append(Preview(lang, done.text, done.missing, sample))
    return shown


@require_POST
@staff_only
def macro_delete(request: HttpRequest, macro_id: int) -> HttpResponse:
    viewer = Viewer.of(request)
    macro = get_object_or_404(access.manageable_macros(viewer.person), pk=macro_id)
    actions.do_delete_macro(macro=macro, actor=viewer.person, now=viewer.now)  # may manage: looked up so
    messages.success(request, _("The macro is deleted."))
    return redirect("console:macros")
