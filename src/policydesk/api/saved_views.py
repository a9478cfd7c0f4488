"""Saved views (issue 13): a queue's filters under a name, the same views as the console's sidebar.
Staff only. List your own and the shared ones; save one (leads and admins may share it); delete
your own, or (a lead or admin) a shared one. A view keeps its queue and the queue page's
parameters (`filters`); opening it in the console (`url`) runs the queue's own query for whoever
looks, so a shared view never shows anyone a ticket they may not see."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status

from policydesk import languages
from policydesk.api.auth import caller
from policydesk.api.errors import ApiError, not_found, responses
from policydesk.api.schemas import JsonObject, RowId
from policydesk.api.tickets import _require_staff
from policydesk.desk_policy import get_policy
from policydesk.tickets.actions import saved_views
from policydesk.tickets.models import SavedView
from policydesk.web import navigation

router = Router(tags=["saved views"])

FilterValue = Annotated[str, Field(max_length=200)]


class SavedViewOut(Schema):
    id: int
    name: str
    queue: str = Field(description="The queue's slug, as in /console/queues/{queue}/.")
    filters: dict[str, str] = Field(
        description="The queue page's parameters the view keeps: "
        + ", ".join(f"`{name}`" for name in saved_views.VIEW_PARAMETERS)
        + "."
    )
    shared: bool
    owner: str = Field(description="The email of the person who saved it.")
    url: str = Field(description="The console page of the view.")

    @staticmethod
    def resolve_filters(view: SavedView) -> dict[str, str]:
        query = QueryDict(view.query)
        return {key: query.get(key, "") for key in query}

    @staticmethod
    def resolve_owner(view: SavedView) -> str:
        return view.owner.email

    @staticmethod
    def resolve_url(view: SavedView) -> str:
        return f"/console/queues/{view.queue}/" + (f"?{view.query}" if view.query else "")


class SavedViewIn(JsonObject):
    name: str = Field(min_length=1, max_length=80)
    queue: str = Field(max_length=64, description="A queue you work (its slug).")
    filters: dict[Annotated[str, Field(max_length=20)], FilterValue] = Field(
        default_factory=dict, max_length=20, description="Unknown keys are dropped."
    )
    shared: bool = Field(False, description="Shown to every staff member; leads and admins only.")


@router.get("/views", response={200: list[SavedViewOut], **responses(403)}, url_name="saved-views")
def list_views(request: HttpRequest) -> Any:
    """Your saved views and the shared ones, by name."""
    person = caller(request)
    _require_staff(person)
    return list(saved_views.views_for(person))


@router.post("/views", response={201: SavedViewOut, **responses(403)})
def save_view(request: HttpRequest, payload: SavedViewIn) -> Any:
    """Save a queue's filters under a name."""
    person = caller(request)
    _require_staff(person)
    lang = languages.choose(translation.get_language())
    if not any(q.slug == payload.queue for q in navigation.queues_for(person, get_policy(), lang)):
        raise ApiError(422, _("No queue of yours has this name."), loc=("body", "queue"))
    query = QueryDict(mutable=True)
    query.update(payload.filters)
    view = saved_views.do_save_view(
        owner=person, name=payload.name, queue=payload.queue, query=query.urlencode(),
        shared=payload.shared, now=timezone.now(),
    )  # fmt: skip
    return Status(201, saved_views.views_for(person).get(pk=view.pk))


@router.delete("/views/{view_id}", response={204: None, **responses(403, 404)})
def delete_view(request: HttpRequest, view_id: RowId) -> Any:
    """Delete your own view, or (a lead or admin) a shared one."""
    person = caller(request)
    _require_staff(person)
    view = saved_views.views_for(person).filter(pk=view_id).first()
    if view is None:
        raise not_found()
    if not saved_views.may_delete(person, view):
        raise ApiError(403, _("Only its owner, or a lead for a shared view, deletes a view."))
    saved_views.do_delete_view(view=view, actor=person, now=timezone.now())
    return Status(204, None)
