"""Notification emails: when each one may go, and what it says.

**When** (`email_after`, decided as the notification is recorded):

- not at all, if the person does not want this kind by email (`Person.emails_wanted`);
- held outside their office hours until the next opening, as the SLA watch holds its alerts
  (`watch.notify.Directory.deliver_after`; a mission-critical ticket's at once, C6);
- `notify_delivery = immediate`: at once while few: at most `BURST` notifications of a person
  within `WINDOW` go one email each; from the next one on, they wait until `WINDOW` after
  the one that tipped it over and go together as one digest;
- `notify_delivery = digest`: gathered for `DIGEST_WINDOW`, then one digest;
- a notification recorded while others of the person are waiting joins them (one email).

**What** (`send_due`, run by `inbox.tasks.send_notification_mail` at that time): every
notification of the person that is due, not emailed and not read in the console meanwhile
(read is seen): one email if it is one, a digest if more. The email is recorded by `queue_mail`
with a key made from the notifications it carries (the idempotency key), in the transaction that
marks them emailed: each notification is mailed once. Staff mail is plain text, like the SLA
alerts.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max, Q
from django.utils import translation

from policydesk import languages
from policydesk.desk_policy import get_policy
from policydesk.display import format_instant
from policydesk.inbox.models import Notification
from policydesk.inbox.wording import describe
from policydesk.mail.models import OutgoingMail
from policydesk.mail.outgoing import Email, compose, queue_mail
from policydesk.oneline import one_line
from policydesk.tickets.models import Delivery, Person, Ticket
from policydesk.watch import config
from policydesk.watch.notify import Directory

BURST = 3  # notifications of one person by email within WINDOW, each its own email
WINDOW = timedelta(minutes=15)
DIGEST_WINDOW = timedelta(hours=1)  # how long a digest-by-choice gathers
EXCERPT = 300  # characters of the reply or note quoted in the email


def email_after(person: Person, ticket: Ticket, kind: str, now: datetime) -> datetime | None:
    """When the email of a notification of `kind` recorded `now` may go (see above); None: never."""
    if kind not in person.emails_wanted():
        return None
    opening = Directory(get_policy()).deliver_after(ticket, person, now)
    if ticket.mission_critical:
        return opening  # C6: at once, on its own
    mine = Notification.objects.filter(recipient=person, email_after__isnull=False)
    waiting: datetime | None = mine.filter(emailed_at=None, email_after__gt=now).aggregate(
        last=Max("email_after")
    )["last"]
    if waiting is not None:
        return max(opening, waiting)
    if person.notify_delivery == Delivery.DIGEST:
        return max(opening, now + DIGEST_WINDOW)
    if mine.filter(created_at__gt=now - WINDOW).count() >= BURST:
        return max(opening, now + WINDOW)
    return opening


def _context(notification: Notification, person: Person, lang: str) -> dict[str, object]:
    ticket = notification.ticket
    with translation.override(lang):
        what = describe(notification)
    text = notification.message.text if notification.message is not None else ""
    excerpt = one_line(text)
    return {
        "what": what,
        "number": ticket.number,
        "subject": ticket.subject,
        "organisation": ticket.organisation.name,
        "at": format_instant(notification.created_at, person.time_zone, lang),
        "excerpt": excerpt[:EXCERPT] + ("…" if len(excerpt) > EXCERPT else ""),
        "url": config.ticket_url(ticket.number),
    }


def notification_email(person: Person, notifications: list[Notification]) -> Email:
    """One notification's email, or a digest of several, in the person's language and zone."""
    lang = languages.choose(person.language)
    if len(notifications) == 1:
        notification = notifications[0]
        return compose(
            "inbox/email/notice", _context(notification, person, lang), kind=OutgoingMail.Kind.NOTICE,
            recipient=person.email, language=lang, person=person, ticket=notification.ticket,
        )  # fmt: skip
    context = {
        "count": len(notifications),
        "items": [_context(n, person, lang) for n in notifications],
        "list_url": f"{config.site_url()}/console/notifications/",
    }
    return compose(
        "inbox/email/notice_digest", context, kind=OutgoingMail.Kind.NOTICE_DIGEST,
        recipient=person.email, language=lang, person=person,
    )  # fmt: skip


def send_due(person_id: int, now: datetime) -> OutgoingMail | None:
    """Record the email of `person`'s due notifications, if any (see above)."""
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person_id)  # one sender at a time
        due = Notification.objects.filter(recipient=person, emailed_at=None, email_after__lte=now)
        if not person.is_active:
            due.update(email_after=None)
            return None
        wanted = Q(kind__in=person.emails_wanted(), read_at=None)
        due.exclude(wanted).update(email_after=None)  # switched off or read since: not mailed
        carried = list(
            due.filter(wanted)
            .select_related("ticket", "ticket__organisation", "actor", "message")
            .order_by("created_at", "pk")
        )
        if not carried:
            return None
        key = f"notice-{carried[0].pk}" if len(carried) == 1 else f"notices-{carried[0].pk}-{carried[-1].pk}"
        Notification.objects.filter(pk__in=[n.pk for n in carried]).update(emailed_at=now)
        return queue_mail(notification_email(person, carried), now=now, key=key)
