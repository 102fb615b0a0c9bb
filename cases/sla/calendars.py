"""Business time: pure functions over a weekly-hours calendar in one time zone, with holidays.

A `Calendar` says when the clock runs: weekly opening intervals in local time
("mon": [["09:00", "17:00"]]) in an IANA time zone, minus holidays (local
dates). Arithmetic happens on real elapsed time: each local interval is turned
into two aware instants with zoneinfo, so a day when daylight saving starts or
ends counts the hours that really passed. `None` as a calendar means the clock
runs around the clock.

    add_business_time(start, duration, calendar) -> the instant `duration` of open time after `start`
    business_time_between(start, end, calendar)  -> open time inside [start, end)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 3 * 366  # a calendar with no open time left in three years is misconfigured
UTC = dt.UTC


class CalendarError(ValueError):
    code = "calendar_invalid"


@dataclass(frozen=True)
class Calendar:
    time_zone: str
    # weekday (0 = Monday) -> ((open_minute, close_minute), ...), minutes after local midnight, close <= 1440
    weekly: tuple[tuple[tuple[int, int], ...], ...]
    holidays: frozenset[dt.date] = frozenset()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


def _minutes(text: str) -> int:
    try:
        hours, minutes = str(text).strip().split(":")
        value = int(hours) * 60 + int(minutes)
    except ValueError:
        raise CalendarError(f"not a time of day: {text!r} (write 09:00)") from None
    if not 0 <= value <= 1440 or not 0 <= int(minutes) < 60:
        raise CalendarError(f"not a time of day: {text!r}")
    return value


def calendar_parse(*, time_zone: str, weekly_hours: Mapping[str, list], holidays: list | tuple = ()) -> Calendar:
    """Validate the JSON an ops manager edits into a Calendar; CalendarError says what to fix."""
    try:
        ZoneInfo(time_zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise CalendarError(f"unknown time zone {time_zone!r} (use an IANA name such as Europe/Berlin)") from None
    unknown = [key for key in weekly_hours if key not in DAYS]
    if unknown:
        raise CalendarError(f"unknown weekday {unknown[0]!r}; use {', '.join(DAYS)}")
    weekly = []
    for day in DAYS:
        intervals = []
        for pair in weekly_hours.get(day) or []:
            if len(pair) != 2:
                raise CalendarError(f"{day}: each interval is [open, close], got {pair!r}")
            start, end = _minutes(pair[0]), _minutes(pair[1])
            if end <= start:
                raise CalendarError(f"{day}: {pair[0]}-{pair[1]} closes before it opens")
            intervals.append((start, end))
        intervals.sort()
        for (_, end), (start, _) in pairwise(intervals):
            if start < end:
                raise CalendarError(f"{day}: intervals overlap")
        weekly.append(tuple(intervals))
    if not any(weekly):
        raise CalendarError("the calendar has no opening hours on any day")
    days = set()
    for item in holidays or ():
        text = item.get("date") if isinstance(item, Mapping) else item
        try:
            days.add(dt.date.fromisoformat(str(text)))
        except ValueError:
            raise CalendarError(f"not a date: {text!r} (write 2026-12-25)") from None
    return Calendar(time_zone=time_zone, weekly=tuple(weekly), holidays=frozenset(days))


def _local_instant(day: dt.date, minute: int, zone: ZoneInfo) -> dt.datetime:
    if minute == 1440:
        day, minute = day + dt.timedelta(days=1), 0
    local = dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=zone)
    # A wall time skipped by a spring-forward gap resolves (fold=0) to the instant after the gap.
    return local.astimezone(UTC)


def _open_intervals(start: dt.datetime, calendar: Calendar) -> Iterator[tuple[dt.datetime, dt.datetime]]:
    """Open intervals as UTC instants, in order, from the local day containing `start`."""
    zone = calendar.zone
    day = start.astimezone(zone).date() - dt.timedelta(days=1)  # an interval may straddle midnight UTC
    for offset in range(MAX_DAYS):
        current = day + dt.timedelta(days=offset)
        if current in calendar.holidays:
            continue
        for open_minute, close_minute in calendar.weekly[current.weekday()]:
            yield _local_instant(current, open_minute, zone), _local_instant(current, close_minute, zone)
    raise CalendarError("no opening hours in the next three years")


def _aware(value: dt.datetime) -> dt.datetime:
    if value.tzinfo is None:
        raise CalendarError("naive datetime: business time needs aware instants")
    return value.astimezone(UTC)


def add_business_time(start: dt.datetime, duration: dt.timedelta, calendar: Calendar | None) -> dt.datetime:
    """The instant at which `duration` of open time has passed since `start` (UTC)."""
    start = _aware(start)
    if calendar is None:
        return start + duration
    if duration <= dt.timedelta(0):
        return start
    remaining = duration
    for opens, closes in _open_intervals(start, calendar):
        begin = max(start, opens)
        if begin >= closes:
            continue
        available = closes - begin
        if available >= remaining:
            return begin + remaining
        remaining -= available
    raise CalendarError("unreachable")  # pragma: no cover - _open_intervals raises first


def business_time_between(start: dt.datetime, end: dt.datetime, calendar: Calendar | None) -> dt.timedelta:
    """Open time inside [start, end); zero when end <= start."""
    start, end = _aware(start), _aware(end)
    if end <= start:
        return dt.timedelta(0)
    if calendar is None:
        return end - start
    total = dt.timedelta(0)
    for opens, closes in _open_intervals(start, calendar):
        if opens >= end:
            break
        begin, finish = max(start, opens), min(end, closes)
        if finish > begin:
            total += finish - begin
    return total


def is_open(at: dt.datetime, calendar: Calendar | None) -> bool:
    if calendar is None:
        return True
    at = _aware(at)
    return business_time_between(at, at + dt.timedelta(seconds=1), calendar) > dt.timedelta(0)
