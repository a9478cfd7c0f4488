"""The help center: sign-in, the request form, deflection pages, tickets, the in-product widget.

Views only validate, check access (`policydesk.tickets.access`), call a `do_*` action or a
query, and render. A ticket or attachment a person may not see is a 404, never a 403, so
ticket numbers do not leak.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import Resolver404, resolve, reverse
from django.utils import timezone, translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.languages import supported_language
from policydesk.policy import render as policy_render
from policydesk.portal import satisfaction_page, signin, widget
from policydesk.portal.forms import (
    LinkRequestForm,
    MeetingForm,
    PeopleForm,
    RatingForm,
    ReplyForm,
    SignInForm,
    TicketForm,
    uploads_from,
)
from policydesk.portal.presenting import deflected_requests, deflection_view, plan_scope
from policydesk.promises import metric_promises, promise_for
from policydesk.search.query import QueryError
from policydesk.search.service import find
from policydesk.security import allow_framing_by
from policydesk.tickets import access, actions, workspace
from policydesk.tickets.actions import ActionError
from policydesk.tickets.models import Attachment, Deflection, Draft, Message, Person, Ticket
from policydesk.web import errors
from policydesk.web.language import View, explicit_language, with_language
from policydesk.web.once import once_key

log = logging.getLogger(__name__)

TICKETS_PER_PAGE = 20
CONSOLE_URL = "/console/"
# Types a browser may be told as they are; anything else is served as bytes. Never HTML or SVG.
SAFE_CONTENT_TYPES = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/json",
        "text/plain",
        "text/csv",
        "image/png",
        "image/jpeg",
        "image/gif",
        "image/webp",
    }
)
WIDGET_SCRIPT = Path(__file__).resolve().parent / "static" / "policydesk" / "widget.js"


def _person(request: HttpRequest) -> Person:
    # Only called once the request is known to be authenticated (AUTH_USER_MODEL is Person).
    return cast(Person, request.user)


def customer_page(view: View) -> View:
    """Signed-in customers only: anonymous visitors go to sign-in, staff to the console."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        if not user.is_authenticated and request.method == "POST":
            return errors.signed_out(request)  # the session ended: keep what they typed
        if not user.is_authenticated:
            return redirect(f"{reverse('signin')}?next={request.get_full_path()}")
        if access.is_staff(_person(request)):
            return redirect(CONSOLE_URL)
        return view(request, *args, **kwargs)

    return wrapper


def _safe_next(request: HttpRequest) -> str | None:
    """`next` if it is a path on this site that a page answers; None for anything else
    (another host, a scheme, a name, a path nothing serves), which goes to the default page."""
    wanted = request.POST.get("next") or request.GET.get("next") or ""
    if not wanted.startswith("/") or not url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return None
    try:
        resolve(urlsplit(wanted).path)
    except Resolver404:
        return None
    return wanted


def _after_signin(request: HttpRequest, person: Person) -> HttpResponseRedirect:
    wanted = _safe_next(request)
    if access.is_staff(person):
        # Back to the console page they were on (a session that expired mid-reply), never to a
        # customer's page.
        if wanted is not None and wanted.startswith(CONSOLE_URL):
            return HttpResponseRedirect(wanted)
        return redirect(CONSOLE_URL)
    # A URL, never a view name: redirect() would look a bare word up and fail.
    return HttpResponseRedirect(wanted) if wanted else redirect("tickets")


# -- public pages ---------------------------------------------------------------------


@require_GET
@with_language
def policy_page(request: HttpRequest) -> HttpResponse:
    """The published support policy, generated from the enforced one (?lang= or Accept-Language)."""
    lang = languages.current()
    policy = get_policy()
    # The fragment is built with html.escape on every policy text (policy/render.py).
    body = mark_safe(policy_render.render(policy, lang, "html"))  # noqa: S308
    return render(
        request,
        "portal/policy.html",
        {"body": body, "lang": lang, "title": policy.title.get(lang), "policy": policy},
    )


# -- signing in -----------------------------------------------------------------------


def _signin_page(
    request: HttpRequest, password_form: SignInForm, link_form: LinkRequestForm, status: int = 200
) -> HttpResponse:
    policy = get_policy()
    lang = languages.current()
    identity = policy.notes["identity"].get(lang) if "identity" in policy.notes else ""  # C14
    context = {
        "password_form": password_form,
        "link_form": link_form,
        "next": request.POST.get("next") or request.GET.get("next") or "",
        "identity_note": identity,
        "minutes": signin.LINK_MAX_AGE_SECONDS // 60,
    }
    return render(request, "portal/signin.html", context, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
@with_language
def signin_view(request: HttpRequest) -> HttpResponse:
    """Sign in by password (customers and staff; staff go on to the console)."""
    if request.method == "GET":
        if request.user.is_authenticated:
            return _after_signin(request, _person(request))
        return _signin_page(request, SignInForm(), LinkRequestForm())
    form = SignInForm(request.POST)
    if form.is_valid():
        checked = signin.check_password(
            request, form.cleaned_data["email"], form.cleaned_data["password"], timezone.now()
        )
        if checked.person is not None:
            login(request, checked.person)
            return _after_signin(request, checked.person)
        if checked.retry_after is not None:
            form.add_error(None, signin.too_many_attempts(checked.retry_after))
            response = _signin_page(request, form, LinkRequestForm(), status=429)
            response["Retry-After"] = str(checked.retry_after)
            return response
        form.add_error(None, _("That email and password do not match an account."))
    return _signin_page(request, form, LinkRequestForm(), status=400)


@require_POST
@with_language
def signin_link_request(request: HttpRequest) -> HttpResponse:
    """Email a one-time sign-in link. The answer is the same whether the address is known or not."""
    form = LinkRequestForm(request.POST)
    if not form.is_valid():
        return _signin_page(request, SignInForm(), form, status=400)
    email = form.cleaned_data["email"]
    if signin.allow_link_request(request, email, timezone.now()):
        signin.request_link(email, languages.current())
    else:
        log.warning("sign-in link requests over the limit for one address")
    return redirect("signin-link-sent")


@require_GET
@with_language
def signin_link_sent(request: HttpRequest) -> HttpResponse:
    return render(request, "portal/link_sent.html", {"minutes": signin.LINK_MAX_AGE_SECONDS // 60})


@never_cache
@require_http_methods(["GET", "POST"])
@with_language
def signin_link(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks to confirm (mail scanners follow links; they must not use them up); POST signs
    in, once: the use is recorded in the database before the session is made."""
    if request.method == "GET":
        person = signin.person_for_link_token(token)
    else:
        person = signin.use_link_token(token, timezone.now())
    if person is None:
        return render(request, "portal/link_invalid.html", status=400)
    if request.method == "GET":
        return render(request, "portal/link_confirm.html", {"email": person.email})
    login(request, person, backend="django.contrib.auth.backends.ModelBackend")
    return _after_signin(request, person)


@require_POST
def signout_view(request: HttpRequest) -> HttpResponse:
    logout(request)
    return redirect("home")


SEARCH_RESULTS = 50
SEARCH_MAX_QUERY = 500

# -- tickets --------------------------------------------------------------------------


@require_GET
@with_language
@customer_page
def ticket_list(request: HttpRequest) -> HttpResponse:
    """My tickets, or (where the organisation shares them) the organisation's; newest first.
    With `?q=`: the tickets of theirs that match, best first (never by an internal note)."""
    person = _person(request)
    organisation = person.organisation
    shares = organisation is not None and organisation.shares_tickets
    query = request.GET.get("q", "").strip()[:SEARCH_MAX_QUERY]
    if query:
        return _ticket_search(request, person, query, shares)
    scope = "organisation" if shares and request.GET.get("scope") == "organisation" else "mine"
    tickets = access.visible_tickets(person)
    if scope == "mine":
        tickets = tickets.filter(Q(requester=person) | Q(participants=person))
    tickets = tickets.select_related("requester").order_by("-created_at", "-number")
    page = Paginator(tickets, TICKETS_PER_PAGE).get_page(request.GET.get("page"))
    # Their own requests sent elsewhere, with the answer they got (on the first page of "mine").
    deflected = (
        deflected_requests(person, get_policy(), languages.current())
        if scope == "mine" and page.number == 1
        else []
    )
    return render(
        request,
        "portal/tickets.html",
        {"page": page, "scope": scope, "shares": shares, "person": person, "deflected": deflected},
    )


def _ticket_search(request: HttpRequest, person: Person, query: str, shares: bool) -> HttpResponse:
    """The customer's tickets (and their organisation's, where shared) matching `query`."""
    error = ""
    try:
        hits = find(person, query, SEARCH_RESULTS)
    except QueryError:
        hits = []
        error = _("This search cannot be read. Filters are written like status:open or created:>2026-11-01.")
    return render(
        request,
        "portal/tickets.html",
        {"hits": hits, "q": query, "error": error, "scope": "search", "shares": shares, "person": person},
    )


def _ticket_form(person: Person, data: Any = None, files: Any = None) -> TicketForm:
    """The request form for `person`: only the request types their plan covers (C2)."""
    policy = get_policy()
    organisation = person.organisation
    lang = languages.current()
    if organisation is None:  # only customers of an organisation reach the form (C14)
        return TicketForm(data, files, policy=policy, lang=lang)
    plan = policy.plans.get(organisation.plan)
    scope = plan_scope(policy, organisation, lang)
    return TicketForm(data, files, policy=policy, lang=lang, plan=plan, scope=scope)


def _open(
    request: HttpRequest, person: Person, form: TicketForm, channel: str
) -> actions.IntakeResult | None:
    """Call the one intake action (C13); None with the error on the form if it refuses."""
    data = form.cleaned_data
    try:
        return actions.do_open_ticket(
            requester=person,
            topic=data["topic"],
            subject=data["subject"],
            text=data["description"],
            priority=data["priority"],
            channel=channel,
            uploads=uploads_from(data["attachments"]),
            language=languages.current(),
            now=timezone.now(),
            once_key=once_key(form),
        )
    except ActionError as refusal:
        form.add_error(None, str(refusal))
        return None


@never_cache
@require_http_methods(["GET", "POST"])
@with_language
@customer_page
def ticket_new(request: HttpRequest) -> HttpResponse:
    """The help-center request form (C13 channel 2)."""
    person = _person(request)
    if request.method == "POST":
        form = _ticket_form(person, request.POST, request.FILES)
        if form.is_valid():
            result = _open(request, person, form, Ticket.Channel.WEB)
            if result is not None and result.ticket is not None:
                return redirect("ticket", number=result.ticket.number)
            if result is not None and result.deflection is not None:
                return redirect("deflected", pk=result.deflection.pk)
        status = 400
    else:
        form, status = _ticket_form(person), 200
    return render(request, "portal/ticket_new.html", {"form": form}, status=status)


def _visible_ticket(person: Person, number: int) -> Ticket:
    return get_object_or_404(access.visible_tickets(person).select_related("organisation"), number=number)


def _ticket_page(
    request: HttpRequest,
    ticket: Ticket,
    reply_form: ReplyForm | None = None,
    meeting_form: MeetingForm | None = None,
    people_form: PeopleForm | None = None,
    status: int = 200,
    rating_form: RatingForm | None = None,
    refusal: str = "",
) -> HttpResponse:
    person = _person(request)
    policy = get_policy()
    lang = languages.current()
    plan = policy.plans.get(ticket.organisation.plan)
    conversation = (
        ticket.messages.filter(kind=Message.Kind.PUBLIC)
        .select_related("author")
        .prefetch_related("attachments")
        .order_by("created_at", "id")
    )
    topic = policy.request_types.get(ticket.topic)
    priority = policy.priorities.get(ticket.priority)
    context = {
        "ticket": ticket,
        "conversation": conversation,
        "promise": promise_for(ticket, policy, person.time_zone, lang),
        "metric_promises": metric_promises(ticket, policy, person.time_zone, lang, timezone.now()),
        "topic_name": topic.name.get(lang) if topic else ticket.topic,
        "priority_name": priority.name.get(lang) if priority else ticket.priority,
        "reply_form": reply_form
        or ReplyForm(initial={"text": workspace.drafts_of(ticket, person).get(Draft.Kind.REPLY, "")}),
        "can_reply": ticket.status != Ticket.Status.CLOSED,
        "meetings_offered": bool(plan and plan.meetings),  # C7
        "meeting_requests": ticket.meeting_requests.order_by("requested_at"),
        "meeting_form": meeting_form or MeetingForm(),
        "staff_roles": access.STAFF_ROLES,
        "status_page": policy.links.get("status_page"),
        "is_outage": ticket.priority == policy.desk.outage_priority,  # C16: P0
        "calls_note": policy.notes["calls"].get(lang) if "calls" in policy.notes else "",
        "copied": list(ticket.participants.exclude(pk=ticket.requester_id).only("email")),
        "outside_copies": list(ticket.outside_copies.all()),
        "outside_copies_rule": policy.outside_copies,
        "people_form": people_form or PeopleForm(),
        "is_requester": person.pk == ticket.requester_id,
        "refusal": refusal,
        # Marking it solved, and the satisfaction survey (`portal/satisfaction_views.py`).
        **satisfaction_page.ticket_page_context(ticket, person, rating_form),
    }
    return render(request, "portal/ticket.html", context, status=status)


@require_GET
@with_language
@customer_page
def ticket_detail(request: HttpRequest, number: int) -> HttpResponse:
    return _ticket_page(request, _visible_ticket(_person(request), number))


@require_POST
@with_language
@customer_page
def ticket_reply(request: HttpRequest, number: int) -> HttpResponse:
    def reply(person: Person, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_customer_reply(
            ticket=ticket,
            customer=person,
            text=data["text"],
            uploads=uploads_from(data["attachments"]),
            now=timezone.now(),
            once_key=data.get("once_key") or "",
        )
        return _("Your reply was sent.")

    return _post_on_ticket(request, number, ReplyForm(request.POST, request.FILES), reply)


@require_POST
@with_language
@customer_page
def ticket_people(request: HttpRequest, number: int) -> HttpResponse:
    """The requester copies a colleague (a customer of their organisation) on the ticket, or an
    outside address where the policy allows (`[outside_copies]`), or stops; a participant may take
    themself off. Anyone else is refused (C14)."""

    def change(person: Person, ticket: Ticket, data: dict[str, Any]) -> str:
        email = data["email"].strip().lower()
        if data["remove"]:
            actions.do_uncopy_someone(ticket=ticket, address=email, actor=person, now=timezone.now())
            return _("%(email)s is no longer copied on this request.") % {"email": email}
        if (
            actions.do_copy_someone(ticket=ticket, address=email, actor=person, now=timezone.now())
            == "outside"
        ):
            return _("%(email)s is copied on this request: it receives the replies by email.") % {
                "email": email
            }
        return _("%(email)s is copied on this request and receives its replies.") % {"email": email}

    return _post_on_ticket(request, number, PeopleForm(request.POST), change)


@require_POST
@with_language
@customer_page
def ticket_draft(request: HttpRequest, number: int) -> HttpResponse:
    """Keep what the customer has typed in the reply box (saved by `policydesk/workspace.js`)."""
    person = _person(request)
    ticket = _visible_ticket(person, number)
    workspace.save_draft(ticket, person, Draft.Kind.REPLY, request.POST.get("text", ""), timezone.now())
    return HttpResponse(status=204)


@require_POST
@with_language
@customer_page
def ticket_meeting(request: HttpRequest, number: int) -> HttpResponse:
    """C7: ask for a call; support decides (C21: calls are not an official channel)."""

    def ask(person: Person, ticket: Ticket, data: dict[str, Any]) -> str:
        actions.do_request_meeting(
            ticket=ticket,
            customer=person,
            reason=data["reason"],
            now=timezone.now(),
            once_key=data.get("once_key") or "",
        )
        return _("Your request for a call was sent to support.")

    return _post_on_ticket(request, number, MeetingForm(request.POST), ask)


def _post_on_ticket(
    request: HttpRequest,
    number: int,
    form: ReplyForm | MeetingForm | PeopleForm,
    act: Callable[[Person, Ticket, dict[str, Any]], str],
) -> HttpResponse:
    """A POST from one of the ticket page's forms: validate, run the action, redirect back (PRG).

    `act` gets the customer, the ticket and the valid form's data, calls one action and returns
    the success message. An invalid form or a refused action shows the ticket page again (400)
    with the form as sent and the reason.
    """
    person = _person(request)
    ticket = _visible_ticket(person, number)
    if form.is_valid():
        try:
            done = act(person, ticket, form.cleaned_data)
        except ActionError as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, done)
            return redirect("ticket", number=ticket.number)
    return _ticket_page(
        request,
        ticket,
        reply_form=form if isinstance(form, ReplyForm) else None,
        meeting_form=form if isinstance(form, MeetingForm) else None,
        people_form=form if isinstance(form, PeopleForm) else None,
        status=400,
    )


@require_GET
def attachment_download(request: HttpRequest, pk: int) -> HttpResponseBase:
    """A ticket's file, for people who may see the ticket; always a download, never inline."""
    if not request.user.is_authenticated:
        return redirect(f"{reverse('signin')}?next={request.get_full_path()}")
    person = _person(request)
    attachment = get_object_or_404(Attachment.objects.select_related("ticket", "message"), pk=pk)
    hidden_note = attachment.message is not None and attachment.message.kind != Message.Kind.PUBLIC
    if not access.can_view(person, attachment.ticket) or (hidden_note and not access.is_staff(person)):
        raise Http404
    content_type = attachment.content_type.split(";")[0].strip().lower()
    if content_type not in SAFE_CONTENT_TYPES:
        content_type = "application/octet-stream"
    response = FileResponse(
        attachment.file.open("rb"),
        as_attachment=True,
        filename=attachment.filename,
        content_type=content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
@with_language
@customer_page
def deflected(request: HttpRequest, pk: int) -> HttpResponse:
    """Where a request outside support goes instead (C12, C17-C20). Only its sender sees it."""
    deflection = get_object_or_404(
        Deflection.objects.select_related("organisation"), pk=pk, person=_person(request)
    )
    view = deflection_view(deflection, get_policy(), languages.current())
    return render(request, "portal/deflected.html", {"deflection": view, "request_sent": deflection})


# -- the in-product widget (C13 channel 1) ----------------------------------------------


def frameable(response: HttpResponse) -> HttpResponse:
    """A page of the widget's iframe: framed by the product's origins only, no referrer, no cache."""
    allow_framing_by(response, widget.frame_ancestors())  # the site's CSP, but these may frame it
    response["Referrer-Policy"] = "no-referrer"  # the token is in the URL
    response["Cache-Control"] = "no-store"
    return response


@xframe_options_exempt
@csrf_exempt  # the signed widget session in the form is the CSRF token (see portal/widget.py)
@require_http_methods(["GET", "POST"])
@with_language
def widget_page(request: HttpRequest) -> HttpResponse:
    """The iframe page: GET with the product's token, then the form's POST with the widget session."""
    if request.method == "GET":
        try:
            person = widget.person_for_token(request.GET.get("token", ""), now=time.time())
        except widget.WidgetTokenError as refusal:
            log.info("widget token refused: %s", refusal)
            return frameable(render(request, "portal/widget_error.html", status=403))
        # Also sign in for the help center, where the browser allows the cookie.
        login(request, person, backend="django.contrib.auth.backends.ModelBackend")
        with translation.override(widget_language(request, person)):
            return frameable(_widget_form(request, person, _ticket_form(person)))
    person_or_none = widget.person_for_session(request.POST.get("widget_session", ""))
    if person_or_none is None:
        return frameable(render(request, "portal/widget_error.html", status=403))
    person = person_or_none
    with translation.override(widget_language(request, person)):
        form = _ticket_form(person, request.POST, request.FILES)
        if form.is_valid():
            result = _open(request, person, form, Ticket.Channel.IN_PRODUCT)
            if result is not None:
                return frameable(_widget_result(request, person, result))
        return frameable(_widget_form(request, person, form, status=400))


def widget_language(request: HttpRequest, person: Person) -> str:
    """`?lang=`, else the person's own language, else the browser's."""
    return explicit_language(request) or supported_language(person.language) or languages.current()


def _widget_form(request: HttpRequest, person: Person, form: TicketForm, status: int = 200) -> HttpResponse:
    context = {"form": form, "person": person, "widget_session": widget.make_session(person)}
    return render(request, "portal/widget.html", context, status=status)


def _widget_result(request: HttpRequest, person: Person, result: actions.IntakeResult) -> HttpResponse:
    policy = get_policy()
    context: dict[str, Any] = {"person": person, "ticket": result.ticket}
    if result.ticket is not None:
        context["promise"] = promise_for(result.ticket, policy, person.time_zone, languages.current())
    elif result.deflection is not None:
        context["deflection"] = deflection_view(result.deflection, policy, languages.current())
        context["request_sent"] = result.deflection
    return render(request, "portal/widget_result.html", context)


@require_GET
@require_GET
@with_language
def widget_demo(request: HttpRequest) -> HttpResponse:
    """Development only (POLICYDESK_DEBUG=1): a stand-in for the vendor's product page, with the
    help button signed in as a demo customer (`?as=EMAIL` picks another), so the in-product
    form can be tried out of the box. Production has no such page."""
    if not settings.DEBUG:
        raise Http404
    customers = list(
        Person.objects.filter(role=Person.Role.CUSTOMER, is_active=True, organisation__isnull=False)
        .select_related("organisation")
        .order_by("email")[:50]
    )
    chosen = next(
        (c for c in customers if c.email == request.GET.get("as")), customers[0] if customers else None
    )
    token = widget.demo_token(chosen, time.time()) if chosen is not None else ""
    return render(
        request, "portal/widget_demo.html", {"customers": customers, "chosen": chosen, "token": token}
    )


def widget_script(request: HttpRequest) -> HttpResponse:
    """The script the product includes: a help button that opens the widget's iframe."""
    response = HttpResponse(WIDGET_SCRIPT.read_bytes(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "public, max-age=3600"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response
