"""The policy itself: triage a request (as `policydesk triage` does) and the resolved policy."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router

from policydesk.api.errors import ApiError, responses
from policydesk.api.schemas import TriageIn, TriageOut
from policydesk.desk_policy import get_policy
from policydesk.policy.export import policy_as_json
from policydesk.policy.triage import RequestError, parse_request, triage

router = Router(tags=["policy"])


@router.post("/triage", response={200: TriageOut, **responses()})
def triage_request(request: HttpRequest, payload: TriageIn) -> dict[str, Any]:
    """What the policy decides for a request; nothing is written. Same JSON as `policydesk triage`."""
    policy = get_policy()
    try:
        return triage(policy, parse_request(policy, payload.dict())).as_json()
    except (RequestError, ValueError, OverflowError) as error:  # the same failures the command reports
        raise ApiError(422, str(error), loc=("body",)) from error


@router.get("/policy", response={200: dict[str, Any], **responses()})
def resolved_policy(request: HttpRequest) -> dict[str, Any]:
    """Every resolved fact of the policy the desk runs by (`policydesk policy show --json`)."""
    return policy_as_json(get_policy())
