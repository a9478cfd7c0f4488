"""`GET /api/v1/search`: the same search as the console's and the portal's (docs/search.md),
for the caller: an agent's queues, a customer's own (and shared) tickets, notes only for staff."""

from __future__ import annotations

from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema

from policydesk.api.auth import caller
from policydesk.api.errors import ApiError, responses
from policydesk.search.query import QueryError
from policydesk.search.service import MAX_LIMIT, find

router = Router(tags=["search"])


class SearchParams(Schema):
    q: str = Field(
        ..., min_length=1, max_length=500,
        description='Words (all must match), "quoted phrases", #1234, and filters such as status:open, '
        "plan:, office:, type:, assignee:me|none|EMAIL, requester:, org:, created:>2026-11-01.",
    )  # fmt: skip
    limit: Annotated[int, Field(ge=1, le=MAX_LIMIT)] = 20


class SearchHit(Schema):
    ticket: int = Field(description="The ticket's number.")
    subject: str
    score: float = Field(description="Higher is better; the results come best first.")
    snippet: str = Field(description="HTML: the matching passage, escaped, each match in <mark>.")


class SearchResults(Schema):
    items: list[SearchHit]


@router.get("/search", response={200: SearchResults, **responses()}, url_name="search")
def search(request: HttpRequest, params: Query[SearchParams]) -> dict[str, object]:
    """The tickets you may see that match `q`, best first, at most `limit`."""
    try:
        hits = find(caller(request), params.q, params.limit)
    except QueryError as error:
        raise ApiError(
            400, _("The search cannot be read: %(reason)s") % {"reason": error}, loc=("query", "q")
        ) from error
    return {
        "items": [
            {"ticket": hit.number, "subject": hit.subject, "score": hit.score, "snippet": str(hit.snippet)}
            for hit in hits
        ]
    }
