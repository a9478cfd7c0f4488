"""The sidebar's saved views: the person's own and the shared ones, each with its count.

A view keeps a queue and the queue page's GET parameters; its count and its page run the queue's
own query for the person looking (`queries.queue_tickets`), so a shared view shows each person only
the tickets they may see, and a view of a queue the person does not work is not listed for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from policydesk.console import forms as console_forms
from policydesk.console import queries
from policydesk.policy.model import Policy
from policydesk.tickets.actions.saved_views import may_delete
from policydesk.tickets.models import Person, SavedView
from policydesk.web.navigation import Queue


@dataclass(frozen=True)
class ViewEntry:
    view: SavedView
    url: str
    count: int | None  # None: not counted on this page
    deletable: bool


def view_url(view: SavedView) -> str:
    url = reverse("console:queue", kwargs={"slug": view.queue})
    return f"{url}?{view.query}" if view.query else url


def sidebar_views(
    person: Person,
    policy: Policy,
    lang: str,
    queues: Sequence[Queue],
    staff: QuerySet[Person],
    counted: bool = True,
) -> list[ViewEntry]:
    """The views in `person`'s sidebar (one query), with their capped counts when `counted`
    (one more statement for all of them). `staff` is the queue page's assignee choices."""
    by_slug = {queue.slug: queue for queue in queues}
    views = [view for view in queries.saved_views_for(person) if view.queue in by_slug]
    counts: list[int | None] = [None] * len(views)
    if counted and views:
        parts = [(by_slug[view.queue], view_filters(view, policy, lang, staff)) for view in views]
        counts = list(queries.saved_view_counts(person, parts))
    return [
        ViewEntry(view, view_url(view), count, may_delete(person, view))
        for view, count in zip(views, counts, strict=True)
    ]


def view_filters(view: SavedView, policy: Policy, lang: str, staff: QuerySet[Person]) -> queries.Filters:
    """The view's filters, validated as the queue page validates its own (invalid ones dropped)."""
    form = console_forms.QueueFilterForm(QueryDict(view.query), policy=policy, lang=lang, staff=staff)
    return form.filters()
