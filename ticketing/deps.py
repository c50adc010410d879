"""FastAPI dependencies: the database session, the loaded business, the caller.

They are coroutines on purpose: FastAPI runs a plain `def` dependency in the thread pool, and each such hop cost
more CPU than the dependency itself (four hops per ticket request). Opening a session does no I/O; closing one
that was left in a transaction, and looking up an agent's token, do, and go to the thread pool.
"""

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from ticketing.agents.models import Agent
from ticketing.auth import SERVICE, Principal, bearer, is_service_token, read_session_token, session_ended
from ticketing.business.runtime import Business
from ticketing.errors import Unauthorized


async def get_session(request: Request) -> AsyncIterator[Session]:
    session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():
            await run_in_threadpool(session.close)  # a rollback on the connection: I/O, off the event loop
        else:
            session.close()  # committed already: nothing to send


async def get_business(request: Request) -> Business:
    return request.app.state.business


async def get_now() -> datetime:
    return datetime.now(UTC)


async def get_principal(request: Request) -> Principal:
    token = bearer(request.headers.get("authorization"))
    settings = request.app.state.settings
    if is_service_token(token, settings.api_token.get_secret_value()):
        return SERVICE  # the action server: no database needed to know it
    if not token.startswith("agt."):
        raise Unauthorized("invalid token")
    claims = read_session_token(token, settings.secret_key.get_secret_value())
    agent = await run_in_threadpool(_find_agent, request.app.state.sessions, claims.agent_id)
    if agent is None:
        raise Unauthorized("unknown agent")
    if session_ended(claims, agent.sessions_ended_at):
        raise Unauthorized("session ended (logged out); log in again")
    return Principal(
        kind="agent",
        name=agent.email,
        agent_id=agent.id,
        teams=None if agent.is_supervisor else list(agent.teams),
        supervisor=agent.is_supervisor,
    )


def _find_agent(sessions, agent_id: int) -> Agent | None:
    with sessions() as session:
        return session.get(Agent, agent_id)


SessionDep = Annotated[Session, Depends(get_session)]
BusinessDep = Annotated[Business, Depends(get_business)]
NowDep = Annotated[datetime, Depends(get_now)]
PrincipalDep = Annotated[Principal, Depends(get_principal)]
