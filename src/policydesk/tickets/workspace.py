"""The agent workspace's machinery, not people's actions (no audit row): who is on a ticket
(presence, renewed by the ticket page's short polling) and the text typed and not yet sent
(drafts, saved as people type). Both live in tables so every process of the desk sees them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from policydesk.tickets.models import Draft, Person, Presence, Ticket

#: How long a presence lasts without being renewed: the page renews it every 10 seconds, so a
#: person is shown until two polls in a row were missed.
PRESENCE_TTL = timedelta(seconds=25)
#: The longest draft kept (a reply box's text; more is cut, never refused).
DRAFT_MAX_CHARS = 100_000


@dataclass(frozen=True)
class Present:
    """Someone else on the ticket: their name and what they are doing."""

    name: str
    typing: bool


def note_presence(ticket: Ticket, person: Person, state: str, now: datetime) -> None:
    """`person` is viewing (or typing on) `ticket` as of `now`."""
    if state not in Presence.State.values:
        state = Presence.State.VIEWING
    Presence.objects.update_or_create(
        ticket=ticket, person=person, defaults={"state": state, "until": now + PRESENCE_TTL}
    )


def others_present(ticket: Ticket, person: Person, now: datetime) -> list[Present]:
    """Who else is on `ticket` now, by name; typists first."""
    rows = (
        Presence.objects.filter(ticket=ticket, until__gt=now)
        .exclude(person=person)
        .select_related("person")
        .order_by("person__name", "person__email")
    )
    present = [
        Present(row.person.name or row.person.email, row.state == Presence.State.TYPING) for row in rows
    ]
    return sorted(present, key=lambda p: not p.typing)


def leave(ticket: Ticket, person: Person) -> None:
    """`person` closed the ticket page."""
    Presence.objects.filter(ticket=ticket, person=person).delete()


def save_draft(ticket: Ticket, person: Person, kind: str, text: str, now: datetime) -> None:
    """Keep what `person` has typed in the `kind` box of `ticket`; an empty box has no draft."""
    if kind not in Draft.Kind.values:
        raise ValueError(f"unknown draft kind {kind!r}")
    if not text.strip():
        discard_draft(ticket, person, kind)
        return
    Draft.objects.update_or_create(
        ticket=ticket, person=person, kind=kind, defaults={"text": text[:DRAFT_MAX_CHARS], "updated_at": now}
    )


def drafts_of(ticket: Ticket, person: Person) -> dict[str, str]:
    """The drafts `person` has on `ticket`, by kind."""
    return dict(Draft.objects.filter(ticket=ticket, person=person).values_list("kind", "text"))


def discard_draft(ticket: Ticket, person: Person, kind: str) -> None:
    """The box was sent (or emptied): its draft goes. Actions call it inside their transaction."""
    Draft.objects.filter(ticket=ticket, person=person, kind=kind).delete()
