"""Which agent takes a ticket. Pure: plain values in, a choice and its reason out.

Evaluation order:
 1. eligible: member of the ticket's team, online, on shift, speaks the ticket's language, has the
    category among their skills (no skills listed = every category), tier at least the ticket's tier,
    and below capacity (a capacity of 0 never takes tickets);
 2. VIP tickets: VIP-enabled eligible agents first; others only when no VIP-enabled one is free;
 3. agents of exactly the ticket's tier before higher tiers (keep tier 2 for escalations);
 4. fewest open assigned tickets;
 5. tie: whoever has waited longest since their last assignment (never assigned counts as longest);
 6. tie: lowest id, so the choice is deterministic.
"""

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class AgentState:
    id: int
    name: str
    teams: tuple[str, ...]
    skills: tuple[str, ...]
    languages: tuple[str, ...]
    tier: int
    capacity: int
    open_assigned: int
    status: str
    on_shift: bool
    vip_enabled: bool
    last_assigned_at: datetime | None


@dataclass(frozen=True)
class TicketNeeds:
    team: str
    category: str
    language: str
    tier: int
    vip: bool


def why_not(agent: AgentState, needs: TicketNeeds) -> str | None:
    """The first eligibility rule the agent fails, or None when eligible."""
    if needs.team not in agent.teams:
        return "not in the team"
    if agent.status != "online":
        return f"status {agent.status}"
    if not agent.on_shift:
        return "off shift"
    if needs.language not in agent.languages:
        return f"does not speak {needs.language}"
    if agent.skills and needs.category not in agent.skills:
        return f"no {needs.category} skill"
    if agent.tier < needs.tier:
        return f"tier {agent.tier} below {needs.tier}"
    if agent.open_assigned >= agent.capacity:
        return f"at capacity ({agent.open_assigned}/{agent.capacity})"
    return None


def rank(agents: list[AgentState], needs: TicketNeeds) -> list[AgentState]:
    """Eligible agents, best first."""
    eligible = [a for a in agents if why_not(a, needs) is None]

    def key(a: AgentState) -> tuple:
        waited_since = a.last_assigned_at.timestamp() if a.last_assigned_at else float("-inf")
        return (needs.vip and not a.vip_enabled, a.tier != needs.tier, a.open_assigned, waited_since, a.id)

    return sorted(eligible, key=key)


def explain(agent: AgentState, needs: TicketNeeds, others: int) -> str:
    parts = [
        f"{agent.name}: online, on shift, speaks {needs.language}, tier {agent.tier}",
        f"{agent.open_assigned}/{agent.capacity} open tickets (least loaded of {others + 1} eligible)",
    ]
    if needs.vip and agent.vip_enabled:
        parts.append("VIP-enabled for a VIP customer")
    return "; ".join(parts)
