"""The ticket workspace page (`console/_workspace.html`): finding the ticket the viewer may
answer, and rendering it whole or, for htmx, the workspace alone. The views that change a ticket
(console/views.py, macro_views.py, tag_views.py) answer with it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django import forms
from django.db.models import Exists, OuterRef
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.defaultfilters import filesizeformat, linebreaks_filter
from django.urls import reverse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.console import forms as console_forms
from policydesk.console import queries, ticket_metrics
from policydesk.console.pages import Viewer, sidebar
from policydesk.mail import outgoing
from policydesk.policy.model import Policy
from policydesk.promises import promise_for
from policydesk.satisfaction.actions import latest_survey
from policydesk.tickets import access, actions, workspace
from policydesk.tickets.actions import StaleTicket
from policydesk.tickets.models import AuditEvent, Draft, MeetingRequest, Message, OutsideCopy, Ticket
from policydesk.web import navigation


def ticket_for(viewer: Viewer, number: int) -> Ticket:
    """The ticket if the staff member may answer it (access.can_answer), else 404."""
    tickets = access.visible_tickets(viewer.person).select_related(
        "organisation", "requester", "assignee", "deflection", "merged_into"
    )
    # Whether the viewer follows it (the workspace's Follow button), read with the ticket.
    follows = Ticket.followers.through.objects.filter(ticket=OuterRef("pk"), person=viewer.person)
    # Whether it copies outside addresses, so that most tickets (none) cost no query to list them.
    copies = OutsideCopy.objects.filter(ticket=OuterRef("pk"))
    return get_object_or_404(
        tickets.annotate(viewer_follows=Exists(follows), copies_outside=Exists(copies)), number=number
    )


def ticket_url(ticket: Ticket, anchor: str = "") -> str:
    url = reverse("console:ticket", kwargs={"number": ticket.number})
    return f"{url}#{anchor}" if anchor else url


@dataclass(frozen=True)
class DeflectOption:
    topic: str
    name: str
    route_text: str


def _conversation(viewer: Viewer, messages: list[Message], new: set[Any]) -> SafeString:
    """The conversation's messages as HTML, built here rather than in the template: a template loop
    over a 40-message conversation, its lookups and filters, cost the ticket view 5 ms of its 25.
    The markup is the workspace's (`_workspace.html` says where it goes)."""
    desk, deleted = _("The desk (automatic)"), _("(deleted person)")
    internal_flag = format_html('<span class="flag flag-internal">{}</span>', _("Internal note"))
    new_flag = format_html('<span class="flag flag-new" data-testid="message-new">{}</span>', _("new"))
    channels = dict(Ticket.Channel.choices)

    def one(message: Message) -> SafeString:
        is_internal, is_new = message.kind == Message.Kind.INTERNAL, message.pk in new
        if message.is_from_the_desk:
            author = desk
        else:
            author = (message.author.name or message.author.email) if message.author else deleted
        attachments = [
            format_html(
                '<li><a href="/attachments/{}/" data-testid="attachment-link">{}</a>'
                ' <span class="muted">({})</span></li>',
                attachment.pk,
                attachment.filename,
                filesizeformat(attachment.size),
            )
            for attachment in message.attachments.all()
        ]
        return format_html(
            '<div class="message message-{kind}{new_class}" id="message-{pk}" data-testid="{testid}">\n'
            '<p class="message-meta"><strong>{author}</strong> {internal_flag} {new_flag}'
            ' <span class="muted">{when} · {channel}</span></p>\n'
            '<div class="message-text" data-testid="message-text">{text}</div>\n{attachments}</div>\n',
            kind=message.kind,
            new_class=" message-new" if is_new else "",
            pk=message.pk,
            testid="message-internal" if is_internal else "message-public",
            author=author,
            internal_flag=internal_flag if is_internal else "",
            new_flag=new_flag if is_new else "",
            when=viewer.instant(message.created_at),
            channel=channels.get(message.channel, message.channel),
            text=linebreaks_filter(message.text, autoescape=True),
            attachments=format_html(
                '<ul class="attachments" data-testid="attachments">{}</ul>\n',
                mark_safe("".join(attachments)),  # noqa: S308 - each item is format_html's
            )
            if attachments
            else "",
        )

    return mark_safe("".join(one(message) for message in messages))  # noqa: S308 - each is format_html's


def _deflect_options(viewer: Viewer, ticket: Ticket) -> list[DeflectOption]:
    """What the customer would read for each out-of-scope topic, in the ticket's language (C12, C17-C19)."""
    policy = viewer.policy
    plan = policy.plans.get(ticket.organisation.plan)
    if plan is None:
        return []
    lang = languages.choose(ticket.language)
    return [
        DeflectOption(
            topic.id,
            topic.name.get(viewer.lang),
            policy.route_text(policy.route_for(plan, topic.id), ticket.organisation.account_team(), lang),
        )
        for topic in policy.out_of_scope.values()
    ]


OTHER_TICKETS = 5


def render_ticket(
    request: HttpRequest,
    viewer: Viewer,
    ticket: Ticket,
    bound: dict[str, forms.Form] | None = None,
    stale: StaleTicket | None = None,
    preview: outgoing.Email | None = None,
    composer_text: str | None = None,
    macro_missing: tuple[str, ...] = (),
    unread: int | None = None,
) -> HttpResponse:
    """The workspace: the whole page, or (an htmx request) the workspace alone, which replaces
    itself in place (`console/_workspace.html`). `bound`: forms as they were sent (shown with their
    errors, or held by the stale-write guard with `stale`); `composer_text`: a reply to put in the
    composer (an applied macro's), with `macro_missing`, its placeholders that had no value;
    `unread`: the viewer's unread notifications, if known (else the header's counter reads them)."""
    bound = bound or {}
    drafts = workspace.drafts_of(ticket, viewer.person)
    forms_ = _workspace_forms(viewer, ticket, drafts, bound, composer_text)
    composer = forms_["compose"]
    composing = str(composer["kind"].value() or "reply")
    other_kind = "note" if composing == "reply" else "reply"
    held = next(iter(bound), "") if stale else ""
    new_messages = {event.data.get("message") for event in stale.since} if stale else set()
    conversation = ticket.messages.select_related("author").prefetch_related("attachments")
    context = {
        "ticket": ticket,
        "partial": request.htmx,  # type: ignore[attr-defined]
        "conversation": _conversation(viewer, list(conversation), new_messages),
        "meetings": _meetings(viewer, ticket, bound),
        "meeting_requested": MeetingRequest.Status.REQUESTED,
        "forms": forms_,
        "composer": composer,
        "composing": composing,
        "other_draft": drafts.get(other_kind, "") if not bound else "",
        "preview": preview,
        "version": stale.version if stale else actions.ticket_version(ticket),
        "since": [said(viewer, event) for event in stale.since] if stale else [],
        "held": "compose" if held in ("reply", "note") else held,
        # A file field cannot be filled again by the server: say which files to attach again.
        "files_not_kept": [f.name for f in request.FILES.getlist("attachments")] if stale else [],
        "macro_missing": macro_missing,
        "unread_notifications": unread,
        # A solved (or closed) ticket: who solved it, and what the customer said of that solve
        # (one query; an open ticket reads nothing).
        "survey": None if ticket.is_open else latest_survey(ticket, with_people=True),
        **_side_panel(viewer, ticket),
    }
    status = 409 if stale else 400 if bound and preview is None else 200
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "console/_workspace.html", context, status=status)
    else:
        queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
        context["queues"] = sidebar(viewer, queues)
        context["count_cap"] = queries.COUNT_CAP
        context["current"] = next((q for q in queues if q.slug == ticket.office), None)
        response = render(request, "console/ticket.html", context, status=status)
    patch_vary_headers(response, ("HX-Request",))
    return response


def _workspace_forms(
    viewer: Viewer,
    ticket: Ticket,
    drafts: dict[str, str],
    bound: dict[str, forms.Form],
    composer_text: str | None,
) -> dict[str, forms.Form]:
    """The workspace's forms by name: empty ones with the ticket's values, and those sent (`bound`)
    in their place. The composer comes back as it was sent, else with an applied macro's text, else
    with the draft the agent left (a reply's first)."""
    policy, lang = viewer.policy, viewer.lang
    kind = "note" if drafts.get(Draft.Kind.NOTE) and not drafts.get(Draft.Kind.REPLY) else "reply"
    text = drafts.get(kind, "")
    if composer_text is not None:
        kind, text = "reply", composer_text
    forms_: dict[str, forms.Form] = {
        "compose": console_forms.ComposeForm(initial={"kind": kind, "text": text, "then": "pending"}),
        "assign": console_forms.AssignForm(office=ticket.office, initial={"assignee": ticket.assignee_id}),
        "status": console_forms.StatusForm(initial={"status": ticket.status}),
        "priority": console_forms.PriorityForm(
            policy=policy, lang=lang, initial={"priority": ticket.priority}
        ),
        "deflect": console_forms.DeflectForm(policy=policy, lang=lang),
        "request_type": console_forms.RequestTypeForm(
            policy=policy, lang=lang, initial={"topic": ticket.topic}
        ),
        "merge": console_forms.MergeForm(),
        "participants": console_forms.ParticipantForm(),
        "tags": console_forms.TagsForm(current=list(ticket.tags.values_list("name", flat=True))),
    }
    forms_.update({name: form for name, form in bound.items() if not name.startswith("meeting-")})
    if (
        "reply" in bound or "note" in bound
    ):  # the old reply and note addresses still answer (no JS, API clients)
        sent = bound.get("reply") or bound["note"]
        data = {**dict(sent.data.items()), "kind": "reply" if "reply" in bound else "note"}
        forms_["compose"] = console_forms.ComposeForm(data)
        forms_["compose"].is_valid()  # its errors, shown in the composer
    return forms_


def _meetings(
    viewer: Viewer, ticket: Ticket, bound: dict[str, forms.Form]
) -> list[tuple[MeetingRequest, forms.Form, str]]:
    """The ticket's call requests (C7, C21), oldest first, each with its decision form (as sent, if
    it was) and when it was asked for."""
    meetings = ticket.meeting_requests.select_related("requested_by", "decided_by").order_by("requested_at")
    return [
        (
            meeting,
            bound.get(f"meeting-{meeting.pk}")
            or console_forms.MeetingDecisionForm(prefix=f"meeting-{meeting.pk}"),
            viewer.instant(meeting.requested_at),
        )
        for meeting in meetings
    ]


def _side_panel(viewer: Viewer, ticket: Ticket) -> dict[str, Any]:
    """What the side panel says of the ticket: its requester and organisation, its request type,
    priority and queue, its promise and due time, its people and the requester's other tickets."""
    policy, lang, labels = viewer.policy, viewer.lang, viewer.labels
    requester, organisation = ticket.requester, ticket.organisation
    plan = policy.plans.get(organisation.plan)
    deflection = getattr(ticket, "deflection", None)
    with translation.override(lang):
        promise = promise_for(ticket, policy, viewer.person.time_zone, lang)
    return {
        "deflect_options": _deflect_options(viewer, ticket),
        "deflection": deflection,
        "deflection_topic": labels.topic(deflection.topic) if deflection else "",
        "plan_name": labels.plan(organisation.plan),
        "plan_meetings": bool(plan and plan.meetings),
        "region_name": _region_name(policy, organisation.region, lang),
        "account_executive": organisation.account_executive,
        "requester_language": languages.choose(requester.language, ticket.language),
        "participants": [p for p in ticket.participants.all() if p.pk != requester.pk],
        "outside_copies": (
            list(ticket.outside_copies.all()) if getattr(ticket, "copies_outside", True) else []
        ),
        "outside_copies_rule": policy.outside_copies,
        "following": (
            ticket.viewer_follows
            if hasattr(ticket, "viewer_follows")
            else ticket.followers.filter(pk=viewer.person.pk).exists()
        ),
        "other_tickets": _other_tickets(viewer, ticket),
        "merged_into_number": ticket.merged_into.number if ticket.merged_into else None,
        "topic_name": labels.topic(ticket.topic),
        "priority_name": labels.priority(ticket.priority),
        "queue_name": labels.queue(ticket.office),
        "due": viewer.instant(ticket.first_response_due),
        "responded": viewer.instant(ticket.first_responded_at),
        "created": viewer.instant(ticket.created_at),
        "badge": queries.time_left_badge(ticket, viewer.now),
        "promise": promise,
        "metrics_panel": ticket_metrics.metrics_panel(viewer, ticket),
        "priorities": [(p.name.get(lang), p.definition.get(lang)) for p in policy.priorities.values()],
        "priority_note": labels.note("priority"),
        "calls_note": labels.note("calls"),
    }


def _region_name(policy: Policy, region: str, lang: str) -> str:
    known = policy.regions.get(region)
    return known.name.get(lang) if known is not None else region


def _other_tickets(viewer: Viewer, ticket: Ticket) -> list[tuple[Ticket, str, str]]:
    """The requester's latest other tickets the agent may see: number, subject, status, when (one query)."""
    statuses = dict(Ticket.Status.choices)
    others = (
        access.visible_tickets(viewer.person)
        .filter(requester_id=ticket.requester_id)
        .exclude(pk=ticket.pk)
        .only("number", "subject", "status", "created_at")
        .order_by("-created_at")[:OTHER_TICKETS]
    )
    return [
        (other, str(statuses.get(other.status, other.status)), viewer.instant(other.created_at))
        for other in others
    ]


def seen(request: HttpRequest) -> int | None:
    """The ticket's version the form was loaded with; None for a post without one (no check)."""
    raw = request.POST.get("version", "")
    return int(raw) if raw.isdigit() else None


def said(viewer: Viewer, event: AuditEvent) -> str:
    """One change since the agent opened the ticket, in words: "Ava replied at 10:02"."""
    who = (event.actor.name or event.actor.email) if event.actor else _("The desk")
    at = viewer.instant(event.at)
    data, labels = event.data, viewer.labels
    words = {
        "ticket.replied": _("%(who)s replied at %(at)s"),
        "ticket.customer_replied": _("%(who)s (customer) replied at %(at)s"),
        "ticket.noted": _("%(who)s added an internal note at %(at)s"),
        "ticket.deflected": _("%(who)s deflected the ticket at %(at)s"),
        "ticket.request_type": _("%(who)s changed the request type at %(at)s"),
        "ticket.tags": _("%(who)s changed the tags at %(at)s"),
        "mail.undelivered": _("An email could not be delivered (%(at)s)"),
    }
    if event.action == "ticket.status":
        status = Ticket.Status(data["after"]).label if data.get("after") in Ticket.Status.values else ""
        return _("%(who)s set the status to %(status)s at %(at)s") % {"who": who, "status": status, "at": at}
    if event.action == "ticket.priority":
        priority = labels.priority(str(data.get("after", "")))
        return _("%(who)s set the priority to %(priority)s at %(at)s") % {
            "who": who, "priority": priority, "at": at,
        }  # fmt: skip
    if event.action == "ticket.assigned":
        if not data.get("assignee"):
            return _("%(who)s unassigned the ticket at %(at)s") % {"who": who, "at": at}
        return _("%(who)s assigned the ticket to %(assignee)s at %(at)s") % {
            "who": who, "assignee": data["assignee"], "at": at,
        }  # fmt: skip
    template = words.get(event.action, _("%(who)s changed the ticket at %(at)s"))
    return template % {"who": who, "at": at}
