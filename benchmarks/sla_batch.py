"""Benchmark the SLA clock against pandas CustomBusinessHour and businesstimedelta.

Run from the repository root: `.venv/bin/python benchmarks/sla_batch.py`.

100,000 random start instants (fixed seed) over 2025-01-01..2026-12-31, calendar
Mon-Fri 09:00-17:00 with US holidays, target 16 business hours; once with the fixed
offset "UTC-08:00" (C8) and once with "America/Los_Angeles". pandas and
businesstimedelta are timed on a subsample and extrapolated per timestamp. All three
must agree on the subsample, pandas after normalising its closing-time convention (a
due exactly at a closing time becomes the next opening there; we keep the closing time).
Exits non-zero on any unexplained disagreement.
"""

from __future__ import annotations

import os
import platform
import sys
import time
import timeit
from collections.abc import Callable
from datetime import UTC, date, datetime
from datetime import time as wall_time

import businesstimedelta
import numpy as np
import pandas as pd
import pytz

from policydesk.sla import HolidayRule, OfficeCalendar, Target, due, is_open, next_open, weekly_hours

SEED = 20_260_101
COUNT = 100_000
SAMPLE = 2_000
MILLION = 1_000_000
SCALAR_CALLS = 50_000
FIRST = int(datetime(2025, 1, 1, tzinfo=UTC).timestamp())
LAST = int(datetime(2027, 1, 1, tzinfo=UTC).timestamp())
TARGET = Target.business_hours(16)
HOLIDAYS = HolidayRule("US")
US_HOLIDAY_DATES: list[date] = sorted(HOLIDAYS.dates(2025) | HOLIDAYS.dates(2026) | HOLIDAYS.dates(2027))


def best_of(repeats: int, run: Callable[[], object]) -> float:
    """Best wall time of `repeats` runs, in seconds."""
    best = float("inf")
    for _ in range(repeats):
        began = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - began)
    return best


def cpu_name() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as info:
            for line in info:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def pandas_dues(zone: str, starts: np.ndarray) -> list[int]:
    """pandas CustomBusinessHour, in naive local time (it has no time zones)."""
    offset = pd.offsets.CustomBusinessHour(start="09:00", end="17:00", holidays=US_HOLIDAY_DATES) * 16
    instants = pd.to_datetime(starts, unit="s", utc=True)
    if zone == "UTC-08:00":
        local = (instants - pd.Timedelta(hours=8)).tz_localize(None)
        dues = [stamp + offset for stamp in local]
        return [int((stamp + pd.Timedelta(hours=8)).timestamp()) for stamp in dues]
    # DST caveat: the addition runs on naive wall time; Mon-Fri 09-17 never straddles a
    # transition (Sunday 02:00), so wall hours equal elapsed hours here, not in general.
    local = instants.tz_convert(zone).tz_localize(None)
    dues = [stamp + offset for stamp in local]
    return [int(pd.Timestamp(stamp).tz_localize(zone).timestamp()) for stamp in dues]


def businesstimedelta_dues(zone: str, starts: np.ndarray) -> list[int]:
    """businesstimedelta with pytz zones (its rules call tz.localize)."""
    tz = pytz.FixedOffset(-480) if zone == "UTC-08:00" else pytz.timezone(zone)
    workday = businesstimedelta.WorkDayRule(
        start_time=wall_time(9), end_time=wall_time(17), working_days=[0, 1, 2, 3, 4], tz=tz
    )
    holidays = businesstimedelta.HolidayRule(set(US_HOLIDAY_DATES), tz=tz)
    delta = businesstimedelta.BusinessTimeDelta(businesstimedelta.Rules([workday, holidays]), hours=16)
    return [int((datetime.fromtimestamp(int(s), UTC) + delta).timestamp()) for s in starts]


def run_zone(zone: str, starts: np.ndarray) -> dict[str, float]:
    cal = OfficeCalendar("us-west", zone, weekly_hours(range(5), "09:00", "17:00"), HOLIDAYS)
    due(cal, starts[:10], TARGET)  # compile the calendar once, outside the timings

    ours_seconds = best_of(5, lambda: due(cal, starts, TARGET))
    ours = due(cal, starts, TARGET)

    sample = starts[:SAMPLE]
    began = time.perf_counter()
    pandas_result = pandas_dues(zone, sample)
    pandas_seconds = time.perf_counter() - began
    began = time.perf_counter()
    btd_result = businesstimedelta_dues(zone, sample)
    btd_seconds = time.perf_counter() - began

    ours_sample = [int(x) for x in ours[:SAMPLE]]
    normalised = [x if is_open(cal, x) else next_open(cal, x) for x in ours_sample]
    at_closing = sum(1 for x, y in zip(ours_sample, normalised, strict=True) if x != y)
    pandas_disagree = sum(1 for x, y in zip(normalised, pandas_result, strict=True) if x != y)
    btd_disagree = sum(1 for x, y in zip(ours_sample, btd_result, strict=True) if x != y)

    many = np.random.default_rng(SEED + 1).integers(FIRST, LAST, MILLION, dtype=np.int64)
    due(cal, many[:10], TARGET)
    million_seconds = best_of(3, lambda: due(cal, many, TARGET))

    ticket = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
    due(cal, ticket, TARGET)
    scalar_seconds = min(timeit.repeat(lambda: due(cal, ticket, TARGET), number=SCALAR_CALLS, repeat=3))

    print(f"\n== zone {zone}")
    print(f"sample for pandas and businesstimedelta: {SAMPLE:,} of {COUNT:,} starts")
    print(
        f"dues exactly at a closing time in the sample: {at_closing} (pandas moves these to the next opening)"
    )
    print(f"disagreements after normalising: pandas {pandas_disagree}, businesstimedelta {btd_disagree}")
    ours_per = ours_seconds / COUNT * 1e6
    pandas_per = pandas_seconds / SAMPLE * 1e6
    btd_per = btd_seconds / SAMPLE * 1e6
    print(f"{'engine':<44}{'us per timestamp':>18}{'ratio to ours':>16}")
    print(f"{'ours, vectorised due (100,000 starts)':<44}{ours_per:>18.3f}{1:>16.0f}")
    print(f"{'pandas CustomBusinessHour (sample)':<44}{pandas_per:>18.3f}{pandas_per / ours_per:>16,.0f}")
    print(f"{'businesstimedelta (sample)':<44}{btd_per:>18.3f}{btd_per / ours_per:>16,.0f}")
    print(f"ours, vectorised, {MILLION:,} starts: {million_seconds:.3f} s (goal < 0.5 s)")
    print(f"ours, scalar due for one ticket: {scalar_seconds / SCALAR_CALLS * 1e6:.2f} us per call")
    if pandas_disagree or btd_disagree:
        raise SystemExit(f"FAILED: unexplained disagreements in zone {zone}")
    return {"million": million_seconds}


def main() -> None:
    print("SLA batch benchmark: due = start + 16 business hours, Mon-Fri 09:00-17:00, US holidays")
    print(f"python {sys.version.split()[0]}, numpy {np.__version__}, pandas {pd.__version__}")
    print(f"machine: {platform.platform()}, {cpu_name()}, {os.cpu_count()} CPUs")
    starts = np.random.default_rng(SEED).integers(FIRST, LAST, COUNT, dtype=np.int64)
    print(f"{COUNT:,} random starts, seed {SEED}, {FIRST} .. {LAST} (2025-01-01 .. 2026-12-31 UTC)")
    for zone in ("UTC-08:00", "America/Los_Angeles"):
        run_zone(zone, starts)


if __name__ == "__main__":
    main()
