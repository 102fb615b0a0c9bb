"""Business time arithmetic: pure functions, no database."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from cases.sla.calendars import CalendarError, add_business_time, business_time_between, calendar_parse, is_open

UTC = dt.UTC
WEEKDAYS_9_5 = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri")}
H = dt.timedelta(hours=1)


def cal(zone="UTC", holidays=(), weekly=None):
    return calendar_parse(time_zone=zone, weekly_hours=weekly or WEEKDAYS_9_5, holidays=list(holidays))


def local(zone, *args):
    return dt.datetime(*args, tzinfo=ZoneInfo(zone))


def test_pro_case_opened_friday_16_00_is_due_monday_16_00():
    friday = local("UTC", 2026, 11, 20, 16, 0)
    assert add_business_time(friday, 8 * H, cal()) == local("UTC", 2026, 11, 23, 16, 0)


def test_pro_case_in_the_queues_time_zone():
    zone = "America/New_York"
    friday = local(zone, 2026, 11, 20, 16, 0)
    assert add_business_time(friday, 8 * H, cal(zone)) == local(zone, 2026, 11, 23, 16, 0)


def test_opened_before_hours_counts_from_opening():
    assert add_business_time(local("UTC", 2026, 11, 18, 7, 0), 2 * H, cal()) == local("UTC", 2026, 11, 18, 11, 0)


def test_opened_on_saturday_counts_from_monday_morning():
    assert add_business_time(local("UTC", 2026, 11, 21, 12, 0), H, cal()) == local("UTC", 2026, 11, 23, 10, 0)


def test_exact_close_rolls_to_next_open_day_only_when_time_remains():
    start = local("UTC", 2026, 11, 18, 9, 0)
    assert add_business_time(start, 8 * H, cal()) == local("UTC", 2026, 11, 18, 17, 0)
    assert add_business_time(start, 8 * H + dt.timedelta(minutes=1), cal()) == local("UTC", 2026, 11, 19, 9, 1)


def test_holidays_are_skipped():
    calendar = cal(holidays=["2026-11-23"])
    friday = local("UTC", 2026, 11, 20, 16, 0)
    assert add_business_time(friday, 8 * H, calendar) == local("UTC", 2026, 11, 24, 16, 0)


def test_holiday_objects_with_names_are_accepted():
    calendar = cal(holidays=[{"date": "2026-12-25", "name": "Christmas"}])
    assert dt.date(2026, 12, 25) in calendar.holidays


def test_dst_autumn_week_new_york_counts_real_hours():
    """DST ends Sunday 1 Nov 2026 in New York: Friday 16:00 EDT + 8 business hours = Monday 16:00 EST (73 h later)."""
    zone = "America/New_York"
    friday = local(zone, 2026, 10, 30, 16, 0)
    due = add_business_time(friday, 8 * H, cal(zone))
    assert due == local(zone, 2026, 11, 2, 16, 0)
    assert due.astimezone(UTC) == dt.datetime(2026, 11, 2, 21, 0, tzinfo=UTC)
    assert due - friday == 73 * H


def test_dst_spring_week_berlin():
    """DST starts Sunday 29 Mar 2026 in Berlin: the local 9-17 day stays 8 real hours."""
    zone = "Europe/Berlin"
    friday = local(zone, 2026, 3, 27, 16, 0)
    due = add_business_time(friday, 8 * H, cal(zone))
    assert due == local(zone, 2026, 3, 30, 16, 0)
    assert due.astimezone(UTC) == dt.datetime(2026, 3, 30, 14, 0, tzinfo=UTC)
    assert business_time_between(friday, due, cal(zone)) == 8 * H


def test_around_the_clock_calendar_spanning_the_dst_night_counts_real_hours():
    zone = "Europe/Berlin"
    weekly = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    saturday = local(zone, 2026, 3, 28, 12, 0)
    due = add_business_time(saturday, 24 * H, cal(zone, weekly=weekly))
    assert due == local(zone, 2026, 3, 29, 13, 0)  # the night lost an hour


def test_no_calendar_is_24x7():
    start = dt.datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
    assert add_business_time(start, 2 * H, None) == start + 2 * H
    assert business_time_between(start, start + 3 * H, None) == 3 * H


def test_business_time_between_skips_nights_and_weekends():
    calendar = cal()
    friday = local("UTC", 2026, 11, 20, 16, 0)
    monday = local("UTC", 2026, 11, 23, 10, 30)
    assert business_time_between(friday, monday, calendar) == dt.timedelta(hours=2, minutes=30)
    assert business_time_between(monday, friday, calendar) == dt.timedelta(0)


@pytest.mark.parametrize("hours", [0.5, 1, 7, 8, 9, 40, 41, 100])
def test_add_then_measure_round_trips(hours):
    calendar = cal("Europe/London", holidays=["2026-12-25"])
    start = local("Europe/London", 2026, 12, 23, 15, 17)
    due = add_business_time(start, hours * H, calendar)
    assert business_time_between(start, due, calendar) == hours * H


def test_split_shifts():
    weekly = {"mon": [["13:00", "17:00"], ["08:00", "12:00"]]}
    calendar = cal(weekly=weekly)
    monday = local("UTC", 2026, 11, 23, 11, 0)
    assert add_business_time(monday, 2 * H, calendar) == local("UTC", 2026, 11, 23, 14, 0)
    assert is_open(local("UTC", 2026, 11, 23, 12, 30), calendar) is False
    assert is_open(local("UTC", 2026, 11, 23, 13, 30), calendar) is True


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_zone": "Mars/Olympus"}, "unknown time zone"),
        ({"weekly_hours": {"funday": [["09:00", "17:00"]]}}, "unknown weekday"),
        ({"weekly_hours": {"mon": [["17:00", "09:00"]]}}, "closes before it opens"),
        ({"weekly_hours": {"mon": [["9am", "17:00"]]}}, "not a time of day"),
        ({"weekly_hours": {"mon": [["09:00", "13:00"], ["12:00", "17:00"]]}}, "overlap"),
        ({"weekly_hours": {}}, "no opening hours"),
        ({"holidays": ["25/12/2026"]}, "not a date"),
    ],
)
def test_invalid_calendars_say_what_to_fix(kwargs, message):
    arguments = {"time_zone": "UTC", "weekly_hours": WEEKDAYS_9_5, "holidays": [], **kwargs}
    with pytest.raises(CalendarError, match=message):
        calendar_parse(**arguments)


def test_naive_datetimes_are_refused():
    with pytest.raises(CalendarError, match="naive"):
        add_business_time(dt.datetime(2026, 11, 20, 16, 0), H, cal())
