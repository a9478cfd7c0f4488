"""The notification counter in the console header, on every console page (one query)."""

from __future__ import annotations

from django import template

from policydesk.inbox import notices
from policydesk.tickets import access

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notifications(context: template.Context) -> int:
    """The signed-in staff member's unread notifications (0 for anyone else); the view's count
    (`unread_notifications` in the context) if it has one."""
    known = context.get("unread_notifications")
    if known is not None:
        return int(known)
    user = context.get("user")
    if user is None or not access.is_staff(user):
        return 0
    return notices.unread_count(user)
