"""Building triage requests in tests."""

from __future__ import annotations

from datetime import datetime

from policydesk.policy.model import Policy
from policydesk.policy.triage import Decision, Request, parse_request, triage


def decide(
    policy: Policy,
    plan: str,
    topic: str,
    created_at: str = "2026-12-01T10:00:00-08:00",
    region: str = "americas",
    channel: str = "web",
) -> Decision:
    request = parse_request(
        policy,
        {
            "id": "t",
            "plan": plan,
            "region": region,
            "topic": topic,
            "created_at": created_at,
            "channel": channel,
        },
    )
    return triage(policy, request)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


__all__ = ["Request", "decide", "utc"]
