from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Query

from ticketing.deps import NowDep, PrincipalDep, SessionDep
from ticketing.errors import InvalidInput, error_responses
from ticketing.metrics.service import metrics
from ticketing.validation import Moment

router = APIRouter(prefix="/api/v1", tags=["metrics"])


@router.get("/metrics", responses=error_responses(401, 422))
def get_metrics(
    session: SessionDep,
    principal: PrincipalDep,
    now: NowDep,
    since: Moment | None = None,
    until: Moment | None = None,
    team: Annotated[str | None, Query(max_length=60)] = None,
    channel: Annotated[str | None, Query(max_length=20)] = None,
    language: Annotated[str | None, Query(max_length=5)] = None,
):
    """First response and resolution times, SLA compliance, CSAT and volume for tickets received in a period
    (default: the last 30 days), optionally of one team, channel or language."""
    until = until or now
    since = since or until - timedelta(days=30)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput("since/until: give a timezone (for example 2026-11-01T00:00:00Z)")
    if since >= until:
        raise InvalidInput("since must be before until")
    teams = principal.teams
    if team:
        teams = [team] if teams is None or team in teams else []
    return metrics(session, since=since, until=until, teams=teams, now=now, channel=channel, language=language)
