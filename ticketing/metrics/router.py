from datetime import datetime, timedelta

from fastapi import APIRouter

from ticketing.deps import NowDep, PrincipalDep, SessionDep
from ticketing.errors import InvalidInput
from ticketing.metrics.service import metrics

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/metrics")
def get_metrics(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    since: datetime | None = None,
    until: datetime | None = None,
):
    """First response and resolution times, SLA compliance, CSAT and volume for tickets received in a period
    (default: the last 30 days)."""
    until = until or now
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since/until: give a timezone (for example 2026-11-01T00:00:00Z)")
    if since >= until:
        raise InvalidInput("since must be before until")
    return metrics(session, since=since, until=until, teams=principal.teams, now=now)
