"""The SLA rules, in one place. Pure: plain values in, due dates and verdicts out (no database, no web).

A ticket's promise, in this order:
 1. the policy: the first policy of the business file (file order) whose priority is the ticket's;
 2. its targets, in working minutes on the policy's calendar: first response and resolution; a VIP customer's
    first-response target is multiplied by `vip_first_response_factor` (resolution is the same for everyone);
 3. the due dates: the targets added to the moment the ticket was received, on the calendar;
 4. the warnings (at risk): at `at_risk_fraction` of each target, on the same calendar.

Afterwards the clock pauses while a ticket waits on the customer (pending) and, on resuming, every open target moves
later by the working time spent waiting; a new priority brings its policy's targets, counted from the same moment
and as late again as the waiting moved the old ones (`retarget`); a target is missed when its moment comes after its due date; the queue
follows the earliest open target (`next_due`); the sweep records a breach once per target and a warning once.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Protocol

from ticketing.sla.calendar import BusinessCalendar

VIP_MARK = " (VIP)"


class PolicyTerms(Protocol):
    name: str
    priority: str
    first_response_minutes: int
    resolution_minutes: int
    calendar: str


@dataclass(frozen=True)
class SlaRules:
    """What the business file says about SLAs, with its calendars built."""

    policies: Sequence[PolicyTerms]
    calendars: Mapping[str, BusinessCalendar]
    vip_first_response_factor: float = 1.0
    at_risk_fraction: float = 0.8

    def policy_for(self, priority: str) -> PolicyTerms:
        """The first policy in file order that matches the priority."""
        return next(p for p in self.policies if p.priority == priority)

    def calendar_of(self, policy_name: str) -> BusinessCalendar:
        """The calendar a policy's clock runs on."""
        return self.calendars[next(p for p in self.policies if p.name == policy_name).calendar]


@dataclass(frozen=True)
class Targets:
    """A ticket's open SLA moments (UTC); None when not set."""

    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_response_warn_at: datetime | None
    resolution_warn_at: datetime | None


@dataclass(frozen=True)
class SlaPromise(Targets):
    policy: str  # the policy's name in the business file
    vip: bool  # the shorter VIP first-response target applies
    calendar: BusinessCalendar
    first_response_minutes: float
    resolution_minutes: float

    @property
    def label(self) -> str:
        """The policy as the API and the timeline name it: "normal", or "normal (VIP)"."""
        return policy_label(self.policy, self.vip)


def policy_label(policy: str | None, vip: bool) -> str | None:
    """The policy as the API names it: its name, marked when the VIP target applies."""
    return None if policy is None else policy + (VIP_MARK if vip else "")


def promise(rules: SlaRules, priority: str, vip: bool, received_at: datetime) -> SlaPromise:
    """Due dates and warnings for a ticket of this priority and plan received at `received_at`."""
    policy = rules.policy_for(priority)
    calendar = rules.calendars[policy.calendar]
    first = policy.first_response_minutes * (rules.vip_first_response_factor if vip else 1)
    resolution = policy.resolution_minutes
    warn = rules.at_risk_fraction
    return SlaPromise(
        policy=policy.name,
        vip=vip,
        calendar=calendar,
        first_response_minutes=first,
        resolution_minutes=resolution,
        first_response_due_at=calendar.add_minutes(received_at, first),
        resolution_due_at=calendar.add_minutes(received_at, resolution),
        first_response_warn_at=calendar.add_minutes(received_at, first * warn),
        resolution_warn_at=calendar.add_minutes(received_at, resolution * warn),
    )


def resume(
    targets: Targets, calendar: BusinessCalendar, paused_from: datetime, now: datetime, first_responded: bool
) -> Targets:
    """The targets after a pause from `paused_from` to `now`: each open one later by the working time spent waiting.

    A target already passed when the pause began stays where it was; the first-response ones stay once answered.
    """
    moved = {}
    for field in ("first_response_due_at", "first_response_warn_at", "resolution_due_at", "resolution_warn_at"):
        due = getattr(targets, field)
        if due is None or (field.startswith("first") and first_responded):
            continue
        remaining = calendar.minutes_between(paused_from, due)
        if remaining > 0:
            moved[field] = calendar.add_minutes(now, remaining)
    return replace(targets, **moved)


def retarget(current: Targets, before: SlaPromise, after: SlaPromise, first_responded: bool) -> Targets:
    """The targets once the priority changed: `after`'s (the new policy's promise from the moment the ticket was
    received), each as much later as waiting on the customer has moved the current one past `before` (the old
    policy's promise from the same moment). First-response targets stay once the first response is given."""
    moved = {}
    for field in ("first_response_due_at", "first_response_warn_at", "resolution_due_at", "resolution_warn_at"):
        now_at, promised, new = getattr(current, field), getattr(before, field), getattr(after, field)
        if now_at is None or (field.startswith("first") and first_responded):
            continue
        waited = before.calendar.minutes_between(promised, now_at) if now_at > promised else 0
        moved[field] = after.calendar.add_minutes(new, waited) if waited > 0 else new
    return replace(current, **moved)


def next_due(*, closed: bool, paused: bool, first_responded: bool, targets: Targets) -> datetime | None:
    """The moment the queue orders the ticket by: its earliest open target (none when resolved, closed or paused)."""
    if closed or paused:
        return None
    return targets.resolution_due_at if first_responded else targets.first_response_due_at


def missed(due: datetime | None, at: datetime) -> bool:
    """A target reached at `at` was missed: it had a due date and `at` is after it."""
    return due is not None and at > due


@dataclass(frozen=True)
class Findings:
    """What the SLA watch records for one ticket now."""

    breached: tuple[tuple[str, datetime], ...]  # (target, due date) passed and not recorded yet
    at_risk: str | None  # the target that has reached its warning, when the ticket was still "ok"


def watch(
    targets: Targets,
    *,
    first_responded: bool,
    first_response_breached: bool,
    resolution_breached: bool,
    state: str,
    now: datetime,
) -> Findings:
    """Breaches not yet recorded (each target once); else, for a ticket still "ok", the target it is at risk on.

    The warning names the first-response target while it is open and past its warning, else the resolution one.
    """
    first_pending = not first_responded and targets.first_response_due_at is not None
    breached = []
    if first_pending and targets.first_response_due_at <= now and not first_response_breached:
        breached.append(("first_response", targets.first_response_due_at))
    if targets.resolution_due_at and targets.resolution_due_at <= now and not resolution_breached:
        breached.append(("resolution", targets.resolution_due_at))
    at_risk = None
    if state == "ok" and not breached:
        if first_pending and targets.first_response_warn_at and targets.first_response_warn_at <= now:
            at_risk = "first_response"
        elif targets.resolution_warn_at and targets.resolution_warn_at <= now:
            at_risk = "resolution"
    return Findings(tuple(breached), at_risk)


def targets_of(ticket) -> Targets:
    """A ticket's (or any object's with the same attributes) targets."""
    return Targets(
        first_response_due_at=ticket.first_response_due_at,
        resolution_due_at=ticket.resolution_due_at,
        first_response_warn_at=ticket.first_response_warn_at,
        resolution_warn_at=ticket.resolution_warn_at,
    )
