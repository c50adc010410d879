"""Due dates on the Cóndor Store calendar: Mon–Fri 09–18, Sat 10–14, America/Santiago, Chilean holidays."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from ticketing.business.config import load_business
from ticketing.settings import REPO_ROOT

SANTIAGO = ZoneInfo("America/Santiago")
CONFIG = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml")
CAL = CONFIG.calendar_objects["santiago"]


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SANTIAGO)


def test_a_normal_ticket_received_friday_at_five_is_due_saturday_at_one():
    # 1 h on Friday (17–18) + 3 h on Saturday (10–13).
    assert CAL.add_minutes(local(2026, 11, 27, 17, 0), 240) == local(2026, 11, 28, 13, 0)


def test_a_high_ticket_received_saturday_1330_before_a_monday_holiday_is_due_tuesday_1030():
    # Monday 2026-10-12 is Encuentro de Dos Mundos, a Chilean public holiday.
    assert CAL.add_minutes(local(2026, 10, 10, 13, 30), 120) == local(2026, 10, 13, 10, 30)


def test_a_ticket_received_at_night_starts_its_clock_at_the_next_opening():
    assert CAL.add_minutes(local(2026, 11, 24, 22, 0), 30) == local(2026, 11, 25, 9, 30)


def test_sunday_is_closed_so_a_sunday_ticket_starts_on_monday():
    assert CAL.add_minutes(local(2026, 11, 22, 11, 0), 60) == local(2026, 11, 23, 10, 0)


def test_christmas_and_new_year_are_skipped():
    # Thu 24 Dec 17:00 → 1 h that day, Fri 25 closed, Sat 26 10:00 + 1 h.
    assert CAL.add_minutes(local(2026, 12, 24, 17, 0), 120) == local(2026, 12, 26, 11, 0)
    assert CAL.add_minutes(local(2026, 12, 31, 17, 30), 60) == local(2027, 1, 2, 10, 30)


def test_a_target_longer_than_a_day_spans_several_days():
    # normal resolution: 27 working hours from Monday 09:00 = Mon 9 + Tue 9 + Wed 9 → Wed 18:00.
    assert CAL.add_minutes(local(2026, 11, 23, 9, 0), 27 * 60) == local(2026, 11, 25, 18, 0)


def test_daylight_saving_change_keeps_wall_clock_hours():
    # Chile moves clocks forward on Sunday 2026-09-06; Saturday 13:00 + 2 h lands Monday 10:00 local.
    due = CAL.add_minutes(local(2026, 9, 5, 13, 0), 120)
    assert due == local(2026, 9, 7, 10, 0)
    assert due.utcoffset() != local(2026, 9, 5, 13, 0).utcoffset()


def test_working_minutes_between_two_instants_skip_nights_and_sundays():
    assert CAL.minutes_between(local(2026, 11, 27, 17, 0), local(2026, 11, 30, 10, 0)) == 60 + 240 + 60


def test_the_always_calendar_counts_every_minute():
    always = CONFIG.calendar_objects["always"]
    assert always.add_minutes(local(2026, 11, 22, 23, 50), 30) == local(2026, 11, 23, 0, 20)


@pytest.mark.parametrize(
    ("moment", "is_open"),
    [
        (local(2026, 11, 23, 8, 59), False),
        (local(2026, 11, 23, 9, 0), True),
        (local(2026, 11, 28, 13, 59), True),
        (local(2026, 11, 28, 14, 0), False),
        (local(2026, 12, 25, 12, 0), False),
    ],
)
def test_opening_hours(moment, is_open):
    assert CAL.is_open(moment) is is_open
