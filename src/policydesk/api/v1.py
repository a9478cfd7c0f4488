"""The REST API, version 1, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json).

`build_api` takes the routers of other apps (the status page's) from `policydesk.urls`, the one
place that knows every face, so this app imports none of them."""

from __future__ import annotations

from ninja import Router

from policydesk.api import bulk, errors, macros, policy, saved_views, search, ticket_metrics, tickets
from policydesk.api.auth import BearerToken, StaffSession


def build_api(*routers: Router) -> errors.DeskNinjaAPI:
    """The v1 API: the desk's tickets and policy endpoints, then `routers`."""
    api = errors.DeskNinjaAPI(
        title="policydesk",
        version="1",
        description=(
            "Tickets, their conversation and files, triage and the policy. Authenticate with "
            "`Authorization: Bearer pd_...` (a personal API token), or, for staff in a browser, the "
            "desk's session with the X-CSRFToken header on unsafe methods. Every error is "
            '`{"error": {"code", "message", "details"}}`; times are UTC, ISO-8601.'
        ),
        urls_namespace="api",
        auth=[BearerToken(), StaffSession()],
    )
    errors.install(api)
    api.add_router("", tickets.router)
    api.add_router("", ticket_metrics.router)
    api.add_router("", policy.router)
    api.add_router("", search.router)
    api.add_router("", macros.router)
    api.add_router("", saved_views.router)
    api.add_router("", bulk.router)
    for router in routers:
        api.add_router("", router)
    return api
