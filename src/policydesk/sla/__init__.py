"""The SLA clock engine: calendars, due instants and business time (C3, C6, C8).

Pure Python + numpy + zoneinfo + `holidays`; no Django. See docs/sla.md.
"""

from policydesk.sla.calendars import (
    AlwaysOpenCalendar,
    Calendar,
    HolidayRule,
    OfficeCalendar,
    OpenInterval,
    Target,
    UnionCalendar,
    parse_zone,
    regular_business_day_seconds,
    weekly_hours,
)
from policydesk.sla.clock import (
    business_time_between,
    due,
    due_with_pauses,
    epoch_seconds,
    is_open,
    next_close,
    next_open,
)
from policydesk.sla.compiled import MAX_YEAR, MIN_YEAR, business_day_seconds_of, clear_cache
from policydesk.sla.explain import Explanation, Segment, SkippedHoliday, explain

__all__ = [
    "MAX_YEAR",
    "MIN_YEAR",
    "AlwaysOpenCalendar",
    "Calendar",
    "Explanation",
    "HolidayRule",
    "OfficeCalendar",
    "OpenInterval",
    "Segment",
    "SkippedHoliday",
    "Target",
    "UnionCalendar",
    "business_day_seconds_of",
    "business_time_between",
    "clear_cache",
    "due",
    "due_with_pauses",
    "epoch_seconds",
    "explain",
    "is_open",
    "next_close",
    "next_open",
    "parse_zone",
    "regular_business_day_seconds",
    "weekly_hours",
]
