"""What the console reads and does beyond the ticket API's use cases (which it calls for every change)."""

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import yaml
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent
from ticketing.channels import outbox, receipts
from ticketing.routing.service import OPEN_STATUSES
from ticketing.tickets import service as tickets
from ticketing.tickets.models import Message, Ticket

VIEWS = ("team", "mine", "unassigned", "at_risk", "vip")  # the first is the default: my teams' open tickets
SAVED_REPLIES = Path(__file__).resolve().parent.parent / "data" / "saved_replies.yml"
# A second identical message from the same agent within this time is the same click twice, not a new message.
DUPLICATE_WINDOW = timedelta(seconds=30)


def queue(session: Session, *, agent: Agent, teams: list[str] | None, view: str, limit: int = 50):
    """One of the console's queues, most urgent first: the page of tickets and how many there are in all."""
    filters: dict = {"status": ",".join(OPEN_STATUSES)}
    if view == "mine":
        filters["assignee_id"] = agent.id
    elif view == "unassigned":
        filters["assignee"] = "none"
    elif view == "at_risk":
        filters["sla_state"] = "at_risk,breached"
    elif view == "vip":
        filters["plan"] = "vip"
    return tickets.list_tickets(session, teams=teams, limit=limit, **filters)


def agent_names(session: Session) -> dict[int, str]:
    return dict(session.execute(select(Agent.id, Agent.name)).all())


def team_agents(session: Session, team: str) -> list[Agent]:
    return [a for a in session.scalars(select(Agent).order_by(Agent.name)) if team in a.teams]


def customer_history(session: Session, ticket: Ticket, limit: int = 10) -> list[Ticket]:
    """The customer's other tickets, newest first."""
    return list(
        session.scalars(
            select(Ticket)
            .where(Ticket.customer_id == ticket.customer_id, Ticket.id != ticket.id)
            .order_by(Ticket.id.desc())
            .limit(limit)
        ).unique()
    )


def recent_duplicate(session: Session, *, ticket: Ticket, agent: Agent, body: str, internal: bool, now: datetime):
    """The same message by the same agent on this ticket moments ago (a double click), or None."""
    last = session.scalars(
        select(Message).where(Message.ticket_id == ticket.id).order_by(Message.id.desc()).limit(1)
    ).first()
    if (
        last is not None
        and last.agent_id == agent.id
        and last.internal == internal
        and last.body == body.strip()
        and now - last.created_at <= DUPLICATE_WINDOW
    ):
        return last
    return None


@dataclass(frozen=True)
class Snippet:
    title: str
    body: str
    kind: str  # "reply" | "article"


def saved_replies(team: str, language: str, path: Path = SAVED_REPLIES) -> list[Snippet]:
    """The team's saved replies in the ticket's language, then everyone's."""
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    out = []
    for key in (team, "all"):
        for item in (data.get(key) or {}).get(language) or []:
            out.append(Snippet(item["title"], item["body"], "reply"))
    return out


def article_snippets(kb, language: str, public_url: str) -> list[Snippet]:
    """Every published article in the language, inserted as its title and link."""
    return [
        Snippet(a.title, f"{a.title}: {public_url.rstrip('/')}/help/{language}/{a.id}", "article")
        for a in sorted(kb.articles, key=lambda a: a.title)
        if a.language == language
    ]


# --- the supervisor dashboard's figures that /api/v1/metrics does not give --------------------------------------


def backlog(session: Session, teams: list[str] | None) -> dict[str, dict[str, int]]:
    """Open tickets by team and priority."""
    query = select(Ticket.team, Ticket.priority, func.count(Ticket.id)).where(Ticket.status.in_(OPEN_STATUSES))
    if teams is not None:
        query = query.where(Ticket.team.in_(teams))
    out: dict[str, dict[str, int]] = defaultdict(dict)
    for team, priority, count in session.execute(query.group_by(Ticket.team, Ticket.priority)):
        out[team][priority] = count
    return dict(sorted(out.items()))


def agents_load(session: Session, teams: list[str] | None) -> list[Agent]:
    agents = session.scalars(select(Agent).order_by(Agent.name)).all()
    return [a for a in agents if teams is None or set(a.teams) & set(teams)]


def volume_by_day(session: Session, *, since: datetime, until: datetime, teams: list[str] | None, filters: dict):
    """Tickets received per day (UTC) in the period, by category: {day: {category: count}}."""
    query = select(Ticket.received_at, Ticket.category).where(Ticket.received_at >= since, Ticket.received_at <= until)
    if teams is not None:
        query = query.where(Ticket.team.in_(teams))
    for column, value in filters.items():
        if value:
            query = query.where(getattr(Ticket, column) == value)
    days: dict[str, Counter] = defaultdict(Counter)
    for received, category in session.execute(query):
        days[received.date().isoformat()][category] += 1
    return {day: dict(days[day]) for day in sorted(days)}


@dataclass(frozen=True)
class Delivery:
    """How a reply to the customer is doing, as the console shows it: the outbox's word for it, why it failed,
    and on WhatsApp what Meta said (sent, delivered, read, failed with its reason)."""

    status: str
    error: str | None
    whatsapp: dict | None


def deliveries(session: Session, ticket: Ticket) -> dict[int, Delivery]:
    """By message id, for the ticket's messages that went (or are going) to the customer."""
    rows = outbox.delivery_of_messages(session, [m.id for m in ticket.messages if m.delivery_status])
    on_whatsapp = receipts.of_outbound(session, [row.id for row in rows.values()])
    return {
        message_id: Delivery(row.status, row.last_error if row.status != "delivered" else None, on_whatsapp.get(row.id))
        for message_id, row in rows.items()
    }
