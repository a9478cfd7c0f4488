"""Saved views: a queue page's filters under a name, personal or shared with every staff member."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q, QuerySet
from django.http import QueryDict
from django.utils.translation import gettext as _

from policydesk.tickets import access
from policydesk.tickets.actions.shared import ActionError
from policydesk.tickets.audit import record_audit_event
from policydesk.tickets.models import Person, SavedView

#: The queue page's GET parameters a view keeps, in this order (a cursor is not kept).
VIEW_PARAMETERS = ("status", "priority", "topic", "assignee", "q", "tag", "sort", "size")


def view_query(query: str) -> str:
    """`query` (a queue page's GET parameters) with only the filters a view keeps."""
    given = QueryDict(query)
    kept = QueryDict(mutable=True)
    for key in VIEW_PARAMETERS:
        value = given.get(key, "").strip()
        if value:
            kept[key] = value
    return kept.urlencode()


def views_for(person: Person) -> QuerySet[SavedView]:
    """The person's own views and every shared one, by name (one query)."""
    return (
        SavedView.objects.filter(Q(owner=person) | Q(shared=True))
        .select_related("owner")
        .order_by("name", "id")
    )


def may_share(person: Person) -> bool:
    """Leads and admins share views with the whole team; agents keep theirs to themselves."""
    return access.sees_all_queues(person)


def may_delete(person: Person, view: SavedView) -> bool:
    """Its owner deletes a view; leads and admins delete shared views too."""
    return view.owner_id == person.pk or (view.shared and access.sees_all_queues(person))


def do_save_view(
    *, owner: Person, name: str, queue: str, query: str, shared: bool, now: datetime
) -> SavedView:
    """A new view of `queue` with the filters of `query`, in `owner`'s sidebar (everyone's when shared)."""
    name = name.strip()
    if not name:
        raise ActionError(_("A view needs a name."))
    if shared and not may_share(owner):
        raise ActionError(_("Only leads and admins share views."))
    with transaction.atomic():
        view = SavedView.objects.create(
            name=name, owner=owner, shared=shared, queue=queue, query=view_query(query),
            created_at=now, updated_at=now,
        )  # fmt: skip
        record_audit_event(
            now, owner, "view.saved", view, name=name, queue=queue, query=view.query, shared=shared
        )
    return view


def do_delete_view(*, view: SavedView, actor: Person, now: datetime) -> None:
    """The view is gone from every sidebar; the audit row keeps what it was."""
    if not may_delete(actor, view):
        raise ActionError(_("Only its owner, or a lead for a shared view, deletes a view."))
    with transaction.atomic():
        record_audit_event(
            now, actor, "view.deleted", view, name=view.name, queue=view.queue, query=view.query,
            shared=view.shared, owner=view.owner.email,
        )  # fmt: skip
        view.delete()
