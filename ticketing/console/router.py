"""The agent console: server-rendered pages over the same services as the ticket API.

Routes parse the form, check the session and the CSRF token, call the service, and render or redirect
(POST, then a redirect to a GET: reloading a page never sends anything twice).
"""

import asyncio
import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response, StreamingResponse
from pydantic import ValidationError

from ticketing.agents import service as agents
from ticketing.auth import issue_session_token
from ticketing.channels import whatsapp
from ticketing.classification.text import detect_language
from ticketing.console import service
from ticketing.console.web import (
    LANGUAGE_COOKIE,
    LOGIN_CSRF_COOKIE,
    CsrfRejected,
    Viewer,
    check_csrf,
    check_login_csrf,
    clear_session,
    current_viewer,
    new_login_csrf,
    page_language,
    render,
    set_cookie,
    set_session,
)
from ticketing.console.words import WORDS
from ticketing.deps import BusinessDep, NowDep, SessionDep
from ticketing.errors import DomainError, InvalidInput, InvalidTransition, NotFound, Unauthorized
from ticketing.kb import service as kb_service
from ticketing.limits import client_address
from ticketing.metrics.service import metrics
from ticketing.settings import REPO_ROOT
from ticketing.tickets import service as tickets
from ticketing.tickets.schemas import MessageIn, TicketPatch

router = APIRouter(prefix="/console", include_in_schema=False)
ViewerDep = Annotated[Viewer, Depends(current_viewer)]
MAX_MESSAGE = 10000
STATIC = REPO_ROOT / "ticketing" / "static" / "console"
# What the console serves as scripts and styles: its own files and pinned npm packages, from node_modules.
ASSETS = {
    "console.css": STATIC / "console.css",
    "console.js": STATIC / "console.js",
    "dashboard.js": STATIC / "dashboard.js",
    "chart.umd.min.js": REPO_ROOT / "node_modules" / "chart.js" / "dist" / "chart.umd.min.js",
}


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _remember_language(request: Request, response: Response) -> Response:
    chosen = request.query_params.get("lang")
    if chosen in WORDS:
        set_cookie(response, request, LANGUAGE_COOKIE, chosen, 365 * 24 * 3600)
    return response


@router.get("/assets/{name}")
def asset(name: str):
    path = ASSETS.get(name)
    if path is None or not path.exists():
        raise NotFound(f"no console asset {name!r}")
    media = "text/css" if name.endswith(".css") else "text/javascript"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "public, max-age=300"})


# --- login ------------------------------------------------------------------------------------------------------


def _login_page(request: Request, message: str | None = None, status_code: int = 200, email: str = "") -> Response:
    language = page_language(request)
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or new_login_csrf()
    response = render(
        request, "console/login.html", language, status_code=status_code, message=message, email=email, token=token
    )
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, 3600)
    return _remember_language(request, response)


@router.get("", response_class=HTMLResponse)
async def home(request: Request, view: str = "team"):
    """The queue when logged in, the login form otherwise."""
    try:
        viewer = await current_viewer(request)
    except DomainError:
        language = page_language(request)
        message = WORDS[language]["session_expired"] if request.query_params.get("expired") else None
        if request.query_params.get("bye"):
            message = WORDS[language]["logged_out"]
        return _login_page(request, message)
    return _remember_language(request, await asyncio.to_thread(_queue_page, request, viewer, view))


@router.post("/login")
def login(
    request: Request,
    session: SessionDep,
    email: Annotated[str, Form(max_length=320)] = "",
    password: Annotated[str, Form(max_length=500)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    check_login_csrf(request, csrf)
    language = page_language(request)
    try:
        agent = agents.authenticate(
            session,
            email.strip(),
            password,
            throttle=request.app.state.limits.login,
            client=client_address(request),
        )
    except Unauthorized:
        return _login_page(request, WORDS[language]["wrong_login"], status_code=401, email=email)
    except DomainError as exc:  # throttled
        if exc.status_code == 429:
            minutes = max(1, -(-exc.retry_after // 60))
            page = _login_page(
                request, WORDS[language]["too_many"].format(minutes=minutes), status_code=429, email=email
            )
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        raise
    response = _redirect("/console")
    set_session(
        response, request, issue_session_token(agent.id, request.app.state.settings.secret_key.get_secret_value())
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/console")
    return response


@router.post("/logout")
def logout(request: Request, viewer: ViewerDep, session: SessionDep, csrf: Annotated[str, Form(max_length=200)] = ""):
    """Log out: this browser's cookie goes, and every session of the agent ends (a copied cookie stops working)."""
    check_csrf(request, viewer, csrf)
    agents.end_sessions(session, agents.get_agent(session, viewer.agent.id))
    response = _redirect("/console?bye=1")
    clear_session(response)
    return response


# --- queues -----------------------------------------------------------------------------------------------------


def _queue_page(request: Request, viewer: Viewer, view: str) -> Response:
    view = view if view in service.VIEWS else "team"
    with request.app.state.sessions() as session:
        items, total = service.queue(session, agent=viewer.agent, teams=viewer.teams, view=view)
        names = service.agent_names(session)
    return render(
        request,
        "console/queue.html",
        viewer.language,
        viewer,
        view=view,
        views=service.VIEWS,
        items=items,
        total=total,
        names=names,
        now=datetime.now(UTC),
        message=_message(request, viewer.language),
    )


def _message(request: Request, language: str) -> str | None:
    key = request.query_params.get("m")
    words = WORDS[language]
    if key == "drained":
        return words["drained"].format(n=int(request.query_params.get("n", "0") or 0))
    return words.get(key) if key in ("sent", "noted", "updated", "status_set", "duplicate", "handled") else None


@router.post("/availability")
def availability(
    request: Request,
    session: SessionDep,
    business: BusinessDep,
    now: NowDep,
    viewer: ViewerDep,
    status: Annotated[Literal["online", "away", "offline"], Form()],
    csrf: Annotated[str, Form(max_length=200)] = "",
    back: Annotated[str, Form(max_length=300)] = "/console",
):
    check_csrf(request, viewer, csrf)
    agent = agents.get_agent(session, viewer.agent.id)
    assigned = agents.change_availability(session, business, agent, status, now)
    target = back if back.startswith("/console") and "//" not in back else "/console"
    separator = "&" if "?" in target else "?"
    return _redirect(f"{target}{separator}m=drained&n={assigned}" if assigned else f"{target}{separator}m=status_set")


@router.get("/events")
async def events(request: Request, viewer: ViewerDep):
    """Server-sent events: `changed` whenever tickets change (the page then asks again for what it shows)."""
    hub = request.app.state.live

    async def stream():
        subscription = hub.subscribe()
        _, flag = subscription
        try:
            yield "retry: 2000\nevent: ready\ndata: {}\n\n"
            while not await request.is_disconnected():
                try:
                    await asyncio.wait_for(flag.wait(), timeout=15)
                except TimeoutError:
                    yield ": keep-alive\n\n"
                    continue
                flag.clear()
                yield "event: changed\ndata: {}\n\n"
        finally:
            hub.unsubscribe(subscription)

    return StreamingResponse(
        stream(), media_type="text/event-stream", headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    )


# --- a ticket ---------------------------------------------------------------------------------------------------


def _visible_ticket(session, number: str, viewer: Viewer, *, for_update: bool = False):
    """The ticket, if this agent may see it; otherwise NotFound (another team's ticket is not even confirmed)."""
    try:
        ticket = tickets.get_by_number(session, number)
        tickets.check_visible(ticket, viewer.teams)
    except DomainError:
        raise NotFound(f"ticket {number} not found") from None
    return tickets.get_ticket(session, ticket.id, detail=True, for_update=for_update)


def _ticket_page(
    request: Request, viewer: Viewer, number: str, *, error=None, draft="", status_code=200, now: datetime | None = None
):
    now = now or datetime.now(UTC)
    with request.app.state.sessions() as session:
        ticket = _visible_ticket(session, number, viewer)
        templates = request.app.state.business.config.whatsapp.templates
        queue_items, _ = service.queue(session, agent=viewer.agent, teams=viewer.teams, view="team")
        numbers = [t.number for t in queue_items]
        position = numbers.index(ticket.number) if ticket.number in numbers else -1
        context = {
            "ticket": ticket,
            "names": service.agent_names(session),
            "history": service.customer_history(session, ticket),
            "team_agents": service.team_agents(session, ticket.team),
            "teams": sorted(request.app.state.business.config.teams),
            "next_number": numbers[position + 1] if position + 1 < len(numbers) and numbers else None,
            "prev_number": numbers[position - 1] if position > 0 else None,
            "whatsapp_window": whatsapp.window_view(ticket, now, templates),
            "deliveries": service.deliveries(session, ticket),
            "csat": tickets.csat_of(session, ticket.id),
        }
    return render(
        request,
        "console/ticket.html",
        viewer.language,
        viewer,
        status_code=status_code,
        error=error,
        draft=draft,
        now=now,
        message=_message(request, viewer.language),
        **context,
    )


@router.get("/tickets/{number}", response_class=HTMLResponse)
async def ticket_page(request: Request, number: str, viewer: ViewerDep, now: NowDep):
    return _remember_language(request, await asyncio.to_thread(_ticket_page, request, viewer, number, now=now))


@router.get("/tickets/{number}/snippets")
def snippets(request: Request, number: str, session: SessionDep, viewer: ViewerDep):
    """Saved replies of the ticket's team in its language, and the KB's articles as links, for the `/` picker."""
    ticket = _visible_ticket(session, number, viewer)
    kb = request.app.state.kb
    items = service.saved_replies(ticket.team, ticket.language) + service.article_snippets(
        kb, ticket.language, request.app.state.settings.public_url
    )
    return JSONResponse({"items": [{"title": s.title, "body": s.body, "kind": s.kind} for s in items]})


@router.post("/tickets/{number}/messages")
def post_message(
    request: Request,
    number: str,
    session: SessionDep,
    business: BusinessDep,
    now: NowDep,
    viewer: ViewerDep,
    body: Annotated[str, Form()] = "",
    action: Annotated[Literal["send", "note"], Form()] = "send",
    seen_status: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    """A public reply (to the customer's channel) or an internal note."""
    check_csrf(request, viewer, csrf)
    words = WORDS[viewer.language]
    internal = action == "note"
    ticket = _visible_ticket(session, number, viewer)
    error = None
    if not body.strip():
        error = words["empty_message"]
    elif len(body) > MAX_MESSAGE:
        error = words["too_long"].format(n=MAX_MESSAGE)
    elif not internal and ticket.status in ("resolved", "closed"):
        error = words["closed_reply"].format(status=_status_name(viewer, ticket.status))
    if error:
        session.rollback()
        return _ticket_page(request, viewer, number, error=error, draft=body, status_code=409)
    agent = agents.get_agent(session, viewer.agent.id)
    if service.recent_duplicate(session, ticket=ticket, agent=agent, body=body, internal=internal, now=now):
        session.rollback()
        return _redirect(f"/console/tickets/{number}?m=duplicate")
    try:
        message = tickets.add_message(
            session,
            ticket_id=ticket.id,
            message_in=MessageIn(author="agent", body=body, internal=internal),
            business=business,
            actor=agent.email,
            agent=agent,
            teams=viewer.teams,
            now=now,
        )
    except InvalidTransition as exc:
        return _ticket_page(request, viewer, number, error=exc.detail, draft=body, status_code=409)
    if message.delivery_status == "pending":
        request.app.state.delivery.wake()  # written to the outbox with the reply: send it now
    return _redirect(f"/console/tickets/{number}?m={'noted' if internal else 'sent'}#compose")


def _status_name(viewer: Viewer, status: str) -> str:
    from ticketing.console.words import STATUS_NAMES

    return STATUS_NAMES[viewer.language].get(status, status)


@router.post("/tickets/{number}/update")
def update_ticket(
    request: Request,
    number: str,
    session: SessionDep,
    business: BusinessDep,
    now: NowDep,
    viewer: ViewerDep,
    status: Annotated[str, Form(max_length=20)] = "",
    assignee: Annotated[str, Form(max_length=320)] = "",
    team: Annotated[str, Form(max_length=60)] = "",
    tier: Annotated[str, Form(max_length=2)] = "",
    priority: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=500)] = "",
    seen_status: Annotated[str, Form(max_length=20)] = "",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    """Change status, assignee, team, tier or priority (with a reason); refused if the ticket changed meanwhile."""
    check_csrf(request, viewer, csrf)
    words = WORDS[viewer.language]
    ticket = _visible_ticket(session, number, viewer)
    if seen_status and seen_status != ticket.status:
        session.rollback()
        return _ticket_page(
            request,
            viewer,
            number,
            error=words["stale"].format(status=_status_name(viewer, ticket.status)),
            status_code=409,
        )
    if priority and not reason.strip():
        session.rollback()
        return _ticket_page(request, viewer, number, error=words["reason_required"], status_code=422)
    try:
        patch = TicketPatch(
            status=status or None,
            assignee=assignee or None,
            team=team or None,
            tier=int(tier) if tier.isdigit() else None,
            priority=priority or None,
            reason=reason.strip() or None,
        )
        updated = tickets.patch_ticket(
            session,
            ticket_id=ticket.id,
            patch=patch,
            business=business,
            actor=viewer.agent.email,
            teams=viewer.teams,
            now=now,
        )
    except ValidationError as exc:
        session.rollback()
        detail = "; ".join(e["msg"] for e in exc.errors())
        return _ticket_page(request, viewer, number, error=detail, status_code=422)
    except (InvalidTransition, InvalidInput) as exc:
        session.rollback()
        return _ticket_page(request, viewer, number, error=exc.detail, status_code=409)
    if status == "resolved":
        request.app.state.delivery.wake()  # the resolution message was written to the outbox with the change
    # Moved to a team the agent is not in: the ticket is no longer theirs to see.
    if viewer.teams is not None and updated.team not in viewer.teams:
        return _redirect("/console?m=updated")
    return _redirect(f"/console/tickets/{number}?m=updated")


# --- supervisor dashboard ---------------------------------------------------------------------------------------


def _require_supervisor(viewer: Viewer) -> None:
    if not viewer.agent.is_supervisor:
        raise NotFound("the dashboard is for supervisors")


def _period(since: str | None, until: str | None, now: datetime) -> tuple[datetime, datetime]:
    def parse(value: str | None, default: datetime, end: bool) -> datetime:
        if not value:
            return default
        try:
            day = datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(f"not a date: {value!r} (use YYYY-MM-DD)") from None
        if day.tzinfo is None:
            day = day.replace(tzinfo=UTC)
        return day + timedelta(days=1) - timedelta(microseconds=1) if end and len(value) == 10 else day

    end = parse(until, now, True)
    start = parse(since, end - timedelta(days=30), False)
    if start >= end:
        raise InvalidInput("the period must start before it ends")
    return start, end


def _dashboard_data(request: Request, viewer: Viewer, since, until, team, channel, language) -> dict:
    now = datetime.now(UTC)
    start, end = _period(since, until, now)
    filters = {"team": team or None, "channel": channel or None, "language": language or None}
    teams = [team] if team else viewer.teams
    with request.app.state.sessions() as session:
        figures = metrics(
            session, since=start, until=end, teams=teams, now=now, channel=channel or None, language=language or None
        )
        return {
            "figures": figures,
            "since": start,
            "until": end,
            "filters": filters,
            "backlog": service.backlog(session, teams),
            "agents": service.agents_load(session, teams),
            "per_day": service.volume_by_day(
                session,
                since=start,
                until=end,
                teams=teams,
                filters={"channel": channel or None, "language": language or None},
            ),
        }


@router.get("/dashboard", response_class=HTMLResponse)
def dashboard(
    request: Request,
    viewer: ViewerDep,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    team: Annotated[str, Query(max_length=60)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=5)] = "",
):
    _require_supervisor(viewer)
    data = _dashboard_data(request, viewer, since, until, team, channel, language)
    business = request.app.state.business
    return _remember_language(
        request,
        render(
            request,
            "console/dashboard.html",
            viewer.language,
            viewer,
            teams=sorted(business.config.teams),
            channels=["web", "whatsapp", "email", "api", "facebook", "instagram", "twitter"],
            csv_rows=csv_rows(data),
            **data,
        ),
    )


def csv_rows(data: dict) -> list[tuple[str, object]]:
    """The dashboard's figures as (metric, value) rows: the same numbers as /api/v1/metrics for the period."""
    f = data["figures"]
    rows: list[tuple[str, object]] = [
        ("since", f["since"].isoformat()),
        ("until", f["until"].isoformat()),
        ("tickets", f["tickets"]),
    ]
    for part in ("first_response", "resolution"):
        for key, value in f[part].items():
            rows.append((f"{part}.{key}", value))
    for part, values in f["sla_compliance"].items():
        for key, value in values.items():
            rows.append((f"sla_compliance.{part}.{key}", value))
    for key, value in f["deflection"].items():
        rows.append((f"deflection.{key}", value))
    for key in ("answers", "average", "satisfied_rate"):
        rows.append((f"csat.{key}", f["csat"][key]))
    for score, count in f["csat"]["distribution"].items():
        rows.append((f"csat.distribution.{score}", count))
    for group, counts in f["volume"].items():
        for key, value in counts.items():
            rows.append((f"volume.{group}.{key}", value))
    for team, priorities in data["backlog"].items():
        for priority, count in priorities.items():
            rows.append((f"backlog.{team}.{priority}", count))
    for day, categories in data["per_day"].items():
        for category, count in sorted(categories.items()):
            rows.append((f"per_day.{day}.{category}", count))
    return rows


@router.get("/dashboard.csv")
def dashboard_csv(
    request: Request,
    viewer: ViewerDep,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    team: Annotated[str, Query(max_length=60)] = "",
    channel: Annotated[str, Query(max_length=20)] = "",
    language: Annotated[str, Query(max_length=5)] = "",
):
    _require_supervisor(viewer)
    data = _dashboard_data(request, viewer, since, until, team, channel, language)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["metric", "value"])
    for metric_name, value in csv_rows(data):
        writer.writerow([metric_name, "" if value is None else value])
    return Response(
        out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="mostrador-metrics.csv"'},
    )


# --- the editors' KB page ---------------------------------------------------------------------------------------


@router.get("/kb", response_class=HTMLResponse)
def kb_page(
    request: Request,
    session: SessionDep,
    viewer: ViewerDep,
    q: Annotated[str, Query(max_length=500)] = "",
    qlang: Annotated[str, Query(max_length=5)] = "",
):
    kb = request.app.state.kb
    gaps = kb_service.grouped_gaps(session, limit=100)
    titles = {(a.id, a.language): a.title for a in kb.articles}
    preview = None
    if q.strip():
        # Unless the editor picks one, the question's own language (an editor may try a customer's words in either).
        preview_language = qlang if qlang in ("es", "en") else detect_language(q) or viewer.language
        decision = kb.decide(q, preview_language)
        preview = {
            "language": preview_language,
            "decision": decision,
            "hits": kb.search(q, preview_language, limit=5),
        }
    return _remember_language(
        request,
        render(
            request,
            "console/kb.html",
            viewer.language,
            viewer,
            gaps=gaps,
            titles=titles,
            q=q,
            qlang=qlang,
            preview=preview,
            public_url=request.app.state.settings.public_url.rstrip("/"),
            message=_message(request, viewer.language),
        ),
    )


@router.post("/kb/gaps/handled")
def gap_handled(
    request: Request,
    session: SessionDep,
    now: NowDep,
    viewer: ViewerDep,
    question: Annotated[str, Form(max_length=2000)] = "",
    language: Annotated[Literal["es", "en"], Form()] = "es",
    csrf: Annotated[str, Form(max_length=200)] = "",
):
    check_csrf(request, viewer, csrf)
    kb_service.mark_handled(session, question=question, language=language, actor=viewer.agent.email, now=now)
    return _redirect("/console/kb?m=handled")


def console_error(request: Request, exc: DomainError) -> Response:
    """Domain errors on console pages: a login redirect, a 404 page, or the message on a page of its own."""
    from ticketing.console.web import LoginRequired

    if isinstance(exc, LoginRequired):
        if request.url.path.startswith("/console/events"):
            return Response(status_code=401)
        return _redirect("/console?expired=1")
    language = page_language(request)
    words = WORDS[language]
    if exc.status_code in (403, 404) and not isinstance(exc, CsrfRejected):
        title, text = words["not_found"], words["not_found_text"]
        status_code = 404
    elif isinstance(exc, CsrfRejected):
        title, text, status_code = words["csrf"], "", 403
    else:
        title, text, status_code = exc.detail, "", exc.status_code
    return render(request, "console/error.html", language, status_code=status_code, title=title, text=text)
