"""What the website chat widget needs from the backend: whether people are in now, and when they are back."""

from dataclasses import dataclass
from datetime import datetime

from ticketing.sla.calendar import BusinessCalendar


@dataclass(frozen=True)
class Hours:
    open: bool
    # While closed: when people are back (UTC). None while open, or for a calendar that is always open.
    opens_at: datetime | None
    timezone: str


def hours_at(calendar: BusinessCalendar, now: datetime) -> Hours:
    """Whether the customer-service calendar is open at `now`, and if not, when it next opens."""
    if calendar.always_open or calendar.is_open(now):
        return Hours(open=True, opens_at=None, timezone=calendar.timezone)
    return Hours(open=False, opens_at=calendar.next_opening(now), timezone=calendar.timezone)


def customer_service_calendar(calendars: dict[str, BusinessCalendar], team_calendars: list[str]) -> BusinessCalendar:
    """The calendar most teams work on: the hours the widget announces to customers."""
    return calendars[max(sorted(set(team_calendars)), key=team_calendars.count)]
