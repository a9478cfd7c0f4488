"""Who is told of what, and how it reads (issue 11, "Agents are told").

- **A customer's reply** on a ticket assigned to me: I am told (kind `customer-reply`); if the
  reply reopened my solved ticket, I am told once, that it was reopened (kind `reopened`).
- **A ticket assigned to me** by someone else (kind `assigned`).
- **An @mention in an internal note** (kind `mention`), see `MENTION` below.
- **My ticket reopened** by someone else: its status moved from solved back to new, open or
  pending (kind `reopened`).

Nobody is told of their own action, and only active staff are told. The rows are written in
the action's transaction (the receivers in `inbox.receivers`); each one's email time is
decided at once (`inbox.mailing.email_after`).

**Mentions.** `@` followed by letters, digits, `.`, `_`, `+` or `-` (a trailing `.` or `-` is
punctuation, not part of the name), at the start of the note or after a character that is not a
letter or digit (so an email address `ana@example.com` mentions nobody). The word names every
active staff member whose email's local part (before `@`) is that word, or whose name written
without spaces is that word, case-insensitively: `@ana.lima` or `@AnaLima` for "Ana Lima"
<ana.lima@example.com>. A staff member who cannot see the ticket (another office's queue) is
not told. The same person mentioned twice in a note is told once.
"""

from __future__ import annotations

import re
from datetime import datetime

from django.db.models import Q, QuerySet

from policydesk.inbox import mailing, tasks
from policydesk.inbox.models import Notification
from policydesk.tickets import access
from policydesk.tickets.models import Message, Person, Ticket

MENTION = re.compile(r"(?<![\w@])@([\w.+-]*[\w+])")


def mentioned_words(text: str) -> set[str]:
    """The words @mentioned in `text`, lower-cased."""
    return {word.lower() for word in MENTION.findall(text)}


def mentioned_staff(text: str, ticket: Ticket) -> list[Person]:
    """The active staff members the note's @mentions name who can see `ticket` (see above)."""
    words = mentioned_words(text)
    if not words:
        return []
    local = Q()
    for word in words:
        local |= Q(email__istartswith=f"{word}@")
    staff = Person.objects.filter(role__in=access.STAFF_ROLES, is_active=True)
    by_email = list(staff.filter(local))
    by_name = [p for p in staff.exclude(name="") if "".join(p.name.split()).lower() in words]
    named = {p.pk: p for p in [*by_email, *by_name]}
    return [p for _pk, p in sorted(named.items()) if access.can_view(p, ticket)]


def record(
    *,
    recipient: Person | None,
    kind: str,
    ticket: Ticket,
    actor: Person | None,
    now: datetime,
    message: Message | None = None,
) -> Notification | None:
    """Tell `recipient` of `kind` on `ticket`: one row, its email time decided; nothing for the
    actor themself, nobody, or someone who is not active staff."""  # fmt: skip
    if recipient is None or not access.is_staff(recipient):
        return None
    if actor is not None and actor.pk == recipient.pk:
        return None
    notification = Notification.objects.create(
        recipient=recipient, kind=kind, ticket=ticket, message=message, actor=actor, created_at=now,
        email_after=mailing.email_after(recipient, ticket, kind, now),
    )  # fmt: skip
    if notification.email_after is not None:
        tasks.enqueue_mail(recipient.pk, notification.email_after, now)
    return notification


def told_of(ticket: Ticket) -> list[Person]:
    """Who is told of a ticket's customer replies and reopening: its assignee, then its followers
    who may still answer it (a follower whose queues changed is not told), each once."""
    people: list[Person] = [ticket.assignee] if ticket.assignee is not None else []
    for follower in ticket.followers.all():
        if follower.pk != ticket.assignee_id and access.can_answer(follower, ticket):
            people.append(follower)
    return people


def unread_count(person: Person) -> int:
    """How many of `person`'s notifications are unread: one query (the console's counter)."""
    return Notification.objects.filter(recipient=person, read_at=None).count()


def newest_first(person: Person) -> QuerySet[Notification]:
    """`person`'s notifications, newest first, with what their lines show."""
    return (
        Notification.objects.filter(recipient=person)
        .select_related("ticket", "actor")
        .order_by("-created_at", "-pk")
    )
