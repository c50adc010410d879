"""The console's session cookie, CSRF tokens, language and page rendering.

The session is the same signed agent token the API hands out (ticketing.auth), kept in a cookie the page's
scripts cannot read (HttpOnly), sent only to this site's own requests (SameSite=Lax) and only over HTTPS when the
console is served over HTTPS (Secure). Every state-changing request carries a CSRF token: an HMAC of the session
token, so it needs no storage and dies with the session. The login form, before any session, uses a random token
in a cookie that must match the form's copy.
"""

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, Response

from ticketing.agents.models import Agent
from ticketing.auth import SESSION_SECONDS, read_session_token, session_ended
from ticketing.console.reasons import LANGUAGES as LANGUAGE_NAMES
from ticketing.console.reasons import Names, name, say, say_data
from ticketing.console.words import EVENT_NAMES, LANGUAGES, PRIORITY_NAMES, STATUS_NAMES, WORDS
from ticketing.errors import DomainError, Unauthorized

SESSION_COOKIE = "mostrador_console"
LOGIN_CSRF_COOKIE = "mostrador_login_csrf"
LANGUAGE_COOKIE = "mostrador_console_lang"
CSRF_HEADER = "x-csrf-token"


class LoginRequired(DomainError):
    """No session, or it expired: the console sends the browser to the login form."""

    status_code = 401
    code = "login_required"


class CsrfRejected(DomainError):
    status_code = 403
    code = "csrf_rejected"


@dataclass(frozen=True)
class Viewer:
    """The agent using the console, with what the page needs to know about them."""

    agent: Agent
    token: str
    language: str

    @property
    def teams(self) -> list[str] | None:
        """Teams whose tickets this agent sees; None for supervisors (all)."""
        return None if self.agent.is_supervisor else list(self.agent.teams)


def is_https(request: Request) -> bool:
    return request.url.scheme == "https" or request.headers.get("x-forwarded-proto", "").lower() == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int, http_only=True) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/console",
        httponly=http_only,
        secure=is_https(request),
        samesite="lax",
    )


def clear_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/console")


def set_session(response: Response, request: Request, token: str) -> None:
    set_cookie(response, request, SESSION_COOKIE, token, SESSION_SECONDS)


def csrf_for(session_token: str, secret: str) -> str:
    digest = hmac.new(secret.encode(), b"csrf:" + session_token.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def check_login_csrf(request: Request, submitted: str | None) -> None:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRejected("the login form expired; reload the page and try again")


def check_csrf(request: Request, viewer: Viewer, submitted: str | None) -> None:
    """A state-changing request must carry the session's CSRF token (form field `csrf` or X-CSRF-Token header)."""
    submitted = submitted or request.headers.get(CSRF_HEADER)
    expected = csrf_for(viewer.token, request.app.state.settings.secret_key.get_secret_value())
    if not submitted or not hmac.compare_digest(expected, submitted):
        raise CsrfRejected("missing or wrong CSRF token; reload the page and try again")


def page_language(request: Request, agent: Agent | None = None) -> str:
    """The language chosen in the console, else the agent's first language, else the browser's, else Spanish."""
    chosen = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    if agent is not None:
        for language in agent.languages:
            if language in LANGUAGES:
                return language
    accept = request.headers.get("accept-language", "").lower()
    return "en" if accept.startswith("en") else "es"


async def current_viewer(request: Request) -> Viewer:
    """The logged-in agent, or LoginRequired (the handler sends the browser to the login form)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise LoginRequired("log in first")
    try:
        claims = read_session_token(token, request.app.state.settings.secret_key.get_secret_value())
    except Unauthorized as exc:
        raise LoginRequired(exc.detail) from None
    agent = await run_in_threadpool(_load_agent, request.app.state.sessions, claims.agent_id)
    if agent is None:
        raise LoginRequired("unknown agent")
    if session_ended(claims, agent.sessions_ended_at):
        raise LoginRequired("session ended; log in again")
    return Viewer(agent=agent, token=token, language=page_language(request, agent))


def _load_agent(sessions, agent_id: int) -> Agent | None:
    with sessions() as session:
        return session.get(Agent, agent_id)


def render(
    request: Request,
    template: str,
    language: str,
    viewer: Viewer | None = None,
    status_code: int = 200,
    **context,
) -> HTMLResponse:
    secret = request.app.state.settings.secret_key.get_secret_value()
    business = request.app.state.business
    facts = business.config.facts
    names = Names(
        categories=facts.category_names.get(language, {}),
        teams=facts.team_names.get(language, {}),
        priorities=PRIORITY_NAMES[language],
        statuses=STATUS_NAMES[language],
        agents={agent.email: agent.name for agent in business.config.agents},
        timezone=business.config.timezone,
    )
    response = request.app.state.templates.TemplateResponse(
        request,
        template,
        {
            "lang": language,
            "w": WORDS[language],
            "status_names": STATUS_NAMES[language],
            "event_names": EVENT_NAMES[language],
            "category_names": facts.category_names.get(language, {}),
            "team_names": facts.team_names.get(language, {}),
            "priority_names": PRIORITY_NAMES[language],
            "language_names": LANGUAGE_NAMES.get(language, {}),
            "say_reason": partial(say, language=language, names=names),
            "say_data": partial(say_data, language=language, names=names),
            "named": partial(name, language=language, names=names),
            "viewer": viewer,
            **HELPERS,
            "local_time": partial(local_time, zone=business.config.timezone),
            "csrf": csrf_for(viewer.token, secret) if viewer else None,
            **context,
        },
        status_code=status_code,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


# --- what templates show ------------------------------------------------------------------------------------------


def duration(seconds: float) -> str:
    """A short human duration: 45m, 3h 05m, 2d 4h."""
    minutes = int(abs(seconds) // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, minutes = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    return f"{minutes}m"


def sla_badge(ticket, now: datetime, words: dict[str, str]) -> dict:
    """The SLA countdown of a ticket: its state (ok, at_risk, breached, paused, done), text and target times."""
    if ticket.status in ("resolved", "closed"):
        breached = ticket.first_response_breached or ticket.resolution_breached
        return {
            "state": "breached" if breached else "done",
            "text": words["met"] if not breached else words["sla_breached"],
            "due": None,
            "warn": None,
        }
    if ticket.paused_at is not None:
        return {"state": "paused", "text": words["paused"], "due": None, "warn": None}
    due = ticket.next_due_at
    if due is None:
        return {"state": "none", "text": words["no_sla"], "due": None, "warn": None}
    warn = ticket.first_response_warn_at if ticket.first_responded_at is None else ticket.resolution_warn_at
    left = (due - now).total_seconds()
    if left < 0:
        state, text = "breached", f"{words['overdue']} {duration(left)}"
    else:
        at_risk = (warn is not None and now >= warn) or ticket.sla_state == "at_risk"
        state, text = ("at_risk" if at_risk else "ok"), f"{words['due_in']} {duration(left)}"
    return {"state": state, "text": text, "due": due.isoformat(), "warn": warn.isoformat() if warn else None}


def local_time(value: datetime | None, with_date: bool = True, zone: str = "UTC") -> str:
    """A time as the business reads it (its timezone, from the business file), e.g. 02-12 14:05."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(zone))
    return local.strftime("%d-%m %H:%M" if with_date else "%H:%M")


HELPERS = {"sla_badge": sla_badge, "local_time": local_time, "duration": duration}
