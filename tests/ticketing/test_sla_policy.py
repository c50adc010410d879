"""The SLA rules (ticketing/sla/policy.py) on plain values: policy choice, VIP, due dates, pauses, warnings, breaches."""

from datetime import UTC, datetime, time, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from ticketing.sla.calendar import ALWAYS_OPEN, BusinessCalendar
from ticketing.sla.policy import (
    SlaRules,
    Targets,
    missed,
    next_due,
    policy_label,
    promise,
    resume,
    retarget,
    targets_of,
    watch,
)

SANTIAGO = ZoneInfo("America/Santiago")
OFFICE = BusinessCalendar("America/Santiago", {d: [(time(9), time(18))] for d in range(5)})


def policy(name, priority, first, resolution, calendar="office"):
    return SimpleNamespace(
        name=name, priority=priority, first_response_minutes=first, resolution_minutes=resolution, calendar=calendar
    )


RULES = SlaRules(
    policies=(
        policy("urgent", "urgent", 30, 240, calendar="always"),
        policy("normal", "normal", 240, 1620),
        policy("normal-late", "normal", 999, 9999),  # never chosen: an earlier policy matches
        policy("low", "low", 540, 2700),
    ),
    calendars={"office": OFFICE, "always": ALWAYS_OPEN},
    vip_first_response_factor=0.5,
    at_risk_fraction=0.8,
)


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SANTIAGO)


def test_the_first_policy_in_file_order_with_the_tickets_priority_is_chosen():
    assert promise(RULES, "normal", False, local(2026, 11, 23, 9)).policy == "normal"


def test_a_normal_ticket_received_monday_at_nine_is_answered_by_one_and_resolved_by_wednesday_evening():
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    assert due.first_response_due_at == local(2026, 11, 23, 13)
    assert due.resolution_due_at == local(2026, 11, 25, 18)  # 27 working hours: three days of nine


def test_a_vip_ticket_gets_half_the_first_response_target_and_the_same_resolution_target():
    plain = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    vip = promise(RULES, "normal", True, local(2026, 11, 23, 9))
    assert vip.first_response_due_at == local(2026, 11, 23, 11)
    assert vip.resolution_due_at == plain.resolution_due_at


def test_vip_is_a_flag_of_the_promise_and_only_the_label_marks_it():
    vip = promise(RULES, "normal", True, local(2026, 11, 23, 9))
    assert (vip.policy, vip.vip, vip.label) == ("normal", True, "normal (VIP)")
    assert promise(RULES, "normal", False, local(2026, 11, 23, 9)).label == "normal"
    assert policy_label(None, True) is None


def test_a_vip_ticket_on_friday_evening_is_due_monday_morning():
    vip = promise(RULES, "normal", True, local(2026, 11, 27, 17))
    assert vip.first_response_due_at == local(2026, 11, 30, 10)


def test_an_urgent_ticket_runs_on_the_always_open_clock_even_at_night():
    due = promise(RULES, "urgent", False, local(2026, 11, 28, 23))  # Saturday night
    assert due.first_response_due_at == local(2026, 11, 28, 23, 30)
    assert due.resolution_due_at == local(2026, 11, 29, 3)


def test_warnings_come_at_the_at_risk_fraction_of_each_target_on_the_same_calendar():
    due = promise(RULES, "low", False, local(2026, 11, 27, 15))  # 540 min first response, 432 to the warning
    assert due.first_response_warn_at == local(2026, 11, 30, 13, 12)  # 3 h Friday, 4 h 12 min Monday
    assert due.first_response_due_at == local(2026, 11, 30, 15)


def test_a_pause_moves_every_open_target_later_by_the_working_time_spent_waiting():
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    after = resume(due, OFFICE, local(2026, 11, 23, 10), local(2026, 11, 24, 10), first_responded=False)
    # paused from Monday 10:00 to Tuesday 10:00: every target keeps its remaining working time, from Tuesday 10:00
    assert after.first_response_due_at == local(2026, 11, 24, 13)
    assert after.first_response_warn_at == due.first_response_warn_at + timedelta(days=1)
    assert after.resolution_due_at == local(2026, 11, 26, 18)


def test_once_answered_the_first_response_targets_do_not_move_on_a_pause():
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    after = resume(due, OFFICE, local(2026, 11, 23, 10), local(2026, 11, 24, 10), first_responded=True)
    assert after.first_response_due_at == due.first_response_due_at
    assert after.resolution_due_at == local(2026, 11, 26, 18)


def test_a_target_already_passed_when_the_pause_began_stays_where_it_was():
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    after = resume(due, OFFICE, local(2026, 11, 23, 15), local(2026, 11, 24, 10), first_responded=False)
    assert after.first_response_due_at == due.first_response_due_at  # 13:00, passed at 15:00
    assert after.resolution_due_at > due.resolution_due_at


def test_a_pause_over_a_night_costs_no_working_time():
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    after = resume(due, OFFICE, local(2026, 11, 23, 18), local(2026, 11, 24, 9), first_responded=False)
    assert targets_of(after) == Targets(
        due.first_response_due_at, due.resolution_due_at, due.first_response_warn_at, due.resolution_warn_at
    )


@pytest.mark.parametrize(
    ("closed", "paused", "answered", "expected"),
    [
        (False, False, False, "first"),
        (False, False, True, "resolution"),
        (False, True, False, None),
        (True, False, False, None),
        (True, True, True, None),
    ],
)
def test_the_queue_follows_the_first_response_target_until_answered_then_resolution_and_nothing_when_stopped(
    closed, paused, answered, expected
):
    due = promise(RULES, "normal", False, local(2026, 11, 23, 9))
    moment = {"first": due.first_response_due_at, "resolution": due.resolution_due_at, None: None}[expected]
    assert next_due(closed=closed, paused=paused, first_responded=answered, targets=due) == moment


def test_a_target_is_missed_only_when_reached_after_its_due_date():
    due = local(2026, 11, 23, 13)
    assert missed(due, due + timedelta(seconds=1))
    assert not missed(due, due)
    assert not missed(None, due)


def findings(due, now, **state):
    args = {"first_responded": False, "first_response_breached": False, "resolution_breached": False, "state": "ok"}
    return watch(due, now=now, **(args | state))


DUE = promise(RULES, "normal", False, local(2026, 11, 23, 9))


def test_before_any_warning_the_watch_finds_nothing():
    found = findings(DUE, local(2026, 11, 23, 11))
    assert (found.breached, found.at_risk) == ((), None)


def test_past_the_first_response_warning_the_ticket_is_at_risk_on_first_response():
    found = findings(DUE, DUE.first_response_warn_at)
    assert (found.breached, found.at_risk) == ((), "first_response")


def test_a_ticket_already_at_risk_is_not_warned_twice():
    assert findings(DUE, DUE.first_response_warn_at, state="at_risk").at_risk is None


def test_past_the_first_response_due_date_it_is_breached_once():
    found = findings(DUE, DUE.first_response_due_at, state="at_risk")
    assert found.breached == (("first_response", DUE.first_response_due_at),)
    again = findings(DUE, DUE.first_response_due_at, state="breached", first_response_breached=True)
    assert again.breached == ()


def test_an_answered_ticket_is_watched_on_its_resolution_target():
    assert findings(DUE, DUE.first_response_due_at, first_responded=True).at_risk is None
    found = findings(DUE, DUE.resolution_warn_at, first_responded=True)
    assert (found.breached, found.at_risk) == ((), "resolution")


def test_both_targets_past_are_both_breached_and_no_warning_is_recorded():
    found = findings(DUE, DUE.resolution_due_at)
    assert [target for target, _ in found.breached] == ["first_response", "resolution"]
    assert found.at_risk is None


def test_every_moment_is_utc_aware():
    due = promise(RULES, "normal", True, local(2026, 11, 23, 9))
    assert all(getattr(due, f).tzinfo == UTC for f in ("first_response_due_at", "resolution_warn_at"))


def test_a_new_priority_brings_its_policys_targets_counted_from_when_the_ticket_was_received():
    received = local(2026, 11, 23, 9)
    normal, urgent = promise(RULES, "normal", False, received), promise(RULES, "urgent", False, received)
    now = retarget(targets_of(normal), normal, urgent, first_responded=False)
    assert now.first_response_due_at == received + timedelta(minutes=30)  # urgent runs on the always-open clock
    assert now.resolution_due_at == received + timedelta(hours=4)


def test_a_new_priority_keeps_the_time_the_ticket_waited_on_the_customer():
    received = local(2026, 11, 23, 9)
    normal, low = promise(RULES, "normal", False, received), promise(RULES, "low", False, received)
    # Pending from 10:00 to 12:00 on Monday: the normal targets moved two working hours later.
    waited = resume(targets_of(normal), OFFICE, local(2026, 11, 23, 10), local(2026, 11, 23, 12), first_responded=False)
    assert waited.first_response_due_at == local(2026, 11, 23, 15)
    now = retarget(waited, normal, low, first_responded=False)
    assert now.first_response_due_at == OFFICE.add_minutes(low.first_response_due_at, 120)  # low's 9 h, plus 2 h


def test_once_answered_a_new_priority_changes_only_the_resolution_target():
    received = local(2026, 11, 23, 9)
    normal, urgent = promise(RULES, "normal", False, received), promise(RULES, "urgent", False, received)
    now = retarget(targets_of(normal), normal, urgent, first_responded=True)
    assert now.first_response_due_at == normal.first_response_due_at
    assert now.resolution_due_at == urgent.resolution_due_at
