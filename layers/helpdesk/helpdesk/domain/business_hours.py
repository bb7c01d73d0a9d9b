"""Business hours: a schedule of weekly intervals in a time zone, with holidays (Zendesk's schedule shape).

``intervals`` are ``{start_time, end_time}`` in minutes from Sunday 00:00 local time (0..10080); an interval
that crosses midnight is split per day. ``holidays`` are ``{name, start_date, end_date}`` local dates, both
inclusive; a holiday closes the whole day. Local wall-clock intervals become real instants through the time
zone, so across a DST change an interval 01:00-03:00 is one real hour (spring forward) or three (fall back).

Everything here is pure: ``is_open``, ``add_business_minutes`` (the due time of a target) and
``business_minutes_between`` take a schedule and aware datetimes and return the same answer every time.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from helpdesk.domain.errors import InvalidRule

WEEK_MINUTES = 7 * 24 * 60
DAY_MINUTES = 24 * 60
SEARCH_DAYS = 3 * 366  # an open period must come within three years, or the schedule is considered closed
HORIZON_DAYS = 100 * 366  # and no due time is looked for beyond a century, however thin the schedule
# Zendesk names schedules' zones the Rails way; the common ones map to IANA names, IANA names are taken as is.
RAILS_ZONES = {
    "Pacific Time (US & Canada)": "America/Los_Angeles", "Mountain Time (US & Canada)": "America/Denver",
    "Central Time (US & Canada)": "America/Chicago", "Eastern Time (US & Canada)": "America/New_York",
    "London": "Europe/London", "Dublin": "Europe/Dublin", "Lisbon": "Europe/Lisbon", "Paris": "Europe/Paris",
    "Berlin": "Europe/Berlin", "Amsterdam": "Europe/Amsterdam", "Madrid": "Europe/Madrid",
    "Rome": "Europe/Rome", "Stockholm": "Europe/Stockholm", "Warsaw": "Europe/Warsaw",
    "Tokyo": "Asia/Tokyo", "Singapore": "Asia/Singapore", "Sydney": "Australia/Sydney",
    "Brasilia": "America/Sao_Paulo", "UTC": "UTC",
}


@dataclass(frozen=True)
class Interval:
    start_time: int
    end_time: int


@dataclass(frozen=True)
class Holiday:
    name: str
    start_date: date
    end_date: date

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date


@dataclass(frozen=True)
class Schedule:
    id: int
    name: str
    time_zone: str
    intervals: tuple[Interval, ...]
    holidays: tuple[Holiday, ...] = ()
    created_at: str = ""
    updated_at: str = ""
    _days: tuple[tuple[tuple[int, int], ...], ...] = field(default=(), init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_days", _per_weekday(self.intervals))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(RAILS_ZONES.get(self.time_zone, self.time_zone))

    @classmethod
    def from_api(cls, data: Mapping[str, Any], *, id: int, now_iso: str) -> Schedule:
        """A schedule from an API body (with or without the ``schedule`` envelope); raises InvalidRule."""
        if not isinstance(data, Mapping):
            raise InvalidRule("a schedule is an object")
        if isinstance(data.get("schedule"), Mapping):
            data = data["schedule"]
        name = data.get("name")
        if not isinstance(name, str) or not name.strip():
            raise InvalidRule("name is required")
        zone = data.get("time_zone", "UTC")
        if not isinstance(zone, str):
            raise InvalidRule("time_zone must be an IANA time zone name such as Europe/Berlin")
        try:
            ZoneInfo(RAILS_ZONES.get(zone, zone))
        except (ZoneInfoNotFoundError, ValueError, OSError) as error:  # OSError: a name too long for a file
            raise InvalidRule(f"time_zone {zone!r} is not a known time zone (use an IANA name)") from error
        created = data.get("created_at")
        return cls(id=id, name=name.strip(), time_zone=zone, intervals=_intervals(data.get("intervals")),
                   holidays=_holidays(data.get("holidays")),
                   created_at=created if isinstance(created, str) and created else now_iso, updated_at=now_iso)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Schedule:
        """A stored schedule (``to_api``'s shape), timestamps kept."""
        return cls.from_api(doc, id=int(doc["id"]), now_iso=str(doc.get("updated_at") or ""))

    def to_api(self) -> dict[str, Any]:
        return {
            "id": self.id, "name": self.name, "time_zone": self.time_zone,
            "intervals": [{"start_time": i.start_time, "end_time": i.end_time} for i in self.intervals],
            "holidays": [{"name": h.name, "start_date": h.start_date.isoformat(), "end_date": h.end_date.isoformat()}
                         for h in self.holidays],
            "created_at": self.created_at, "updated_at": self.updated_at,
        }


def _minute(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= WEEK_MINUTES:
        raise InvalidRule(f"{where} must be a whole number of minutes from Sunday 00:00 (0 to {WEEK_MINUTES})")
    return value


def _intervals(raw: Any) -> tuple[Interval, ...]:
    if not isinstance(raw, list) or not raw:
        raise InvalidRule("intervals must be a non-empty list of {start_time, end_time}")
    found = []
    for index, item in enumerate(raw):
        where = f"intervals[{index}]"
        if not isinstance(item, Mapping):
            raise InvalidRule(f"{where} must be an object with start_time and end_time")
        start, end = _minute(item.get("start_time"), f"{where}.start_time"), _minute(item.get("end_time"),
                                                                                      f"{where}.end_time")
        if end <= start:
            raise InvalidRule(f"{where}: end_time must be after start_time")
        found.append(Interval(start, end))
    found.sort(key=lambda i: i.start_time)
    for before, after in pairwise(found):
        if after.start_time < before.end_time:
            raise InvalidRule("intervals must not overlap")
    return tuple(found)


def _holidays(raw: Any) -> tuple[Holiday, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise InvalidRule("holidays must be a list of {name, start_date, end_date}")
    found = []
    for index, item in enumerate(raw):
        where = f"holidays[{index}]"
        if not isinstance(item, Mapping) or not isinstance(item.get("name"), str) or not item["name"].strip():
            raise InvalidRule(f"{where} must be an object with a name, a start_date and an end_date")
        try:
            start = date.fromisoformat(str(item.get("start_date")))
            end = date.fromisoformat(str(item.get("end_date") or item.get("start_date")))
        except ValueError as error:
            raise InvalidRule(f"{where}: dates must be YYYY-MM-DD") from error
        if end < start:
            raise InvalidRule(f"{where}: end_date must not be before start_date")
        found.append(Holiday(item["name"].strip(), start, end))
    return tuple(found)


def _per_weekday(intervals: tuple[Interval, ...]) -> tuple[tuple[tuple[int, int], ...], ...]:
    """For each weekday (0 = Sunday) the open (start, end) minutes of that local day."""
    days: list[list[tuple[int, int]]] = [[] for _ in range(7)]
    for interval in intervals:
        start = interval.start_time
        while start < interval.end_time:
            day, offset = divmod(start, DAY_MINUTES)
            end = min(interval.end_time, (day + 1) * DAY_MINUTES)
            days[day % 7].append((offset, end - day * DAY_MINUTES))
            start = end
    return tuple(tuple(sorted(day)) for day in days)


def _instant(day: date, minute: int, zone: ZoneInfo) -> datetime:
    local = datetime.combine(day, time(0)) + timedelta(minutes=minute)
    return local.replace(tzinfo=zone).astimezone(UTC)


def _periods(schedule: Schedule, since: datetime) -> Iterator[tuple[datetime, datetime]]:
    """Open periods as UTC (start, end), in order, from the local day before ``since`` on; they end after
    SEARCH_DAYS days in a row without one (a closed schedule) or at HORIZON_DAYS."""
    zone = schedule.zone
    day = since.astimezone(zone).date() - timedelta(days=1)
    closed_days = 0
    for _ in range(HORIZON_DAYS):
        if closed_days >= SEARCH_DAYS:
            return
        closed_days += 1
        if not any(holiday.covers(day) for holiday in schedule.holidays):
            weekday = (day.weekday() + 1) % 7  # Python's Monday 0 -> Zendesk's Sunday 0
            for start, end in schedule._days[weekday]:
                opens, closes = _instant(day, start, zone), _instant(day, end, zone)
                if closes > opens:
                    closed_days = 0
                    yield opens, closes
        day += timedelta(days=1)


class NoBusinessTime(ValueError):
    """A schedule without enough open time ahead to count a target in."""


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business hours need aware datetimes")
    return moment.astimezone(UTC)


def is_open(schedule: Schedule, at: datetime) -> bool:
    """Whether ``at`` falls within business hours (start included, end excluded)."""
    at = _aware(at)
    for opens, closes in _periods(schedule, at):
        if opens > at:
            return False
        if at < closes:
            return True
    return False


def add_business_minutes(schedule: Schedule, start: datetime, minutes: float) -> datetime:
    """The instant ``minutes`` business minutes after ``start`` (``start`` itself for 0 minutes).

    Time outside the intervals and on holidays does not count. A target that runs out exactly at closing time
    is due at closing time, not at the next opening. Raises NoBusinessTime when the schedule runs out: three
    years in a row without an open period (every day a holiday), or a target beyond a century of its hours.
    """
    start = _aware(start)
    if minutes < 0:
        raise ValueError("minutes must not be negative")
    remaining = timedelta(minutes=minutes)
    if not remaining:
        return start
    for opens, closes in _periods(schedule, start):
        if closes <= start:
            continue
        begin = max(opens, start)
        if remaining <= closes - begin:
            return begin + remaining
        remaining -= closes - begin
    raise NoBusinessTime(f"schedule {schedule.name!r} cannot count {minutes} business minutes from {start}")


def business_time_between(schedule: Schedule, start: datetime, end: datetime) -> timedelta:
    """The business time from ``start`` to ``end``; negative when ``end`` comes first."""
    start, end = _aware(start), _aware(end)
    if end < start:
        return -business_time_between(schedule, end, start)
    total = timedelta(0)
    for opens, closes in _periods(schedule, start):
        if opens >= end:
            break
        begin, finish = max(opens, start), min(closes, end)
        if finish > begin:
            total += finish - begin
    return total


def business_minutes_between(schedule: Schedule, start: datetime, end: datetime) -> float:
    """Business minutes from ``start`` to ``end`` (fractional; negative when ``end`` comes first)."""
    return business_time_between(schedule, start, end).total_seconds() / 60
