"""The watch's settings in the units the watch uses (docs/sla-watch.md lists them).

Each setting, its type, its default and its environment variable are in settings.py."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings


def warning_share() -> float:
    """Share of the first-response target, in business time, at which the warning fires."""
    return float(settings.POLICYDESK_SLA_WARNING_SHARE)


def watch_interval() -> float:
    """Seconds between two passes of the watch loop."""
    return float(settings.POLICYDESK_WATCH_INTERVAL)


def delivery_lease() -> timedelta:
    """How long a claimed delivery belongs to its worker before another may take it over."""
    return timedelta(seconds=float(settings.POLICYDESK_DELIVERY_LEASE_SECONDS))


def max_attempts() -> int:
    """Sends tried before a delivery is marked failed."""
    return int(settings.POLICYDESK_DELIVERY_MAX_ATTEMPTS)


def page_ack_timeout() -> timedelta:
    """C6: how long a paged person has to acknowledge before the next one is paged."""
    return timedelta(minutes=float(settings.POLICYDESK_PAGE_ACK_MINUTES))


def paging_channels() -> tuple[str, ...]:
    """The paging channels in use: "email", "webhook" (comma-separated or a sequence)."""
    value = settings.POLICYDESK_PAGING_CHANNELS
    items = value.split(",") if isinstance(value, str) else list(value)
    return tuple(item.strip() for item in items if item.strip())


def webhook_url() -> str:
    """Where the webhook channel POSTs pages; empty turns the channel off."""
    return str(settings.POLICYDESK_PAGING_WEBHOOK_URL)


def webhook_secret() -> str:
    """The HMAC-SHA256 key the webhook body is signed with."""
    return str(settings.POLICYDESK_PAGING_WEBHOOK_SECRET)


def oncall_time_zone() -> str:
    """The zone whose Monday 00:00 starts an on-call week."""
    return str(settings.POLICYDESK_ONCALL_TIME_ZONE)


def ack_link_max_age() -> timedelta:
    """How long an acknowledgement link works."""
    return timedelta(hours=float(settings.POLICYDESK_PAGE_ACK_LINK_HOURS))


def site_url() -> str:
    return str(settings.SITE_URL).rstrip("/")


def ticket_url(number: int) -> str:
    """The console page of a ticket (the console owns the route)."""
    return f"{site_url()}/console/tickets/{number}/"
