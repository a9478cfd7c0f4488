"""Every write to the status page (C16): one transaction, one audit event, email enqueued in
the same transaction (the task rows commit with the change, or not at all)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from django.core.exceptions import ValidationError
from django.core.validators import validate_email, validate_slug
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.oneline import one_line
from policydesk.status import subscriptions, tasks
from policydesk.status.models import Component, Incident, IncidentTicket, IncidentUpdate, Severity, Subscriber
from policydesk.tickets import access
from policydesk.tickets.actions import ActionError, do_agent_reply
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, Ticket, email_is

# A second "subscribe" for an unconfirmed address within this time sends no second email:
# the form cannot be used to flood someone's inbox.
CONFIRMATION_RESEND_AFTER = timedelta(minutes=10)


def _require_staff(actor: Person) -> None:
    if not access.is_staff(actor):
        raise ActionError(_("Only support and engineering staff can change the status page."))


# -- components and incidents ---------------------------------------------------------


def do_create_component(
    *, slug: str, name: str, actor: Person, now: datetime, name_ja: str = "", position: int = 0
) -> Component:
    """A part of the product shown on the status page."""
    _require_staff(actor)
    name = name.strip()
    try:
        validate_slug(slug)
    except ValidationError as error:
        raise ActionError(_("A component needs a slug of letters, digits, - and _.")) from error
    if not name:
        raise ActionError(_("A component needs a name."))
    with transaction.atomic():
        if Component.objects.filter(slug=slug).exists():
            raise ActionError(_("A component with the slug %(slug)s exists already.") % {"slug": slug})
        component = Component.objects.create(
            slug=slug, name=name[:120], name_ja=name_ja.strip()[:120], position=position, created_at=now
        )
        record_audit_event(now, actor, "component.created", component, slug=slug, name=component.name)
    return component


def do_open_incident(
    *,
    title: str,
    severity: str,
    body: str,
    actor: Person,
    now: datetime,
    components: Sequence[Component] = (),
    state: str = Incident.State.INVESTIGATING,
    title_ja: str = "",
    body_ja: str = "",
) -> Incident:
    """Publish a new incident with its first update; subscribers are emailed (C16)."""
    _require_staff(actor)
    title, title_ja = one_line(title), one_line(title_ja)  # titles become mail subjects (issue 9)
    if not title:
        raise ActionError(_("An incident needs a title."))
    if severity not in Severity.values:
        raise ActionError(_("Unknown severity %(severity)s.") % {"severity": severity})
    if state not in Incident.State.values or state == Incident.State.RESOLVED:
        raise ActionError(_("A new incident starts as investigating, identified or monitoring."))
    if not body.strip():
        raise ActionError(_("An update needs a message."))
    with transaction.atomic():
        incident = Incident.objects.create(
            title=title[:200],
            title_ja=title_ja[:200],
            severity=severity,
            state=state,
            created_by=actor,
            started_at=now,
            updated_at=now,
        )
        incident.components.set(components)
        update = _add_update(incident, state, body, body_ja, actor, now)
        record_audit_event(
            now,
            actor,
            "incident.opened",
            incident,
            title=incident.title,
            severity=severity,
            state=state,
            components=[c.slug for c in components],
            update=update.pk,
        )
        tasks.fan_out_update.enqueue(update.pk)
    return incident


def _add_update(
    incident: Incident, state: str, body: str, body_ja: str, actor: Person, now: datetime
) -> IncidentUpdate:
    return IncidentUpdate.objects.create(
        incident=incident,
        state=state,
        body=body.strip(),
        body_ja=body_ja.strip(),
        author=actor,
        posted_at=now,
    )


def do_post_incident_update(
    *,
    incident: Incident,
    state: str,
    body: str,
    actor: Person,
    now: datetime,
    body_ja: str = "",
    severity: str | None = None,
) -> IncidentUpdate:
    """A timestamped update moving the incident to `state`; subscribers are emailed.

    A resolved incident stays resolved (a later note, in state resolved, is allowed):
    a problem that comes back is a new incident.
    """
    _require_staff(actor)
    if state not in Incident.State.values:
        raise ActionError(_("Unknown state %(state)s.") % {"state": state})
    if severity is not None and severity not in Severity.values:
        raise ActionError(_("Unknown severity %(severity)s.") % {"severity": severity})
    if not body.strip():
        raise ActionError(_("An update needs a message."))
    with transaction.atomic():
        incident = Incident.objects.select_for_update().get(pk=incident.pk)
        if incident.is_resolved and state != Incident.State.RESOLVED:
            raise ActionError(_("This incident is resolved; open a new one if the problem is back."))
        before = incident.state
        incident.state = state
        if severity is not None:
            incident.severity = severity
        if state == Incident.State.RESOLVED and incident.resolved_at is None:
            incident.resolved_at = now
        incident.updated_at = now
        incident.save()
        update = _add_update(incident, state, body, body_ja, actor, now)
        record_audit_event(
            now,
            actor,
            "incident.updated",
            incident,
            before=before,
            after=state,
            severity=incident.severity,
            update=update.pk,
        )
        tasks.fan_out_update.enqueue(update.pk)
    return update


def do_link_ticket(*, incident: Incident, ticket: Ticket, actor: Person, now: datetime) -> IncidentTicket:
    """Link a P0 ticket to an incident and tell its customer, on the ticket, where updates
    appear (C16). The message is a public reply, so it also answers the ticket."""
    _require_staff(actor)
    if not access.can_answer(actor, ticket):
        raise ActionError(_("You cannot answer ticket #%(number)s.") % {"number": ticket.number})
    if ticket.priority != get_policy().desk.outage_priority:  # C15, C16: P0
        raise ActionError(_("Only critical (P0) tickets are linked to incidents (C16)."))
    lang = languages.choose(ticket.language)
    with translation.override(lang):
        text = _(
            "We are tracking this problem as an incident on our status page: %(title)s. "
            "Updates appear there as soon as engineering posts them: %(url)s"
        ) % {"title": incident.title_in(lang), "url": subscriptions.incident_url(incident.pk)}
    with transaction.atomic():
        if IncidentTicket.objects.filter(incident=incident, ticket=ticket).exists():
            raise ActionError(
                _("Ticket #%(number)s is already linked to this incident.") % {"number": ticket.number}
            )
        link = IncidentTicket.objects.create(incident=incident, ticket=ticket, linked_by=actor, linked_at=now)
        message = do_agent_reply(ticket=ticket, agent=actor, text=text, now=now)
        record_audit_event(
            now, actor, "incident.ticket_linked", incident, ticket=ticket.number, message=message.pk
        )
    return link


# -- subscribers ----------------------------------------------------------------------


def do_subscribe(*, email: str, language: str, now: datetime) -> Subscriber:
    """Ask for updates by email: a confirmation link is sent (double opt-in). The answer is the
    same whatever the address's state, so the form tells nobody who subscribes."""
    email = email.strip()
    try:
        validate_email(email)
    except ValidationError as error:
        raise ActionError(_("Enter a valid email address.")) from error
    language = languages.choose(language)
    with transaction.atomic():
        subscriber = Subscriber.objects.select_for_update().filter(email_is(email)).first()
        if subscriber is None:
            subscriber = Subscriber.objects.create(email=email.lower(), language=language, created_at=now)
        elif subscriber.is_active:
            return subscriber  # already receiving updates: nothing to confirm
        elif (
            subscriber.confirmation_sent_at
            and now - subscriber.confirmation_sent_at < CONFIRMATION_RESEND_AFTER
        ):
            return subscriber
        else:  # unconfirmed, or unsubscribed and back: confirm again
            subscriber.confirmed_at = None
            subscriber.unsubscribed_at = None
            subscriber.language = language
        subscriber.confirmation_sent_at = now
        subscriber.save()
        record_audit_event(now, None, "subscriber.requested", subscriber, language=language)
        tasks.send_confirmation.enqueue(subscriber.pk)
    return subscriber


def do_confirm_subscription(*, subscriber: Subscriber, now: datetime) -> Subscriber:
    """The address's owner followed the confirmation link: updates start."""
    with transaction.atomic():
        if Subscriber.objects.filter(pk=subscriber.pk, confirmed_at__isnull=True).update(
            confirmed_at=now, unsubscribed_at=None
        ):
            record_audit_event(now, None, "subscriber.confirmed", subscriber)
        subscriber.refresh_from_db()
    return subscriber


def do_unsubscribe(*, subscriber: Subscriber, now: datetime) -> Subscriber:
    """No more email; leaving twice changes nothing."""
    with transaction.atomic():
        if Subscriber.objects.filter(pk=subscriber.pk, unsubscribed_at__isnull=True).update(
            unsubscribed_at=now
        ):
            record_audit_event(now, None, "subscriber.unsubscribed", subscriber)
        subscriber.refresh_from_db()
    return subscriber
