"""The REST API, version 1, mounted at /api/v1/ (OpenAPI at /api/v1/openapi.json)."""

from __future__ import annotations

from policydesk.api import errors, policy, tickets
from policydesk.api.auth import BearerToken, StaffSession
from policydesk.status import api as status_api

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
api.add_router("", policy.router)
api.add_router("", status_api.router)
