"""Assignment use cases: give a ticket to the best free agent, or queue it and drain the queue later.

Capacity is enforced by a conditional UPDATE (open_assigned < capacity) in the same transaction as the
ticket change, so two assignments can never overfill an agent, on any number of backend processes.
Queued tickets are claimed with FOR UPDATE SKIP LOCKED, so two sweeps never take the same ticket.
"""

from datetime import datetime

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent
from ticketing.business.runtime import Business
from ticketing.db import UTCDateTime
from ticketing.routing.choice import AgentState, TicketNeeds, explain, rank, why_not
from ticketing.tickets.models import Ticket, TicketEvent

OPEN_STATUSES = ("new", "open", "pending")


# What assignment reads of an agent: plain columns, not ORM objects (this runs for every new ticket).
AGENT_COLUMNS = (
    Agent.id,
    Agent.email,
    Agent.name,
    Agent.teams,
    Agent.skills,
    Agent.languages,
    Agent.tier,
    Agent.capacity,
    Agent.open_assigned,
    Agent.status,
    Agent.shift,
    Agent.vip_enabled,
    Agent.last_assigned_at,
)


_SELECT_AGENTS = select(*AGENT_COLUMNS).order_by(Agent.id)
# Take :slots of an agent's free slots. Capacity is checked by the UPDATE itself, so two processes can never both
# take an agent's last slot (a ticket takes one; a batch of new tickets as many as it gives the agent).
_agents = Agent.__table__
CLAIM_SLOTS = (
    update(_agents)
    .where(_agents.c.id == bindparam("agent_id"), _agents.c.open_assigned + bindparam("slots") <= _agents.c.capacity)
    .values(
        open_assigned=_agents.c.open_assigned + bindparam("slots"),
        last_assigned_at=bindparam("now", type_=UTCDateTime()),
    )
)


def agent_state(agent, business: Business, now: datetime) -> AgentState:
    """The choice's view of an agent (an Agent, or a row of AGENT_COLUMNS)."""
    shift = business.calendars.get(agent.shift) if agent.shift else None
    return AgentState(
        id=agent.id,
        name=agent.name,
        teams=tuple(agent.teams),
        skills=tuple(agent.skills),
        languages=tuple(agent.languages),
        tier=agent.tier,
        capacity=agent.capacity,
        open_assigned=agent.open_assigned,
        status=agent.status,
        on_shift=shift.is_open(now) if shift else True,
        vip_enabled=agent.vip_enabled,
        last_assigned_at=agent.last_assigned_at,
    )


def needs_of(ticket: Ticket) -> TicketNeeds:
    return TicketNeeds(
        team=ticket.team,
        category=ticket.category,
        language=ticket.language,
        tier=ticket.tier,
        vip=ticket.customer.plan == "vip",
    )


def claim_agent(session: Session, needs: TicketNeeds, business: Business, now: datetime) -> tuple[Row | None, str]:
    """Take a slot of the best eligible agent; the agent's row (or None) and the reason, for the timeline."""
    session.flush()  # pending changes first: the statements below go straight to the connection
    db = session.connection()
    agents = [a for a in db.execute(_SELECT_AGENTS) if needs.team in a.teams]
    states = [agent_state(a, business, now) for a in agents]
    ranked = rank(states, needs)
    for position, state in enumerate(ranked):
        claimed = db.execute(CLAIM_SLOTS, {"agent_id": state.id, "slots": 1, "now": now})
        if claimed.rowcount == 1:
            return next(a for a in agents if a.id == state.id), explain(state, needs, len(ranked) - 1 - position)
        # else someone else filled the last slot a moment ago: next best
    blockers = "; ".join(f"{s.name} {why_not(s, needs)}" for s in states)
    return None, "no eligible agent: " + (blockers or "the team has no agents")


def assignment_event(agent: Row | None, reason: str, actor: str, team: str) -> dict:
    """The timeline event of an assignment (agent given) or of joining the team's queue."""
    if agent is not None:
        return {"kind": "assigned", "actor": actor, "reason": reason, "data": {"assignee": agent.email, "team": team}}
    return {"kind": "queued", "actor": actor, "reason": reason, "data": {"team": team}}


def record_assignment(ticket: Ticket, agent: Row | None, reason: str, actor: str, now: datetime) -> dict | None:
    """Give the ticket to the claimed agent, or put it in its team's queue (once); the timeline event to write."""
    if agent is not None:
        ticket.assignee_id = agent.id
        ticket.queued_at = None
    elif ticket.queued_at is None:
        ticket.queued_at = now
    else:
        return None  # already waiting in the queue: nothing new to record
    return assignment_event(agent, reason, actor, ticket.team)


def try_assign(session: Session, ticket: Ticket, business: Business, now: datetime, actor: str) -> Row | None:
    """Assign the ticket to the best eligible agent; queue it (with the reasons) when there is none."""
    agent, reason = claim_agent(session, needs_of(ticket), business, now)
    event = record_assignment(ticket, agent, reason, actor, now)
    if event:
        session.add(TicketEvent(ticket=ticket, created_at=now, **event))
    return agent


def release(session: Session, ticket: Ticket) -> None:
    """The assignee no longer holds this ticket open: free their slot."""
    if ticket.assignee_id is not None:
        session.execute(
            update(Agent)
            .where(Agent.id == ticket.assignee_id, Agent.open_assigned > 0)
            .values(open_assigned=Agent.open_assigned - 1)
            .execution_options(synchronize_session=False)
        )


def drain_queue(session: Session, business: Business, now: datetime, team: str | None = None, limit: int = 200) -> int:
    """Assign waiting tickets, most urgent first; return how many found an agent.

    Only teams with an agent online, on shift and below capacity are looked at: when everyone is busy, a long
    queue costs the sweep one query, not one per waiting ticket.
    """
    with_room = set()
    for agent in session.execute(select(*AGENT_COLUMNS)):
        state = agent_state(agent, business, now)
        if state.status == "online" and state.on_shift and state.open_assigned < state.capacity:
            with_room.update(state.teams)
    teams = with_room & {team} if team else with_room
    if not teams:
        return 0
    query = (
        select(Ticket)
        .where(Ticket.assignee_id.is_(None), Ticket.status.in_(OPEN_STATUSES))
        .order_by(Ticket.priority_rank.desc(), Ticket.next_due_at, Ticket.id)
        .limit(limit)
        .with_for_update(skip_locked=True, of=Ticket)
    )
    query = query.where(Ticket.team.in_(sorted(teams)))
    assigned = 0
    for ticket in session.scalars(query).unique().all():
        if try_assign(session, ticket, business, now, actor="system:queue") is not None:
            assigned += 1
    return assigned
