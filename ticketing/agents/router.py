"""Agents log in, see themselves and change their status; coming online drains their teams' queues."""

from fastapi import APIRouter, Request, Response

from ticketing.agents import service
from ticketing.agents.models import Agent
from ticketing.agents.schemas import AgentOut, LoginIn, LoginOut, StatusIn
from ticketing.auth import issue_session_token
from ticketing.deps import BusinessDep, NowDep, PrincipalDep, SessionDep
from ticketing.errors import Forbidden, error_responses
from ticketing.limits import client_address

router = APIRouter(prefix="/api/v1", tags=["agents"])


def agent_out(agent: Agent) -> dict:
    return {
        "email": agent.email,
        "name": agent.name,
        "teams": agent.teams,
        "skills": agent.skills,
        "languages": agent.languages,
        "tier": agent.tier,
        "capacity": agent.capacity,
        "open_assigned": agent.open_assigned,
        "status": agent.status,
        "shift": agent.shift,
        "vip_enabled": agent.vip_enabled,
        "supervisor": agent.is_supervisor,
    }


@router.post("/auth/login", response_model=LoginOut, responses=error_responses(400, 401, 413, 422, 429))
def login(login_in: LoginIn, request: Request, session: SessionDep):
    """Exchange an agent's email and password for a bearer session token (12 hours)."""
    agent = service.authenticate(
        session,
        login_in.email,
        login_in.password,
        throttle=request.app.state.limits.login,
        client=client_address(request),
    )
    token = issue_session_token(agent.id, request.app.state.settings.secret_key.get_secret_value())
    return {"token": token, "agent": agent_out(agent)}


@router.post("/auth/logout", status_code=204, response_class=Response, responses=error_responses(401, 403))
def logout(session: SessionDep, principal: PrincipalDep):
    """End the agent's sessions: this token and every other issued to the agent until now (the console's too)."""
    if principal.agent_id is None:
        raise Forbidden("only agents have sessions; the service token is not one")
    service.end_sessions(session, service.get_agent(session, principal.agent_id))
    return Response(status_code=204)


@router.get("/agents/me", response_model=AgentOut, responses=error_responses(401, 403))
def me(session: SessionDep, principal: PrincipalDep):
    if principal.agent_id is None:
        raise Forbidden("only agents have a profile; service callers do not")
    return agent_out(service.get_agent(session, principal.agent_id))


@router.put("/agents/me/status", response_model=AgentOut, responses=error_responses(400, 401, 403, 413, 422))
def set_my_status(
    status_in: StatusIn, session: SessionDep, business: BusinessDep, principal: PrincipalDep, now: NowDep
):
    """Go online, away or offline. Going online assigns waiting tickets at once, most urgent first."""
    if principal.agent_id is None:
        raise Forbidden("only agents have a status")
    agent = service.get_agent(session, principal.agent_id)
    service.change_availability(session, business, agent, status_in.status, now)
    return agent_out(agent)


@router.get("/agents", response_model=list[AgentOut], responses=error_responses(401))
def list_agents(session: SessionDep, principal: PrincipalDep):
    """Every agent with their load (supervisors and service callers see all; agents see their teams)."""
    return [agent_out(a) for a in service.list_agents(session, teams=principal.teams)]
