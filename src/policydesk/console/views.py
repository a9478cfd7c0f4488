"""The agent console: queues and the ticket view. Staff only; every write is a `do_*` action
behind a POST that redirects back (PRG), with a message saying what happened."""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect

from policydesk import languages
from policydesk.console import forms as console_forms
from policydesk.console import queries, saved_views, ticket_metrics
from policydesk.console.pages import Viewer, sidebar
from policydesk.console.ticket_page import render_ticket, seen, ticket_for, ticket_url
from policydesk.inbox import actions as inbox_actions
from policydesk.inbox import notices, wording
from policydesk.macros import access as macro_access
from policydesk.mail import outgoing
from policydesk.promises import explain_promise
from policydesk.tickets import access, actions, workspace
from policydesk.tickets.actions import ActionError, StaleTicket
from policydesk.tickets.models import Draft, MeetingRequest, Message, Person, Presence, Ticket
from policydesk.web import navigation
from policydesk.web.language import View
from policydesk.web.once import new_once_key, once_key
from policydesk.web.staff import staff_only

# -- queues ---------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueRow:
    """One row of a queue page, every cell already a string: the template only places them (at 100
    rows, template lookups and `{% url %}` per cell cost more than the database)."""

    ticket: Ticket
    url: str
    badge: queries.Badge
    due: str
    plan: str
    topic: str
    priority: str
    status: str
    queue: str
    requester: str
    assignee: str  # "" when unassigned
    tags: list[str]
    next_due: ticket_metrics.NextDue | None  # the metric due first, if one runs against a target


@require_GET
@staff_only
def index(request: HttpRequest) -> HttpResponse:
    """Where the person lands (navigation.landing): a Premium agent on the Premium queue, another
    agent on their office's queue, a lead or admin on the overview."""
    viewer = Viewer.of(request)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    landing = navigation.landing(viewer.person, queues)
    if landing is None:
        return redirect("console:overview")
    return redirect("console:queue", slug=landing.slug)


@require_GET
@staff_only
def overview(request: HttpRequest) -> HttpResponse:
    """Every queue the person works, with its open and breached tickets: where leads land."""
    viewer = Viewer.of(request)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    summaries = queries.queue_summaries(viewer.person, queues, viewer.now)
    context = {
        "queues": [(summary.queue, summary.open) for summary in summaries],
        "summaries": summaries,
        "count_cap": queries.COUNT_CAP,
        "now_text": viewer.instant(viewer.now),
    }
    return render(request, "console/overview.html", context)


@require_GET
@staff_only
def queue(request: HttpRequest, slug: str) -> HttpResponse:
    """One queue: open tickets by time left, filtered, one keyset page at a time."""
    viewer = Viewer.of(request)
    person = viewer.person
    queues = navigation.queues_for(person, viewer.policy, viewer.lang)
    current = next((q for q in queues if q.slug == slug), None)
    if current is None:
        raise Http404
    staff = queries.staff_for_queues(person, queues)
    filter_form = console_forms.QueueFilterForm(
        request.GET, policy=viewer.policy, lang=viewer.lang, staff=staff
    )
    filters = filter_form.filters()
    size = _page_size(request.GET.get("size"))
    after = queries.Cursor.decode(request.GET.get("after", ""))
    before = None if after else queries.Cursor.decode(request.GET.get("before", ""))
    page = queries.keyset_page(
        queries.queue_tickets(person, current, filters), size, after, before, sort=filter_form.order()
    )
    labels = viewer.labels
    statuses = {value: str(name) for value, name in Ticket.Status.choices}  # get_status_display is slow
    tags = queries.tags_of(page.tickets)
    next_due = ticket_metrics.next_due_by_ticket(viewer, page.tickets)
    rows = [
        QueueRow(
            ticket=ticket,
            url=f"{ticket_url(ticket)}?queue={current.slug}",  # j / k walk this queue
            badge=queries.time_left_badge(ticket, viewer.now),
            due=viewer.instant(ticket.first_response_due),
            plan=labels.plan(ticket.organisation.plan),
            topic=labels.topic(ticket.topic),
            priority=labels.priority(ticket.priority),
            status=statuses.get(ticket.status, ticket.status),
            queue=labels.queue(ticket.office),
            requester=ticket.requester.name or ticket.requester.email,
            assignee=(ticket.assignee.name or ticket.assignee.email) if ticket.assignee else "",
            tags=tags.get(ticket.pk, []),
            next_due=next_due.get(ticket.pk),
        )
        for ticket in page.tickets
    ]
    counts = queries.queue_counts(person, queues)
    context = {
        "bulk_staff": staff,
        "bulk_statuses": Ticket.Status.choices,
        "bulk_priorities": [(p.id, p.name.get(viewer.lang)) for p in viewer.policy.priorities.values()],
        "bulk_macros": macro_access.usable_macros(person).only("pk", "title"),
        "back": request.get_full_path(),
        "queues": sidebar(viewer, queues, counts),
        "saved_views": saved_views.sidebar_views(person, viewer.policy, viewer.lang, queues, staff),
        "save_view_form": console_forms.SaveViewForm(
            initial={"query": actions.view_query(request.GET.urlencode())}
        ),
        "may_share": actions.saved_views.may_share(person),
        "current": current,
        "count_cap": queries.COUNT_CAP,
        "rows": rows,
        "filter_form": filter_form,
        "next_url": _page_url(request, "after", page.next_cursor),
        "previous_url": _page_url(request, "before", page.previous_cursor),
        "first_url": _page_url(request, None, None) if (after or before) else None,
        "size": size,
        "sizes": queries.PAGE_SIZES,
        "now_text": viewer.instant(viewer.now),
    }
    return render(request, "console/queue.html", context)


def _page_size(raw: str | None) -> int:
    try:
        size = int(raw or queries.PAGE_SIZES[0])
    except ValueError:
        return queries.PAGE_SIZES[0]
    return size if size in queries.PAGE_SIZES else queries.PAGE_SIZES[0]


def _page_url(request: HttpRequest, key: str | None, cursor: str | None) -> str | None:
    if key is not None and cursor is None:
        return None
    query = request.GET.copy()
    query.pop("after", None)
    query.pop("before", None)
    if key is not None and cursor is not None:
        query[key] = cursor
    encoded = query.urlencode()
    return f"{request.path}?{encoded}" if encoded else request.path


# -- the ticket view ------------------------------------------------------------------


#: How many of the customer's other tickets the side panel lists.


@require_http_methods(["GET", "POST"])
@staff_only
def ticket_new(request: HttpRequest) -> HttpResponse:
    """A request an agent takes down for a customer (phone, forwarded email, chat, other). Any
    agent may open one for any customer: the call reaches whoever answers it, and triage puts
    the ticket in its queue (C9) whichever queues the agent works."""
    viewer = Viewer.of(request)
    policy, lang = viewer.policy, viewer.lang
    if request.method == "POST":
        form = console_forms.NewTicketForm(request.POST, request.FILES, policy=policy, lang=lang)
        if form.is_valid():
            try:
                return _open_for_customer(request, viewer, form)
            except ActionError as refused:
                messages.error(request, str(refused))
        else:
            messages.error(request, _("Please correct the form below."))
        return _render_new(request, viewer, form, status=400)
    initial = {"requester": request.GET.get("requester", "")}
    form = console_forms.NewTicketForm(policy=policy, lang=lang, initial=initial)
    return _render_new(request, viewer, form)


def _open_for_customer(
    request: HttpRequest, viewer: Viewer, form: console_forms.NewTicketForm
) -> HttpResponse:
    data = form.cleaned_data
    customer: Person = data["requester"]
    result = actions.do_open_ticket(
        requester=customer,
        topic=data["topic"],
        subject=data["subject"],
        text=data["text"],
        channel=data["channel"],
        priority=data["priority"],
        uploads=form.uploads(),
        now=viewer.now,
        entered_by=viewer.person,
        once_key=once_key(form),
    )
    if result.ticket is None:  # deflected: the agent tells the customer where to go, or picks another type
        # The form comes back for another type: with a key of its own, as a new request.
        again = request.POST.copy()
        again["once_key"] = new_once_key()
        form = console_forms.NewTicketForm(again, policy=viewer.policy, lang=viewer.lang)
        form.is_valid()
        return _render_new(request, viewer, form, deflected=result)
    ticket = result.ticket
    messages.success(
        request,
        _("Ticket #%(number)s opened for %(customer)s in the %(queue)s queue; the customer was told.")
        % {"number": ticket.number, "customer": customer.email, "queue": viewer.labels.queue(ticket.office)},
    )
    if access.can_answer(viewer.person, ticket):
        return redirect(ticket_url(ticket))
    return redirect("console:ticket-new")


def _render_new(
    request: HttpRequest,
    viewer: Viewer,
    form: console_forms.NewTicketForm,
    status: int = 200,
    deflected: actions.IntakeResult | None = None,
) -> HttpResponse:
    search = request.GET.get("q", "")[:200]
    route_text = ""
    if deflected is not None and deflected.route is not None:
        customer: Person = form.cleaned_data["requester"]
        assert customer.organisation is not None  # noqa: S101 - the form found a customer of one
        route_text = viewer.policy.route_text(
            deflected.route, customer.organisation.account_team(), languages.choose(customer.language)
        )
    context = {
        "form": form,
        "search": search,
        "matches": [
            (person, viewer.labels.plan(person.organisation.plan) if person.organisation else "")
            for person in queries.customers(search)
        ],
        "queues": [(q, None) for q in navigation.queues_for(viewer.person, viewer.policy, viewer.lang)],
        "current": None,
        "deflected": deflected,
        "route_text": route_text,
        "reasons": [f"{why} ({clause})" for clause, why in deflected.decision.reasons] if deflected else [],
    }
    return render(request, "console/ticket_new.html", context, status=status)


@require_GET
@staff_only
def ticket_view(request: HttpRequest, number: int) -> HttpResponse:
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    # Opened: its notifications are read. Counted first, so that the common case (nothing unread)
    # writes nothing, and the header's counter is given the count rather than asking again.
    unread = notices.unread_count(viewer.person)
    if unread:
        unread -= inbox_actions.do_mark_read(person=viewer.person, now=viewer.now, ticket=ticket)
    return render_ticket(request, viewer, ticket, unread=unread)


def ticket_action(
    form_name: str,
) -> Callable[[Callable[[Viewer, Ticket, Any], str]], View]:
    """A POST on one of the ticket's forms: validate, run the action, redirect back (PRG); sent
    by htmx, the answer is the workspace itself, updated, which replaces the old one in place.

    The wrapped function gets the viewer, the ticket and the valid form, calls one action and
    returns the success message. An invalid form or a refused action shows the ticket page again
    with the form as it was sent and the reason.
    """

    def decorate(run: Callable[[Viewer, Ticket, Any], str]) -> View:
        @require_POST
        @staff_only
        @functools.wraps(run)
        def view(request: HttpRequest, number: int, **kwargs: Any) -> HttpResponse:
            viewer = dataclasses.replace(Viewer.of(request), seen=seen(request))
            ticket = ticket_for(viewer, number)
            form = _bind(form_name, request, viewer, ticket, **kwargs)
            if form.is_valid():
                try:
                    done = run(viewer, ticket, form)
                except StaleTicket as stale:  # held: show what changed, keep the form, ask again
                    return render_ticket(request, viewer, ticket, {form.prefix or form_name: form}, stale)
                except ActionError as refused:
                    messages.error(request, str(refused))
                else:
                    messages.success(request, done)
                    if request.htmx:  # type: ignore[attr-defined]  # in place: the workspace as it now is
                        return render_ticket(request, viewer, ticket_for(viewer, number))
                    return redirect(ticket_url(ticket, "composer" if form_name == "compose" else form_name))
            else:
                messages.error(request, _("Please correct the form below."))
            return render_ticket(request, viewer, ticket, {form.prefix or form_name: form})

        return view

    return decorate


def _bind(name: str, request: HttpRequest, viewer: Viewer, ticket: Ticket, **kwargs: Any) -> forms.Form:
    data, files = request.POST, request.FILES
    policy, lang = viewer.policy, viewer.lang
    if name == "compose":
        return console_forms.ComposeForm(data, files)
    if name == "follow":
        return console_forms.FollowForm(data)
    if name == "participants":
        return console_forms.ParticipantForm(data)
    if name == "reply":
        return console_forms.ReplyForm(data, files)
    if name == "note":
        return console_forms.NoteForm(data)
    if name == "assign":
        return console_forms.AssignForm(data, office=ticket.office)
    if name == "status":
        return console_forms.StatusForm(data)
    if name == "priority":
        return console_forms.PriorityForm(data, policy=policy, lang=lang)
    if name == "deflect":
        return console_forms.DeflectForm(data, policy=policy, lang=lang)
    if name == "request_type":
        return console_forms.RequestTypeForm(data, policy=policy, lang=lang)
    if name == "tags":
        return console_forms.TagsForm(data, current=list(ticket.tags.values_list("name", flat=True)))
    return console_forms.MeetingDecisionForm(data, prefix=f"meeting-{kwargs['meeting']}")


@ticket_action("compose")
def compose(viewer: Viewer, ticket: Ticket, form: console_forms.ComposeForm) -> str:
    """The composer: a reply (pending, or solved with "send and solve") or an internal note."""
    if form.is_note:
        return _add_note(viewer, ticket, form)
    return _send_reply(viewer, ticket, form, form.uploads(), form.status_after())


def _send_reply(
    viewer: Viewer, ticket: Ticket, form: forms.Form, uploads: tuple[actions.Upload, ...], status: str
) -> str:
    actions.do_agent_reply(
        ticket=ticket, agent=viewer.person, text=form.cleaned_data["text"], uploads=uploads, now=viewer.now,
        once_key=once_key(form), expected_version=viewer.seen, status=status,
    )  # fmt: skip
    if status == Ticket.Status.SOLVED:
        return _("Reply sent to the customer; the ticket is solved.")
    return _("Reply sent to the customer.")


def _add_note(viewer: Viewer, ticket: Ticket, form: forms.Form) -> str:
    actions.do_add_note(
        ticket=ticket, agent=viewer.person, text=form.cleaned_data["text"], now=viewer.now,
        once_key=once_key(form), expected_version=viewer.seen,
    )  # fmt: skip
    return _("Internal note added.")


@require_POST
@staff_only
def merge(request: HttpRequest, number: int) -> HttpResponse:
    """Fold this ticket into the one named (`do_merge_tickets`), then go to that one: with htmx,
    by telling the page to load it (HX-Redirect); without, by a redirect. The agent must be able
    to answer both tickets; a refusal comes back on this ticket's page with the reason."""
    viewer = dataclasses.replace(Viewer.of(request), seen=seen(request))
    ticket = ticket_for(viewer, number)
    form = console_forms.MergeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Please correct the form below."))
        return render_ticket(request, viewer, ticket, {"merge": form})
    target = access.visible_tickets(viewer.person).filter(number=form.cleaned_data["into"]).first()
    try:
        if target is None:
            raise ActionError(
                _("There is no ticket #%(number)s you can answer.") % {"number": form.cleaned_data["into"]}
            )
        actions.do_merge_tickets(source=ticket, target=target, agent=viewer.person, now=viewer.now,
                                 expected_version=viewer.seen)  # fmt: skip
    except StaleTicket as stale:
        return render_ticket(request, viewer, ticket, {"merge": form}, stale)
    except ActionError as refused:
        messages.error(request, str(refused))
        return render_ticket(request, viewer, ticket, {"merge": form})
    messages.success(
        request,
        _("#%(source)s was merged into this ticket; both customers were told.") % {"source": ticket.number},
    )
    if request.htmx:  # type: ignore[attr-defined]
        return HttpResponseClientRedirect(ticket_url(target))
    return redirect(ticket_url(target))


@require_POST
@staff_only
def preview(request: HttpRequest, number: int) -> HttpResponse:
    """What the customer would receive for the composer's text: the email, in their language. Nothing
    is saved. Without JavaScript the whole page comes back with the preview above the composer."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    text = request.POST.get("text", "")
    email = outgoing.agent_reply_emails(ticket, Message(ticket=ticket, text=text))[0]
    if request.htmx:  # type: ignore[attr-defined]
        response = render(request, "console/_preview.html", {"preview": email})
        patch_vary_headers(response, ("HX-Request",))
        return response
    form = console_forms.ComposeForm(request.POST)
    form.is_valid()
    return render_ticket(request, viewer, ticket, {"compose": form}, preview=email)


@require_GET
@staff_only
def step(request: HttpRequest, number: int, direction: str) -> HttpResponse:
    """The next (or previous) ticket of a queue in due order from this one: the `j` and `k` keys.
    The queue is the one the agent came from (`?queue=`), else the ticket's own."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    wanted = request.GET.get("queue") or ticket.office
    current = next((q for q in queues if q.slug == wanted), None) or next(
        (q for q in queues if q.slug == ticket.office), None
    )
    if current is None:
        return redirect(ticket_url(ticket))
    tickets = queries.queue_tickets(viewer.person, current, queries.Filters(status="all"))
    cursor = queries.Cursor.of(ticket)
    forward = direction == "next"
    page = queries.keyset_page(
        tickets, 1, after=cursor if forward else None, before=None if forward else cursor, related=()
    )
    if not page.tickets:
        messages.info(
            request,
            _("No next ticket in this queue.") if forward else _("No previous ticket in this queue."),
        )
        return redirect(ticket_url(ticket))
    url = ticket_url(page.tickets[0])
    return redirect(f"{url}?queue={current.slug}")


@require_GET
@staff_only
def explain(request: HttpRequest, number: int) -> HttpResponse:
    """Why the ticket has its queue and its due time: the policy's decision, clause by clause, and
    the business hours counted (the same sentences as `policydesk policy explain`)."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    context = {
        "ticket": ticket,
        "lines": explain_promise(ticket, viewer.policy),
        "metrics": ticket_metrics.explain_metrics(viewer, ticket),
        "due": viewer.instant(ticket.first_response_due),
        "queues": sidebar(viewer, queues),
        "count_cap": queries.COUNT_CAP,
        "current": next((q for q in queues if q.slug == ticket.office), None),
    }
    return render(request, "console/explain.html", context)


@ticket_action("follow")
def follow(viewer: Viewer, ticket: Ticket, form: console_forms.FollowForm) -> str:
    """Follow the ticket (told what its assignee is told) or stop."""
    if form.cleaned_data["follow"] == "yes":
        actions.do_follow(ticket=ticket, person=viewer.person, now=viewer.now)
        return _("You follow this ticket: you are told of its customer replies and if it is reopened.")
    actions.do_unfollow(ticket=ticket, person=viewer.person, now=viewer.now)
    return _("You no longer follow this ticket.")


@ticket_action("participants")
def participants(viewer: Viewer, ticket: Ticket, form: console_forms.ParticipantForm) -> str:
    """Copy a customer of the ticket's organisation on it, or an outside address where the policy
    allows (both receive its public replies), or stop."""
    email = form.cleaned_data["email"].strip().lower()
    if form.cleaned_data["remove"]:
        actions.do_uncopy_someone(ticket=ticket, address=email, actor=viewer.person, now=viewer.now)
        return _("%(email)s is no longer copied on this ticket.") % {"email": email}
    actions.do_copy_someone(ticket=ticket, address=email, actor=viewer.person, now=viewer.now)
    return _("%(email)s is copied on this ticket and receives its public replies.") % {"email": email}


@ticket_action("reply")
def reply(viewer: Viewer, ticket: Ticket, form: console_forms.ReplyForm) -> str:
    """The reply form's own address (kept for forms sent before the composer, and scripts)."""
    return _send_reply(viewer, ticket, form, form.uploads(), Ticket.Status.PENDING)


@ticket_action("note")
def note(viewer: Viewer, ticket: Ticket, form: console_forms.NoteForm) -> str:
    """The note form's own address (as `reply`)."""
    return _add_note(viewer, ticket, form)


@ticket_action("assign")
def assign(viewer: Viewer, ticket: Ticket, form: console_forms.AssignForm) -> str:
    assignee = form.cleaned_data["assignee"]
    actions.do_assign(
        ticket=ticket, assignee=assignee, actor=viewer.person, now=viewer.now, expected_version=viewer.seen
    )
    if assignee is None:
        return _("The ticket is unassigned.")
    return _("Assigned to %(name)s.") % {"name": assignee.name or assignee.email}


@ticket_action("status")
def set_status(viewer: Viewer, ticket: Ticket, form: console_forms.StatusForm) -> str:
    status = form.cleaned_data["status"]
    actions.do_set_status(
        ticket=ticket, status=status, actor=viewer.person, now=viewer.now, expected_version=viewer.seen
    )
    return _("Status set to %(status)s.") % {"status": Ticket.Status(status).label}


@ticket_action("priority")
def set_priority(viewer: Viewer, ticket: Ticket, form: console_forms.PriorityForm) -> str:
    priority = form.cleaned_data["priority"]
    actions.do_set_priority(
        ticket=ticket, priority=priority, actor=viewer.person, now=viewer.now, expected_version=viewer.seen
    )
    # C16: say so, because agents expect a higher priority to move the clock.
    return _("Priority set to %(priority)s. The due time is unchanged.") % {
        "priority": viewer.labels.priority(priority)
    }


@ticket_action("deflect")
def deflect(viewer: Viewer, ticket: Ticket, form: console_forms.DeflectForm) -> str:
    topic = form.cleaned_data["topic"]
    actions.do_deflect(
        ticket=ticket, agent=viewer.person, topic=topic, now=viewer.now, expected_version=viewer.seen
    )
    return _("Deflected as %(topic)s: the customer got the policy's answer and the ticket is solved.") % {
        "topic": viewer.labels.topic(topic)
    }


@ticket_action("request_type")
def change_request_type(viewer: Viewer, ticket: Ticket, form: console_forms.RequestTypeForm) -> str:
    change = actions.do_change_request_type(
        ticket=ticket,
        topic=form.cleaned_data["topic"],
        agent=viewer.person,
        now=viewer.now,
        expected_version=viewer.seen,
    )
    return " ".join(_what_changed(viewer, change))


def _what_changed(viewer: Viewer, change: actions.RequestTypeChange) -> list[str]:
    """The sentences that tell the agent what re-triage did to the ticket."""
    labels, before, after = viewer.labels, change.before, change.after
    said = [
        _("Request type changed from %(before)s to %(after)s.")
        % {"before": labels.topic(before.topic), "after": labels.topic(after.topic)}
    ]
    if change.deflection is not None:
        said.append(_("The policy sends it elsewhere: the customer got its answer and the ticket is solved."))
        return said
    if before.first_response_due != after.first_response_due:
        if after.first_response_due is None:
            said.append(_("It has no first-response due time any more."))
        elif before.first_response_due is None:
            said.append(
                _("First response now due %(after)s.") % {"after": viewer.instant(after.first_response_due)}
            )
        else:
            said.append(
                _("Due time moved from %(before)s to %(after)s.")
                % {
                    "before": viewer.instant(before.first_response_due),
                    "after": viewer.instant(after.first_response_due),
                }
            )
    else:
        said.append(_("The due time is unchanged."))
    if before.office != after.office:
        said.append(_("Moved to the %(queue)s queue.") % {"queue": labels.queue(after.office)})
    if after.mission_critical and not before.mission_critical:
        said.append(_("It is now mission-critical (C6)."))
    elif before.mission_critical and not after.mission_critical:
        said.append(_("It is no longer mission-critical."))
    if change.unassigned:
        said.append(_("Unassigned: the assignee does not work the new queue."))
    if change.ticket.first_responded_at is not None:
        said.append(_("The first response already given stands."))
    return said


@ticket_action("meeting")
def decide_meeting(viewer: Viewer, ticket: Ticket, form: console_forms.MeetingDecisionForm) -> str:
    pk = int((form.prefix or "").removeprefix("meeting-"))
    meeting = get_object_or_404(MeetingRequest, pk=pk, ticket=ticket)
    propose = form.cleaned_data["decision"] == "propose"
    actions.do_decide_meeting(
        meeting=meeting, agent=viewer.person, propose=propose, note=form.cleaned_data["note"], now=viewer.now
    )
    return _("Call proposed to the customer.") if propose else _("Call request declined.")


# -- presence and drafts (the ticket page's short polling; `policydesk/workspace.js`) --


@require_POST
@staff_only
def presence(request: HttpRequest, number: int) -> HttpResponse:
    """The page says the agent is viewing (or typing on) the ticket; the answer is who else is."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    state = request.POST.get("state", "")
    if state == "gone":
        workspace.leave(ticket, viewer.person)
        return HttpResponse(status=204)
    workspace.note_presence(ticket, viewer.person, state, viewer.now)
    others = workspace.others_present(ticket, viewer.person, viewer.now)
    line = " · ".join(
        (_("%(name)s is typing a reply") if other.typing else _("%(name)s is viewing")) % {"name": other.name}
        for other in others
    )
    return JsonResponse({"line": line, "version": actions.ticket_version(ticket)})


@require_POST
@staff_only
def draft(request: HttpRequest, number: int) -> HttpResponse:
    """Keep what the agent has typed in the reply or note box (debounced by the page)."""
    viewer = Viewer.of(request)
    ticket = ticket_for(viewer, number)
    kind = request.POST.get("kind", "")
    if kind not in Draft.Kind.values:
        return HttpResponse(status=400)
    workspace.save_draft(ticket, viewer.person, kind, request.POST.get("text", ""), viewer.now)
    if kind == Draft.Kind.REPLY:
        state = Presence.State.TYPING if request.POST.get("text", "").strip() else Presence.State.VIEWING
        workspace.note_presence(ticket, viewer.person, state, viewer.now)
    return HttpResponse(status=204)


# -- the profile ----------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_only
def profile(request: HttpRequest) -> HttpResponse:
    """The staff member's own settings: language, time zone, notification emails."""
    viewer = Viewer.of(request)
    person = viewer.person
    if request.method == "POST":
        form = console_forms.ProfileForm(request.POST)
        if form.is_valid():
            try:
                actions.do_update_profile(
                    person=person,
                    actor=person,
                    now=viewer.now,
                    language=form.cleaned_data["language"],
                    time_zone=form.cleaned_data["time_zone"],
                    emails=form.emails(),
                    delivery=form.cleaned_data["delivery"],
                )
            except ActionError as refused:
                messages.error(request, str(refused))
            else:
                lang = languages.choose(person.language, viewer.lang)
                with translation.override(lang):
                    messages.success(request, _("Your profile is saved."))
                response = redirect("console:profile")
                # The language cookie (an earlier ?lang=) would outrank the profile's language.
                response.delete_cookie(settings.LANGUAGE_COOKIE_NAME)
                return response
        else:
            messages.error(request, _("Please correct the form below."))
        status = 400
    else:
        form = console_forms.ProfileForm.of(person)
        status = 200
    queues = navigation.queues_for(person, viewer.policy, viewer.lang)
    context = {
        "form": form,
        "queues": sidebar(viewer, queues),
        "count_cap": queries.COUNT_CAP,
        "zones": console_forms.suggested_zones(viewer.policy),
        "now_text": viewer.instant(viewer.now),
    }
    return render(request, "console/profile.html", context, status=status)


# -- notifications --------------------------------------------------------------------------

NOTIFICATIONS_PER_PAGE = 25


@dataclass(frozen=True)
class NotificationRow:
    """One line of the notifications page, every cell a string."""

    what: str
    subject: str
    at: str
    url: str
    unread: bool


@require_GET
@staff_only
def notifications(request: HttpRequest) -> HttpResponse:
    """The person's notifications, newest first (`inbox.notices`); opening a ticket marks its read."""
    viewer = Viewer.of(request)
    page = Paginator(notices.newest_first(viewer.person), NOTIFICATIONS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    rows = [
        NotificationRow(
            what=wording.describe(n),
            subject=n.ticket.subject,
            at=viewer.instant(n.created_at),
            url=ticket_url(n.ticket),
            unread=n.read_at is None,
        )
        for n in page
    ]
    queues = navigation.queues_for(viewer.person, viewer.policy, viewer.lang)
    context = {
        "rows": rows,
        "page": page,
        "any_unread": any(row.unread for row in rows) or notices.unread_count(viewer.person) > 0,
        "queues": sidebar(viewer, queues),
        "count_cap": queries.COUNT_CAP,
    }
    return render(request, "console/notifications.html", context)


@require_GET
@staff_only
def notifications_count(request: HttpRequest) -> HttpResponse:
    """The unread count the header's counter polls (`console/notifications.js`): one query."""
    return JsonResponse({"unread": notices.unread_count(request.user)})  # type: ignore[arg-type]


@require_POST
@staff_only
def notifications_read(request: HttpRequest) -> HttpResponse:
    """Mark all read."""
    viewer = Viewer.of(request)
    inbox_actions.do_mark_read(person=viewer.person, now=viewer.now)
    messages.success(request, _("All notifications are marked read."))
    return redirect("console:notifications")
