"""The public status page (C16) and engineering's page for posting to it.

Public pages answer in the chosen language (`?lang=`, then the person's preference, then
Accept-Language). The management page is staff only; every write is a `do_*` action in
`status/actions.py` behind a POST that redirects back, with a message saying what happened.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policydesk import display, languages
from policydesk.desk_policy import get_policy
from policydesk.status import actions, forms, queries, subscriptions
from policydesk.status.models import Incident, IncidentUpdate, Subscriber
from policydesk.tickets import access
from policydesk.tickets.actions import ActionError
from policydesk.web import navigation
from policydesk.web.language import with_language
from policydesk.web.staff import staff_only


def _zone(request: HttpRequest) -> str:
    user = request.user
    return getattr(user, "time_zone", "") if user.is_authenticated else "UTC"


@dataclass(frozen=True)
class ShownUpdate:
    update: IncidentUpdate
    text: str
    posted: str


@dataclass(frozen=True)
class ShownIncident:
    """An incident as the page shows it: in the page's language, times in the viewer's zone."""

    incident: Incident
    title: str
    components: list[str]
    started: str
    resolved: str | None
    updates: list[ShownUpdate]


def _shown(incidents: list[Incident], lang: str, zone: str) -> list[ShownIncident]:
    return [
        ShownIncident(
            incident=incident,
            title=incident.title_in(lang),
            components=[c.name_in(lang) for c in incident.components.all()],
            started=display.format_instant(incident.started_at, zone, lang),
            resolved=display.format_instant(incident.resolved_at, zone, lang)
            if incident.resolved_at
            else None,
            updates=[
                ShownUpdate(u, u.body_in(lang), display.format_instant(u.posted_at, zone, lang))
                for u in incident.updates.all()
            ],
        )
        for incident in incidents
    ]


# -- public ---------------------------------------------------------------------------


@require_GET
@with_language
def page(request: HttpRequest) -> HttpResponse:
    """Components, current incidents and the last 90 days' history, with the subscribe form."""
    now = timezone.now()
    lang, zone = languages.current(), _zone(request)
    current = list(queries.current_incidents())
    statuses = queries.component_statuses(current)
    context = {
        "lang": lang,
        "components": [
            (s.component.name_in(lang), s.state, s.state.label, s.component.slug) for s in statuses
        ],
        "all_operational": not current,
        "current": _shown(current, lang, zone),
        "history": _shown(list(queries.recent_history(now)), lang, zone),
        "history_days": queries.HISTORY_DAYS,
        "subscribe_form": forms.SubscribeForm(),
        "now_text": display.format_instant(now, zone, lang),
    }
    return render(request, "status/page.html", context)


@require_GET
@with_language
def incident(request: HttpRequest, pk: int) -> HttpResponse:
    """One incident with every update: the page a linked P0 ticket points its customer to."""
    lang, zone = languages.current(), _zone(request)
    found = get_object_or_404(queries.with_updates(Incident.objects.all()), pk=pk)
    return render(request, "status/incident.html", {"lang": lang, "item": _shown([found], lang, zone)[0]})


@require_POST
@with_language
def subscribe(request: HttpRequest) -> HttpResponse:
    form = forms.SubscribeForm(request.POST)
    if form.is_valid():
        try:
            actions.do_subscribe(
                email=form.cleaned_data["email"], language=languages.current(), now=timezone.now()
            )
        except ActionError as error:
            messages.error(request, str(error))
        else:
            # The same answer whatever the address's state (STYLE: tell nobody who subscribes).
            messages.success(request, _("Check your inbox: we sent a link to confirm your subscription."))
    else:
        messages.error(request, _("Enter a valid email address."))
    return redirect("status:page")


def _token_page(
    request: HttpRequest,
    token: str,
    find: Callable[[str], Subscriber | None],
    act: Callable[[Subscriber, datetime], Subscriber],
    template: str,
) -> HttpResponse:
    """A link from an email: GET shows a button (mail scanners only GET), POST acts."""
    subscriber = find(token)
    if subscriber is None:
        return render(request, "status/link_invalid.html", {"lang": languages.current()}, status=404)
    done = False
    if request.method == "POST":
        act(subscriber, timezone.now())
        done = True
    return render(request, template, {"lang": languages.current(), "done": done, "email": subscriber.email})


@require_http_methods(["GET", "POST"])
@with_language
def confirm(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(
        request,
        token,
        subscriptions.subscriber_for_confirm_token,
        lambda s, now: actions.do_confirm_subscription(subscriber=s, now=now),
        "status/confirm.html",
    )


# RFC 8058 one-click unsubscribe: mail clients POST without a session; the signed token is the proof.
@csrf_exempt
@require_http_methods(["GET", "POST"])
@with_language
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    return _token_page(
        request,
        token,
        subscriptions.subscriber_for_unsubscribe_token,
        lambda s, now: actions.do_unsubscribe(subscriber=s, now=now),
        "status/unsubscribe.html",
    )


# -- engineering's page ---------------------------------------------------------------


def _queues(request: HttpRequest) -> list[tuple[navigation.Queue, None]]:
    """The console's queue links, without counts (this is not a queue page)."""
    return [(q, None) for q in navigation.queues_for(request.user, get_policy(), languages.current())]  # type: ignore[arg-type]


@require_GET
@staff_only
def manage(request: HttpRequest) -> HttpResponse:
    """Open incidents with a form each for the next update and for linking a P0 ticket."""
    lang, zone = languages.current(), _zone(request)
    current = list(queries.current_incidents())
    context = {
        "queues": _queues(request),
        "current": [
            (shown, forms.UpdateForm(prefix=f"u{shown.incident.pk}", initial={"state": shown.incident.state}))
            for shown in _shown(current, lang, zone)
        ],
        "link_form": forms.LinkTicketForm(),
        "incident_form": forms.IncidentForm(),
        "component_form": forms.ComponentForm(),
        "components": queries.component_statuses(current),
        "recent": _shown(list(queries.recent_history(timezone.now())[:10]), lang, zone),
    }
    return render(request, "status/manage.html", context)


def _form_errors(request: HttpRequest, form: Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else str(error))


def _manage_post(request: HttpRequest, form: Form, act: Callable[[dict[str, Any]], str]) -> HttpResponse:
    """The one shape of every management form: validate, run the action, say how it went
    (a refused action's reason, or `act`'s success message), back to the management page."""
    if not form.is_valid():
        _form_errors(request, form)
    else:
        try:
            done = act(form.cleaned_data)
        except ActionError as error:
            messages.error(request, str(error))
        else:
            messages.success(request, done)
    return redirect("status:manage")


@require_POST
@staff_only
def open_incident(request: HttpRequest) -> HttpResponse:
    def act(data: dict[str, Any]) -> str:
        found = actions.do_open_incident(
            title=data["title"],
            title_ja=data["title_ja"],
            severity=data["severity"],
            state=data["state"],
            components=list(data["components"]),
            body=data["body"],
            body_ja=data["body_ja"],
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        return _("Incident published: %(title)s") % {"title": found.title}

    return _manage_post(request, forms.IncidentForm(request.POST), act)


@require_POST
@staff_only
def post_update(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Incident, pk=pk)

    def act(data: dict[str, Any]) -> str:
        actions.do_post_incident_update(
            incident=found,
            state=data["state"],
            severity=data["severity"] or None,
            body=data["body"],
            body_ja=data["body_ja"],
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        return _("Update posted on %(title)s") % {"title": found.title}

    return _manage_post(request, forms.UpdateForm(request.POST, prefix=f"u{pk}"), act)


@require_POST
@staff_only
def link_ticket(request: HttpRequest, pk: int) -> HttpResponse:
    found = get_object_or_404(Incident, pk=pk)

    def act(data: dict[str, Any]) -> str:
        # A ticket the agent may not see gets the same answer as a missing one: the form must
        # not tell which numbers exist in other offices.
        ticket = access.visible_tickets(request.user).filter(number=data["number"]).first()  # type: ignore[arg-type]
        if ticket is None:
            raise ActionError(_("There is no ticket #%(number)s.") % {"number": data["number"]})
        actions.do_link_ticket(incident=found, ticket=ticket, actor=request.user, now=timezone.now())  # type: ignore[arg-type]
        return _("Ticket #%(number)s is linked; its customer was told where updates appear.") % {
            "number": ticket.number
        }

    return _manage_post(request, forms.LinkTicketForm(request.POST), act)


@require_POST
@staff_only
def create_component(request: HttpRequest) -> HttpResponse:
    def act(data: dict[str, Any]) -> str:
        component = actions.do_create_component(
            slug=data["slug"],
            name=data["name"],
            name_ja=data["name_ja"],
            position=data["position"] or 0,
            actor=request.user,  # type: ignore[arg-type]
            now=timezone.now(),
        )
        return _("Component added: %(name)s") % {"name": component.name}

    return _manage_post(request, forms.ComponentForm(request.POST), act)
