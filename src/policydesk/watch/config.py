"""The watch's settings, each with its default (docs/sla-watch.md lists them).

Read through `getattr` so the watch works before settings.py names them; the environment
variables of the same names are read by settings.py.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings


def _get(name: str, default: Any) -> Any:
    return getattr(settings, name, default)


def warning_share() -> float:
    """Share of the first-response target, in business time, at which the warning fires."""
    return float(_get("POLICYDESK_SLA_WARNING_SHARE", 0.75))


def watch_interval() -> float:
    """Seconds between two passes of the watch loop."""
    return float(_get("POLICYDESK_WATCH_INTERVAL", 5.0))


def delivery_lease() -> timedelta:
    """How long a claimed delivery belongs to its worker before another may take it over."""
    return timedelta(seconds=float(_get("POLICYDESK_DELIVERY_LEASE_SECONDS", 60)))


def max_attempts() -> int:
    """Sends tried before a delivery is marked failed."""
    return int(_get("POLICYDESK_DELIVERY_MAX_ATTEMPTS", 5))


def page_ack_timeout() -> timedelta:
    """C6: how long a paged person has to acknowledge before the next one is paged."""
    return timedelta(minutes=float(_get("POLICYDESK_PAGE_ACK_MINUTES", 15)))


def paging_channels() -> tuple[str, ...]:
    """The paging channels in use: "email", "webhook" (comma-separated or a sequence)."""
    value = _get("POLICYDESK_PAGING_CHANNELS", ("email", "webhook"))
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item.strip())


def webhook_url() -> str:
    """Where the webhook channel POSTs pages; empty turns the channel off."""
    return str(_get("POLICYDESK_PAGING_WEBHOOK_URL", ""))


def webhook_secret() -> str:
    """The HMAC-SHA256 key the webhook body is signed with."""
    return str(_get("POLICYDESK_PAGING_WEBHOOK_SECRET", ""))


def oncall_time_zone() -> str:
    """The zone whose Monday 00:00 starts an on-call week."""
    return str(_get("POLICYDESK_ONCALL_TIME_ZONE", "UTC"))


def ack_link_max_age() -> timedelta:
    """How long an acknowledgement link works."""
    return timedelta(hours=float(_get("POLICYDESK_PAGE_ACK_LINK_HOURS", 24)))


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def ticket_url(number: int) -> str:
    """The console page of a ticket (the console owns the route)."""
    return f"{site_url()}/console/tickets/{number}/"
