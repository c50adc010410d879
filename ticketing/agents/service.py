"""Teams and agents: load them from the business file; agents log in and change their status."""

from datetime import UTC, datetime
from functools import cache

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent, Team
from ticketing.auth import hash_password, verify_password
from ticketing.business.config import BusinessConfig
from ticketing.errors import NotFound, Unauthorized
from ticketing.limits import LoginThrottle
from ticketing.routing.service import drain_queue


def sync_from_config(session: Session, config: BusinessConfig, update_passwords: bool = True) -> tuple[int, int]:
    """Create or update the configured teams and agents; keep each agent's load and history."""
    teams = {t.key: t for t in session.scalars(select(Team))}
    for key, team_config in config.teams.items():
        team = teams.get(key) or Team(key=key)
        team.name, team.calendar = team_config.name, team_config.calendar
        session.add(team)
    agents = {a.email.lower(): a for a in session.scalars(select(Agent))}
    for agent_config in config.agents:
        agent = agents.get(agent_config.email.lower())
        if agent is None:
            agent = Agent(email=agent_config.email, password_hash=hash_password(agent_config.password))
            session.add(agent)
        elif update_passwords and not verify_password(agent.password_hash, agent_config.password):
            agent.password_hash = hash_password(agent_config.password)
        agent.name = agent_config.name
        agent.teams = list(agent_config.teams)
        agent.skills = list(agent_config.skills)
        agent.languages = list(agent_config.languages)
        agent.tier = agent_config.tier
        agent.capacity = agent_config.capacity
        agent.status = agent_config.status
        agent.shift = agent_config.shift
        agent.vip_enabled = agent_config.vip_enabled
        agent.is_supervisor = agent_config.supervisor
    session.commit()
    return len(config.teams), len(config.agents)


@cache
def _no_agent_hash() -> str:
    return hash_password("no agent has this password")


def authenticate(session: Session, email: str, password: str, *, throttle: LoginThrottle, client: str | None) -> Agent:
    """The agent with this email and password. Every login (the API's, the console's) comes through here.

    Raises TooManyRequests (429, code `login_throttled`, with Retry-After) while the account or the client address
    is locked out after too many failures, and Unauthorized for a wrong email or password.
    """
    throttle.check(email, client)
    agent = session.scalars(select(Agent).where(func.lower(Agent.email) == email.lower())).first()
    # An unknown email costs the same hash as a wrong password, so the time taken does not tell which emails exist.
    if not verify_password(agent.password_hash if agent else _no_agent_hash(), password) or agent is None:
        throttle.failed(email, client)
        raise Unauthorized("wrong email or password")
    throttle.succeeded(email)
    return agent


def get_agent(session: Session, agent_id: int) -> Agent:
    agent = session.get(Agent, agent_id)
    if agent is None:
        raise NotFound(f"agent {agent_id} does not exist")
    return agent


def end_sessions(session: Session, agent: Agent) -> None:
    """Log the agent out everywhere: every session token issued until now stops working (console and API).

    Wall-clock time, as the tokens' issue times are: a token issued after this moment (logging in again) works.
    """
    agent.sessions_ended_at = datetime.now(UTC)
    session.commit()


def set_status(session: Session, agent: Agent, status: str) -> Agent:
    agent.status = status
    session.commit()
    return agent


def change_availability(session: Session, business, agent: Agent, status: str, now: datetime) -> int:
    """Set the agent online, away or offline; online takes waiting tickets of their teams at once, most urgent
    first. Returns how many tickets were assigned."""
    set_status(session, agent, status)
    assigned = 0
    if agent.status == "online":
        for team in agent.teams:
            assigned += drain_queue(session, business, now, team=team)
        session.commit()
        session.refresh(agent)
    return assigned


def list_agents(session: Session, *, teams: list[str] | None) -> list[Agent]:
    """Every agent by name; an agent's view (teams given) only those sharing a team with them."""
    agents = session.scalars(select(Agent).order_by(Agent.name)).all()
    if teams is not None:
        agents = [a for a in agents if set(a.teams) & set(teams)]
    return list(agents)
