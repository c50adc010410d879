"""Assignment use cases: give a ticket to the best free agent, or queue it and drain the queue later.

Capacity is enforced by a conditional UPDATE (open_assigned < capacity) in the same transaction as the
ticket change, so two assignments can never overfill an agent, on any number of backend processes.
Queued tickets are claimed with FOR UPDATE SKIP LOCKED, so two sweeps never take the same ticket.
"""

import json
from collections import Counter
from dataclasses import replace
from datetime import datetime
from functools import lru_cache
from types import SimpleNamespace

from sqlalchemy import Text, bindparam, cast, select, update
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


# An agent's teams, skills and languages (JSON lists) are read as text and parsed once per distinct text: decoding
# them for every agent of every batch was a tenth of the intake writer's work.
_AGENT_LISTS = ("teams", "skills", "languages")
_SELECT_AGENTS = select(*(cast(c, Text).label(c.key) if c.key in _AGENT_LISTS else c for c in AGENT_COLUMNS)).order_by(
    Agent.id
)
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


class Contention(Exception):
    """Another process took an agent's slot a batch counted on: the batch goes again ticket by ticket."""


@lru_cache(maxsize=4096)
def _json_tuple(text: str | None) -> tuple:
    return tuple(json.loads(text)) if text else ()


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


class AgentPool:
    """Choose and claim agents: the one way a ticket gets an agent (a new ticket, a batch, the queue, a reassignment).

    The agents are read once; every choice (`routing/choice.py` ranks them) counts against the next one, so a run
    of assignments never gives an agent more than their free slots. Two ways to claim the chosen slots:
    `take` claims each one at once (one ticket, the queue drain); `choose` only counts it, and `claim` then takes
    each agent's slots in one UPDATE (a batch of new tickets: the measured gain of group commit).
    """

    def __init__(self, db, business: Business):
        self.business = business
        self.rows = {}
        for row in db.execute(_SELECT_AGENTS):
            agent = SimpleNamespace(**row._asdict())
            for key in _AGENT_LISTS:
                setattr(agent, key, _json_tuple(getattr(agent, key)))
            self.rows[agent.id] = agent
        self.states: dict[int, AgentState] | None = None
        self.taken: Counter = Counter()  # agent id -> slots chosen but not claimed yet
        self.now: datetime | None = None

    def _states(self, now: datetime) -> dict[int, AgentState]:
        if self.states is None:
            self.states = {i: agent_state(a, self.business, now) for i, a in self.rows.items()}
        return self.states

    def teams_with_room(self, now: datetime) -> set[str]:
        """Teams with an agent online, on shift and below capacity."""
        room = set()
        for state in self._states(now).values():
            if state.status == "online" and state.on_shift and state.open_assigned < state.capacity:
                room.update(state.teams)
        return room

    def choose(self, needs: TicketNeeds, now: datetime) -> tuple[SimpleNamespace | None, str]:
        """The best eligible agent's row (or None) and the reason, for the timeline; the slot is counted, not claimed."""
        states = self._states(now)
        team = [s for s in states.values() if needs.team in s.teams]
        ranked = rank(team, needs)
        if not ranked:
            return None, no_agent_reason(team, needs)
        best = ranked[0]
        states[best.id] = replace(best, open_assigned=best.open_assigned + 1, last_assigned_at=now)
        self.taken[best.id] += 1
        self.now = max(self.now, now) if self.now else now
        return self.rows[best.id], explain(best, needs, len(ranked) - 1)

    def claim(self, db) -> None:
        """Take every counted slot. Capacity is checked by each UPDATE itself, so two processes can never both take
        an agent's last slot; when another process got there first, raise Contention (the caller starts again)."""
        taken, self.taken = self.taken, Counter()
        for agent_id, slots in sorted(taken.items()):  # always in the same order: no deadlock between batches
            if db.execute(CLAIM_SLOTS, {"agent_id": agent_id, "slots": slots, "now": self.now}).rowcount != 1:
                raise Contention(f"agent {agent_id} has no {slots} free slot(s) any more")

    def take(self, db, needs: TicketNeeds, now: datetime) -> tuple[SimpleNamespace | None, str]:
        """Choose and claim at once; when another process filled the chosen agent a moment ago, the next best."""
        while True:
            agent, reason = self.choose(needs, now)
            if agent is None:
                return None, reason
            try:
                self.claim(db)
                return agent, reason
            except Contention:  # full after all: count them full, and choose again
                state = self.states[agent.id]
                self.states[agent.id] = replace(state, open_assigned=state.capacity)


def no_agent_reason(team: list[AgentState], needs: TicketNeeds) -> str:
    """Why a ticket waits in the queue: each team member's first failed rule."""
    blockers = "; ".join(f"{s.name} {why_not(s, needs)}" for s in team)
    return "no eligible agent: " + (blockers or "the team has no agents")


def claim_agent(session: Session, needs: TicketNeeds, business: Business, now: datetime, pool: AgentPool | None = None):
    """Take a slot of the best eligible agent; the agent's row (or None) and the reason, for the timeline."""
    session.flush()  # pending changes first: the statements below go straight to the connection
    db = session.connection()
    return (pool or AgentPool(db, business)).take(db, needs, now)


def assignment_event(agent, reason: str, actor: str, team: str) -> dict:
    """The timeline event of an assignment (agent given) or of joining the team's queue."""
    if agent is not None:
        return {"kind": "assigned", "actor": actor, "reason": reason, "data": {"assignee": agent.email, "team": team}}
    return {"kind": "queued", "actor": actor, "reason": reason, "data": {"team": team}}


def record_assignment(ticket: Ticket, agent, reason: str, actor: str, now: datetime) -> dict | None:
    """Give the ticket to the claimed agent, or put it in its team's queue (once); the timeline event to write."""
    if agent is not None:
        ticket.assignee_id = agent.id
        ticket.queued_at = None
    elif ticket.queued_at is None:
        ticket.queued_at = now
    else:
        return None  # already waiting in the queue: nothing new to record
    return assignment_event(agent, reason, actor, ticket.team)


def try_assign(
    session: Session, ticket: Ticket, business: Business, now: datetime, actor: str, pool: AgentPool | None = None
):
    """Assign the ticket to the best eligible agent; queue it (with the reasons) when there is none."""
    agent, reason = claim_agent(session, needs_of(ticket), business, now, pool)
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
    session.flush()
    pool = AgentPool(session.connection(), business)  # read once for the whole drain
    with_room = pool.teams_with_room(now)
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
        if try_assign(session, ticket, business, now, actor="system:queue", pool=pool) is not None:
            assigned += 1
    return assigned
