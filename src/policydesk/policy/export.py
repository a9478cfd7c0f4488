"""The resolved policy as plain JSON data (`policydesk policy show --json`)."""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any

from policydesk.policy.model import Policy
from policydesk.sla import OpenInterval, regular_business_day_seconds

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def policy_as_json(policy: Policy) -> dict[str, Any]:
    """Every resolved fact of the policy, JSON-ready; calendars carry their business-day length."""
    data = _plain(policy)
    assert isinstance(data, dict)
    for ident, calendar in policy.calendars.items():
        data["calendars"][ident]["regular_business_day_seconds"] = regular_business_day_seconds(calendar)
    return data


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {"type": type(value).__name__} if type(value).__name__.endswith("Calendar") else {}
        for field in dataclasses.fields(value):
            out[field.name] = _plain(getattr(value, field.name))
        if isinstance(value, OpenInterval):
            out["day"] = DAY_NAMES[value.weekday]
        return out
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, frozenset | set):
        return sorted(_plain(item) for item in value)
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value
