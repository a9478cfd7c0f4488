"""Template access to the one time formatter (policydesk.display)."""

from __future__ import annotations

from datetime import datetime

from django import template

from policydesk.display import format_instant

register = template.Library()


@register.filter
def instant(value: datetime | None, time_zone: str | None) -> str:
    """`{{ ticket.created_at|instant:user.time_zone }}`: in the viewer's zone and language."""
    return format_instant(value, time_zone)
