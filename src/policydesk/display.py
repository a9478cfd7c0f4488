"""The one place that renders a user-visible time (STYLE.md 14)."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from django.utils import formats, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from policydesk import languages


def viewer_zone(time_zone: str | None) -> ZoneInfo:
    """The viewer's zone (their profile's), UTC if they have none or it is unknown."""
    try:
        return ZoneInfo(time_zone) if time_zone else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


@functools.cache
def known_zones() -> frozenset[str]:
    """Every IANA zone name this system knows (read once: listing them walks the zone files)."""
    return frozenset(available_timezones())


def is_known_zone(time_zone: str) -> bool:
    """True for an IANA zone name such as 'Asia/Singapore' (what a profile may hold)."""
    return time_zone in known_zones()


def format_instant(instant: datetime | None, time_zone: str | None, lang: str | None = None) -> str:
    """'Tue 8 Dec 2026, 15:00 (Europe/Berlin)' / '2026年12月8日(火) 15:00 (Asia/Tokyo)'."""
    if instant is None:
        return "-"
    zone = viewer_zone(time_zone)
    local = instant.astimezone(zone)
    chosen = languages.choose(lang, translation.get_language())
    if chosen == "ja":
        text = f"{local.year}年{local.month}月{local.day}日({_JA_WEEKDAYS[local.weekday()]}) {local:%H:%M}"
    elif chosen == "en":  # what date_format(local, "D j M Y, H:i") gives in English, 20 times faster
        text = f"{_EN_WEEKDAYS[local.weekday()]} {local.day} {_EN_MONTHS[local.month - 1]} {local:%Y, %H:%M}"
    else:
        with translation.override(chosen):
            text = formats.date_format(local, "D j M Y, H:i")
    return f"{text} ({zone.key})"


_JA_WEEKDAYS = "月火水木金土日"
_EN_WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_EN_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def format_duration(length: timedelta) -> str:
    """'2 days 3 h' / '3 h 20 min' / '45 min' (whole minutes, rounded down; the sign is dropped)."""
    minutes = int(abs(length).total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days:
        return ngettext("%(days)d day %(hours)d h", "%(days)d days %(hours)d h", days) % {
            "days": days,
            "hours": hours,
        }
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def format_business_hours(length: timedelta) -> str:
    """Business time as hours and minutes ('26 h 5 min'; business days differ by calendar)."""
    minutes = int(length.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


def format_time_left(due: datetime | None, now: datetime) -> str:
    """'3 h 20 min left' / '45 min overdue', in wall-clock time."""
    if due is None:
        return "-"
    left = due - now
    amount = format_duration(left)
    if left < timedelta(0):
        return _("%(amount)s overdue") % {"amount": amount}
    return _("%(amount)s left") % {"amount": amount}
