"""FastAPI dependencies: the database session, the loaded business, the caller."""

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent
from ticketing.auth import SERVICE, Principal, bearer, is_service_token, read_session_token
from ticketing.business.runtime import Business
from ticketing.errors import Unauthorized


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


def get_business(request: Request) -> Business:
    return request.app.state.business


def get_now() -> datetime:
    return datetime.now(UTC)


def get_principal(request: Request, session: Annotated[Session, Depends(get_session)]) -> Principal:
    token = bearer(request.headers.get("authorization"))
    settings = request.app.state.settings
    if is_service_token(token, settings.api_token.get_secret_value()):
        return SERVICE
    if not token.startswith("agt."):
        raise Unauthorized("invalid token")
    agent = session.get(Agent, read_session_token(token, settings.secret_key.get_secret_value()))
    if agent is None:
        raise Unauthorized("unknown agent")
    return Principal(
        kind="agent",
        name=agent.email,
        agent_id=agent.id,
        teams=None if agent.is_supervisor else list(agent.teams),
    )


SessionDep = Annotated[Session, Depends(get_session)]
BusinessDep = Annotated[Business, Depends(get_business)]
NowDep = Annotated[datetime, Depends(get_now)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
