"""The SLA watch: find tickets at risk (80% of a target) or past it, record it, and escalate (rules: `policy.py`).

Runs in every backend process every few seconds; rows are claimed with FOR UPDATE SKIP LOCKED, so several
processes never record the same warning twice.
"""

from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.routing import service as routing
from ticketing.sla import policy
from ticketing.tickets.models import Ticket, TicketEvent

ACTIVE = ("new", "open")  # pending tickets wait on the customer: their clock is paused


def _event(session: Session, ticket: Ticket, kind: str, reason: str, now: datetime, data: dict) -> None:
    session.add(TicketEvent(ticket=ticket, kind=kind, actor="system:sla", reason=reason, data=data, created_at=now))


def escalate(session: Session, ticket: Ticket, business: Business, now: datetime) -> None:
    """At risk: a tier-1 ticket of a team with a higher tier moves up, and is reassigned if its agent can't follow."""
    team = business.config.teams[ticket.team]
    if ticket.tier < team.max_tier:
        old = ticket.tier
        ticket.tier += 1
        _event(
            session,
            ticket,
            "tier_changed",
            f"escalated to tier {ticket.tier} because its SLA is at risk",
            now,
            {"from": old, "to": ticket.tier},
        )
        assignee = ticket.assignee_id and session.get(Agent, ticket.assignee_id)
        if assignee and assignee.tier < ticket.tier:
            routing.release(session, ticket)
            ticket.assignee_id = None
            ticket.queued_at = None
            routing.try_assign(session, ticket, business, now, actor="system:sla")


def sweep(session: Session, business: Business, now: datetime, limit: int = 500) -> dict[str, int]:
    """Record new warnings and breaches; return how many of each."""
    first_open = and_(Ticket.first_responded_at.is_(None), Ticket.first_response_due_at.is_not(None))
    candidates = (
        session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(ACTIVE),
                Ticket.paused_at.is_(None),
                or_(
                    and_(first_open, Ticket.first_response_warn_at <= now, Ticket.sla_state == "ok"),
                    and_(first_open, Ticket.first_response_due_at <= now, Ticket.first_response_breached.is_(False)),
                    and_(Ticket.resolution_warn_at <= now, Ticket.sla_state == "ok"),
                    and_(Ticket.resolution_due_at <= now, Ticket.resolution_breached.is_(False)),
                ),
            )
            .order_by(Ticket.next_due_at)
            .limit(limit)
            .with_for_update(skip_locked=True, of=Ticket)
        )
        .unique()
        .all()
    )
    counts = {"at_risk": 0, "breached": 0}
    for ticket in candidates:
        found = policy.watch(
            policy.targets_of(ticket),
            first_responded=ticket.first_responded_at is not None,
            first_response_breached=ticket.first_response_breached,
            resolution_breached=ticket.resolution_breached,
            state=ticket.sla_state,
            now=now,
        )
        for target, due in found.breached:
            setattr(ticket, f"{target}_breached", True)
            ticket.sla_state = "breached"
            counts["breached"] += 1
            _event(
                session,
                ticket,
                "sla_breached",
                f"{target.replace('_', ' ')} target passed at {due:%Y-%m-%d %H:%M} UTC",
                now,
                {"target": target},
            )
        if found.at_risk:
            target = found.at_risk
            ticket.sla_state = "at_risk"
            counts["at_risk"] += 1
            _event(
                session,
                ticket,
                "sla_at_risk",
                f"{target.replace('_', ' ')} at {business.sla.at_risk_fraction:.0%} of its target: "
                "shown first in the queue; reassign if the assignee cannot answer in time",
                now,
                {"target": target},
            )
            escalate(session, ticket, business, now)
    session.commit()
    return counts
