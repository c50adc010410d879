"""Service metrics over a period: response and resolution times, SLA compliance, CSAT, volume."""

import statistics
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from ticketing.conversations.service import deflection
from ticketing.tickets.models import CsatAnswer, Ticket


def _minutes(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / 60


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"count": 0, "median_minutes": None, "p90_minutes": None, "mean_minutes": None}
    ordered = sorted(values)
    return {
        "count": len(values),
        "median_minutes": round(statistics.median(ordered), 1),
        "p90_minutes": round(ordered[min(len(ordered) - 1, int(0.9 * len(ordered)))], 1),
        "mean_minutes": round(statistics.fmean(ordered), 1),
    }


def metrics(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    teams: list[str] | None,
    now: datetime,
    channel: str | None = None,
    language: str | None = None,
) -> dict:
    """Metrics of the tickets received from `since` to `until`, both included (of a channel, a language)."""
    query = select(Ticket).where(Ticket.received_at >= since, Ticket.received_at <= until)
    if teams is not None:
        query = query.where(Ticket.team.in_(teams))
    if channel:
        query = query.where(Ticket.channel == channel)
    if language:
        query = query.where(Ticket.language == language)
    tickets = session.scalars(query).unique().all()
    first_response = [_minutes(t.received_at, t.first_responded_at) for t in tickets if t.first_responded_at]
    resolution = [_minutes(t.received_at, t.resolved_at) for t in tickets if t.resolved_at]

    def compliance(reached, breached, due) -> dict:
        # A target counts once it is settled: met (reached before breach) or breached (due date passed).
        settled = [t for t in tickets if reached(t) or breached(t) or (due(t) and due(t) <= now)]
        met = [t for t in settled if not breached(t) and reached(t)]
        return {
            "settled": len(settled),
            "met": len(met),
            "rate": round(len(met) / len(settled), 4) if settled else None,
        }

    ids = [t.id for t in tickets]
    scores = [a.score for a in session.scalars(select(CsatAnswer).where(CsatAnswer.ticket_id.in_(ids)))] if ids else []
    return {
        "deflection": deflection(session, since=since, until=until, channel=channel, language=language),
        "since": since,
        "until": until,
        "tickets": len(tickets),
        "first_response": _summary(first_response),
        "resolution": _summary(resolution),
        "sla_compliance": {
            "first_response": compliance(
                lambda t: t.first_responded_at is not None,
                lambda t: t.first_response_breached,
                lambda t: t.first_response_due_at,
            ),
            "resolution": compliance(
                lambda t: t.resolved_at is not None, lambda t: t.resolution_breached, lambda t: t.resolution_due_at
            ),
        },
        "csat": {
            "answers": len(scores),
            "average": round(statistics.fmean(scores), 2) if scores else None,
            "satisfied_rate": round(sum(s >= 4 for s in scores) / len(scores), 4) if scores else None,
            "distribution": {str(k): v for k, v in sorted(Counter(scores).items())},
        },
        "volume": {
            "by_category": dict(Counter(t.category for t in tickets).most_common()),
            "by_channel": dict(Counter(t.channel for t in tickets).most_common()),
            "by_language": dict(Counter(t.language for t in tickets).most_common()),
            "by_priority": dict(Counter(t.priority for t in tickets).most_common()),
            "by_status": dict(Counter(t.status for t in tickets).most_common()),
        },
    }
