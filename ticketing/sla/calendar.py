"""Business-calendar arithmetic: add working minutes to an instant, count working minutes between two.

Pure: no database, no web. A calendar is a timezone, up to several opening intervals per weekday and a
set of closed dates. Intervals are local wall-clock times, so daylight-saving changes are honoured.
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Far enough to cross any run of closed days a real calendar has; guards against an always-closed one.
MAX_DAYS_SCANNED = 3 * 366


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str
    # weekday index (0 = Monday) -> [(opens, closes)], local times, closes > opens.
    hours: dict[int, list[tuple[time, time]]]
    is_holiday: Callable[[date], bool] = field(default=lambda _d: False, compare=False)
    always_open: bool = False
    # A day's open intervals in UTC, worked out once (every ticket asks for the same few days).
    _days: dict[date, tuple[tuple[datetime, datetime], ...]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def _day(self, day: date) -> tuple[tuple[datetime, datetime], ...]:
        intervals = self._days.get(day)
        if intervals is None:
            tz = self.tz
            intervals = tuple(
                (
                    datetime.combine(day, opens, tzinfo=tz).astimezone(UTC),
                    datetime.combine(day, closes, tzinfo=tz).astimezone(UTC),
                )
                for opens, closes in ([] if self.is_holiday(day) else self.hours.get(day.weekday(), []))
            )
            if len(self._days) >= 4096:
                self._days.clear()
            self._days[day] = intervals
        return intervals

    def _open_intervals(self, start: datetime) -> Iterator[tuple[datetime, datetime]]:
        """Yield the open intervals (UTC) that end after `start`, in order."""
        local_day = start.astimezone(self.tz).date()
        for offset in range(MAX_DAYS_SCANNED):
            for begin, end in self._day(local_day + timedelta(days=offset)):
                if end > start:
                    yield max(begin, start), end
        raise ValueError(f"calendar {self.timezone} has no opening hours within {MAX_DAYS_SCANNED} days")

    def add_minutes(self, start: datetime, minutes: float) -> datetime:
        """Return the instant `minutes` working minutes after `start` (aware datetimes)."""
        start = start.astimezone(UTC)
        if self.always_open:
            return start + timedelta(minutes=minutes)
        remaining = timedelta(minutes=minutes)
        for begin, end in self._open_intervals(start):
            if begin + remaining <= end:
                return begin + remaining
            remaining -= end - begin
        raise AssertionError("unreachable")

    def minutes_between(self, start: datetime, end: datetime) -> float:
        """Working minutes from `start` to `end` (0 when end is not after start)."""
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds() / 60
        total = timedelta()
        for begin, close in self._open_intervals(start):
            if begin >= end:
                break
            total += min(close, end) - begin
        return total.total_seconds() / 60

    def next_opening(self, at: datetime) -> datetime:
        """The first open instant at or after `at` (UTC): `at` itself while open."""
        if self.always_open:
            return at.astimezone(UTC)
        begin, _end = next(self._open_intervals(at.astimezone(UTC)))
        return begin

    def is_open(self, at: datetime) -> bool:
        if self.always_open:
            return True
        local = at.astimezone(self.tz)
        if self.is_holiday(local.date()):
            return False
        return any(o <= local.time() < c for o, c in self.hours.get(local.weekday(), []))


ALWAYS_OPEN = BusinessCalendar(timezone="UTC", hours={}, always_open=True)
