"""Business hours: hand cases across DST changes and holidays, and properties over random schedules."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from helpdesk.domain.business_hours import (
    NoBusinessTime,
    Schedule,
    add_business_minutes,
    business_minutes_between,
    is_open,
)
from helpdesk.domain.errors import InvalidRule
from tests.support import corpus

NEW_YORK = ZoneInfo("America/New_York")
WEEKDAYS_9_TO_5 = [{"start_time": day * 1440 + 9 * 60, "end_time": day * 1440 + 17 * 60} for day in range(1, 6)]
ALWAYS = [{"start_time": 0, "end_time": 7 * 1440}]


def schedule(intervals: list[dict[str, int]], zone: str = "America/New_York",
             holidays: list[dict[str, str]] | None = None) -> Schedule:
    return Schedule.from_api({"name": "Support", "time_zone": zone, "intervals": intervals,
                              "holidays": holidays or []}, id=1, now_iso="2026-01-01T00:00:00Z")


def local(zone: ZoneInfo, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=zone)


def test_friday_five_pm_plus_two_business_hours_is_monday_eleven() -> None:
    office = schedule(WEEKDAYS_9_TO_5)
    due = add_business_minutes(office, local(NEW_YORK, 2026, 11, 27, 17, 0), 120)
    assert due == local(NEW_YORK, 2026, 11, 30, 11, 0)
    assert not is_open(office, local(NEW_YORK, 2026, 11, 28, 12, 0))


def test_a_target_running_out_at_closing_time_is_due_at_closing_time() -> None:
    office = schedule(WEEKDAYS_9_TO_5)
    assert add_business_minutes(office, local(NEW_YORK, 2026, 11, 27, 15), 120) == local(NEW_YORK, 2026, 11, 27, 17)
    assert add_business_minutes(office, local(NEW_YORK, 2026, 11, 23, 7), 60) == local(NEW_YORK, 2026, 11, 23, 10)
    assert add_business_minutes(office, local(NEW_YORK, 2026, 11, 28, 3), 0) == local(NEW_YORK, 2026, 11, 28, 3)


def test_open_includes_the_opening_minute_and_excludes_the_closing_one() -> None:
    office = schedule(WEEKDAYS_9_TO_5)
    assert is_open(office, local(NEW_YORK, 2026, 11, 23, 9))
    assert is_open(office, local(NEW_YORK, 2026, 11, 23, 16, 59))
    assert not is_open(office, local(NEW_YORK, 2026, 11, 23, 17))
    assert not is_open(office, local(NEW_YORK, 2026, 11, 23, 8, 59))


def test_holidays_are_skipped_whole_days_inclusive() -> None:
    office = schedule(WEEKDAYS_9_TO_5, holidays=[
        {"name": "Thanksgiving", "start_date": "2026-11-26", "end_date": "2026-11-27"}])
    due = add_business_minutes(office, local(NEW_YORK, 2026, 11, 25, 16), 120)
    assert due == local(NEW_YORK, 2026, 11, 30, 10)  # Wednesday 16-17, then Thu/Fri off, Monday 9-10
    assert not is_open(office, local(NEW_YORK, 2026, 11, 27, 10))
    assert business_minutes_between(office, local(NEW_YORK, 2026, 11, 25, 0), local(NEW_YORK, 2026, 11, 30, 0)) == 480


def test_spring_forward_shortens_a_local_interval_to_real_time() -> None:
    early = schedule([{"start_time": 60, "end_time": 180}])  # Sunday 01:00-03:00 local
    sunday = local(NEW_YORK, 2026, 3, 8)  # clocks go from 02:00 to 03:00
    assert business_minutes_between(early, sunday, sunday + timedelta(days=1)) == 60
    assert add_business_minutes(early, sunday, 30) == local(NEW_YORK, 2026, 3, 8, 1, 30)
    assert add_business_minutes(early, sunday, 60) == datetime(2026, 3, 8, 7, 0, tzinfo=UTC)  # 03:00 EDT


def test_fall_back_lengthens_a_local_interval_to_real_time() -> None:
    early = schedule([{"start_time": 0, "end_time": 180}])  # Sunday 00:00-03:00 local
    sunday = local(NEW_YORK, 2026, 11, 1)  # 01:00-02:00 happens twice
    assert business_minutes_between(early, sunday, sunday + timedelta(days=1)) == 240
    assert add_business_minutes(early, sunday, 240) == datetime(2026, 11, 1, 8, 0, tzinfo=UTC)  # 03:00 EST


def test_around_the_clock_is_calendar_time_even_across_dst() -> None:
    always = schedule(ALWAYS, "Europe/Berlin")
    start = datetime(2026, 3, 28, 12, tzinfo=UTC)
    assert add_business_minutes(always, start, 1440) == start + timedelta(days=1)
    assert business_minutes_between(always, start, start + timedelta(days=3)) == 3 * 1440


def test_weekday_hours_move_with_the_local_clock_across_dst() -> None:
    office = schedule(WEEKDAYS_9_TO_5)
    # Friday 6 March 16:00 EST (21:00Z) + 120: one hour Friday, one hour Monday 9 March from 09:00 EDT (13:00Z)
    due = add_business_minutes(office, datetime(2026, 3, 6, 21, tzinfo=UTC), 120)
    assert due == datetime(2026, 3, 9, 14, tzinfo=UTC)


def test_the_zendesk_schedule_sample_is_accepted() -> None:
    sample = json.loads(corpus("zendesk_objects", "schedule.json").read_text())
    parsed = Schedule.from_api(sample, id=sample["id"], now_iso="2026-01-01T00:00:00Z")
    chicago = ZoneInfo("America/Chicago")
    assert is_open(parsed, local(chicago, 2026, 11, 23, 9)) and not is_open(parsed, local(chicago, 2026, 11, 22, 12))
    assert parsed.to_api()["intervals"] == sample["intervals"]
    assert Schedule.from_doc(parsed.to_api()) == parsed


@pytest.mark.parametrize("broken", [
    {"name": ""}, {"time_zone": "Mars/Olympus"}, {"intervals": []},
    {"intervals": [{"start_time": 600, "end_time": 500}]},
    {"intervals": [{"start_time": 0, "end_time": 600}, {"start_time": 500, "end_time": 700}]},
    {"intervals": [{"start_time": 0, "end_time": 20000}]},
    {"holidays": [{"name": "x", "start_date": "2026-13-01", "end_date": "2026-13-02"}]},
    {"holidays": [{"name": "x", "start_date": "2026-12-02", "end_date": "2026-12-01"}]},
])
def test_invalid_schedules_are_refused(broken: dict[str, object]) -> None:
    with pytest.raises(InvalidRule):
        Schedule.from_api({"name": "Support", "time_zone": "UTC", "intervals": WEEKDAYS_9_TO_5, **broken},
                          id=1, now_iso="")


ZONES = ["UTC", "America/New_York", "Europe/Berlin", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"]


@st.composite
def schedules(draw: st.DrawFn) -> Schedule:
    intervals = []
    for day in range(7):
        if draw(st.booleans()):
            start = draw(st.integers(0, 22 * 4)) * 15
            end = draw(st.integers(start // 15 + 1, 24 * 4)) * 15
            intervals.append({"start_time": day * 1440 + start, "end_time": day * 1440 + end})
    if not intervals:
        intervals = WEEKDAYS_9_TO_5
    holidays = []
    for _ in range(draw(st.integers(0, 3))):
        first = date(2026, 1, 1) + timedelta(days=draw(st.integers(0, 400)))
        holidays.append({"name": "off", "start_date": first.isoformat(),
                         "end_date": (first + timedelta(days=draw(st.integers(0, 4)))).isoformat()})
    return schedule(intervals, draw(st.sampled_from(ZONES)), holidays)


starts = st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2027, 1, 1)).map(
    lambda moment: moment.replace(tzinfo=UTC, microsecond=0))
minutes = st.integers(0, 5000)


@settings(max_examples=150, deadline=None)
@given(schedules(), starts, minutes)
@example(schedule([{"start_time": 5760, "end_time": 5775}], "UTC"), datetime(2026, 1, 1, tzinfo=UTC), 2356)
def test_the_business_time_until_the_due_time_is_the_target(office: Schedule, start: datetime, target: int) -> None:
    due = add_business_minutes(office, start, target)
    assert due >= start
    assert business_minutes_between(office, start, due) == target
    assert business_minutes_between(office, start, due) <= (due - start).total_seconds() / 60
    if target:
        assert is_open(office, due - timedelta(seconds=1))


@settings(max_examples=100, deadline=None)
@given(schedules(), starts, minutes, minutes)
def test_adding_in_two_steps_is_adding_once_and_more_is_later(office: Schedule, start: datetime, first: int,
                                                               second: int) -> None:
    once = add_business_minutes(office, start, first + second)
    assert add_business_minutes(office, add_business_minutes(office, start, first), second) == once
    assert add_business_minutes(office, start, first) <= once


@settings(max_examples=100, deadline=None)
@given(schedules(), starts, st.integers(1, 20000))
def test_between_is_additive_and_antisymmetric(office: Schedule, start: datetime, seconds: int) -> None:
    middle, end = start + timedelta(seconds=seconds // 2), start + timedelta(seconds=seconds)
    whole = business_minutes_between(office, start, end)
    assert whole == pytest.approx(business_minutes_between(office, start, middle)
                                  + business_minutes_between(office, middle, end))
    assert business_minutes_between(office, end, start) == -whole


def test_a_thin_schedule_counts_a_long_target_beyond_three_years() -> None:
    """15 minutes a week: 2356 minutes take 157 weeks; found by hypothesis when a fixed three-year search ran out."""
    thin = schedule([{"start_time": 4 * 1440, "end_time": 4 * 1440 + 15}], "UTC")
    start = datetime(2026, 1, 1, tzinfo=UTC)
    due = add_business_minutes(thin, start, 2356)
    assert due > start + timedelta(days=3 * 366)
    assert business_minutes_between(thin, start, due) == 2356


def test_a_schedule_that_never_opens_raises_a_typed_error() -> None:
    start = datetime(2026, 1, 1, tzinfo=UTC)
    every_day_off = schedule(WEEKDAYS_9_TO_5, "UTC", [{"name": "closed", "start_date": "2025-12-01",
                                                       "end_date": "2031-12-31"}])
    with pytest.raises(NoBusinessTime):
        add_business_minutes(every_day_off, start, 60)
    reopened = schedule(WEEKDAYS_9_TO_5, "UTC", [{"name": "closed", "start_date": "2025-12-01",
                                                  "end_date": "2028-06-30"}])
    assert add_business_minutes(reopened, start, 60) == datetime(2028, 7, 3, 10, 0, tzinfo=UTC)  # a Monday
