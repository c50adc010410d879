"""Who may call what: every route of the app × every kind of caller → the status it must get, over real HTTP.

Callers: nobody (no credentials), a forged token, the service token (the action server), an agent of the ticket's
team (luis, logistics), an agent of another team (bruno, billing) and the supervisor (ana). API routes take the
credential as `Authorization: Bearer`; console routes as the console's session cookie (with its CSRF token, so that
what is tested is who asks, not the form). The ticket in every path is a logistics ticket: another team's agent gets
404, exactly as for a ticket that does not exist.

Routes come from the app itself: a new route without a row here fails, and the failure says which row to add.
"""

import threading
import time
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn

from scripts.stack import free_port
from tests.ticketing.conftest import API_TOKEN, new_ticket
from ticketing.app import create_app
from ticketing.console.web import SESSION_COOKIE, csrf_for
from ticketing.migrate import upgrade
from ticketing.security import iter_routes


# Who may call what does not depend on the database: SQLite only (the API tests run both).
@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ticketing.db'}"
    upgrade(url)
    return url


CALLERS = ("none", "wrong", "service", "own_team", "other_team", "supervisor")
AGENTS = {"own_team": "luis@condorstore.cl", "other_team": "bruno@condorstore.cl", "supervisor": "ana@condorstore.cl"}
FORGED = "agt.eyJhZ2VudCI6IDEsICJleHAiOiA5OTk5OTk5OTk5fQ.forged-signature"


@dataclass
class Row:
    """The status for each caller, in CALLERS order, and what to send."""

    none: int
    wrong: int
    service: int
    own_team: int
    other_team: int
    supervisor: int
    json: dict | None = None
    form: dict | None = None
    params: dict = field(default_factory=dict)

    def expected(self, caller: str) -> int:
        return getattr(self, caller)


def same(status: int, **send) -> Row:
    """A route that answers everyone alike (public pages, files, login)."""
    return Row(status, status, status, status, status, status, **send)


def api(service: int, own_team: int, other_team: int, supervisor: int, **send) -> Row:
    """A bearer-token API route: no token and a forged one are 401."""
    return Row(401, 401, service, own_team, other_team, supervisor, **send)


def console(own_team: int, other_team: int, supervisor: int, *, anonymous: int = 303, **send) -> Row:
    """A console route (session cookie): no session, a forged one and the service token are not an agent's session,
    and a page sends them to the login form (303)."""
    return Row(anonymous, anonymous, anonymous, own_team, other_team, supervisor, **send)


MESSAGE = {"author": "agent", "body": "Hola, ya lo estoy revisando"}
CONSOLE_FORM = {"body": "Hola, ya lo estoy revisando", "kind": "reply"}

# Logging out ends every session of the agent, so the callers' tokens stop working after these.
LAST = {("POST", "/console/logout"), ("POST", "/api/v1/auth/logout")}

# (method, path as the app declares it) -> Row. {ticket_id} and {number} are a logistics ticket's.
ENDPOINTS: dict[tuple[str, str], Row] = {
    # --- ticket API ---
    ("POST", "/api/v1/tickets"): api(201, 201, 201, 201, json=new_ticket()),
    ("GET", "/api/v1/tickets"): api(200, 200, 200, 200),
    ("GET", "/api/v1/tickets/by-number/{number}"): api(200, 200, 404, 200),
    ("GET", "/api/v1/tickets/{ticket_id}"): api(200, 200, 404, 200),
    ("PATCH", "/api/v1/tickets/{ticket_id}"): api(200, 200, 404, 200, json={"priority": "high"}),
    ("POST", "/api/v1/tickets/{ticket_id}/messages"): api(201, 201, 404, 201, json=MESSAGE),
    # the customer's score comes from the bot; this ticket is not resolved, so the service gets 409
    ("POST", "/api/v1/tickets/{ticket_id}/csat"): api(409, 403, 403, 403, json={"score": 5}),
    # the bot's status lookup for a customer: service token only; a conversation that did not open the ticket gets 404
    ("POST", "/api/v1/ticket-lookup"): api(
        404, 403, 403, 403, json={"number": "T-000001", "conversation_id": "not-the-one-that-opened-it"}
    ),
    ("POST", "/api/v1/classify"): api(200, 200, 200, 200, json={"description": "no llega mi pedido"}),
    ("GET", "/api/v1/metrics"): api(200, 200, 200, 200),
    ("POST", "/api/v1/kb/gaps"): api(201, 201, 201, 201, json={"question": "¿venden drones?", "language": "es"}),
    ("GET", "/api/v1/kb/gaps"): api(200, 200, 200, 200),
    # --- the bot reports the conversations it handles (deflection): the service token only ---
    ("POST", "/api/v1/conversations"): api(201, 403, 403, 403, json={"conversation_id": "c-1", "language": "es"}),
    # --- the WhatsApp channel reports Meta's delivery statuses: the service token only (a wamid nobody sent: 200) ---
    ("POST", "/api/v1/channels/whatsapp/statuses"): api(
        200, 403, 403, 403, json={"statuses": [{"wamid": "wamid.NOBODY", "status": "delivered"}]}
    ),
    # --- privacy: supervisors only; the service token too is refused (docs/privacy.md says why) ---
    ("POST", "/api/v1/privacy/exports"): api(403, 403, 403, 200, json={"email": "nobody@example.org"}),
    ("POST", "/api/v1/privacy/erasures"): api(403, 403, 403, 200, json={"email": "nobody@example.org"}),
    ("GET", "/api/v1/privacy/requests"): api(403, 403, 403, 200),
    # --- agents ---
    ("POST", "/api/v1/auth/login"): same(200, json={"email": "laura@condorstore.cl", "password": "condor-demo"}),
    # logging out ends the agent's every session: these two rows run last (see LAST)
    ("POST", "/api/v1/auth/logout"): api(403, 204, 204, 204),
    ("GET", "/api/v1/agents/me"): api(403, 200, 200, 200),
    ("PUT", "/api/v1/agents/me/status"): api(403, 200, 200, 200, json={"status": "online"}),
    ("GET", "/api/v1/agents"): api(200, 200, 200, 200),
    # --- public: help center, demo store, widget files, API docs, health ---
    ("GET", "/help/{language}"): same(200),
    ("GET", "/help/assets/help.css"): same(200),
    ("GET", "/help/{language}/{article_id}"): same(200),
    ("GET", "/demo"): same(307),
    ("GET", "/demo/{language}"): same(200),
    ("GET", "/widget/v1/config"): same(200),
    ("GET", "/widget/v1/vendor/socket.io.esm.min.js"): same(200),
    ("GET", "/widget/v1/{name}"): same(200),
    ("GET", "/openapi.json"): same(200),
    ("GET", "/docs"): same(200),
    ("GET", "/docs/assets/{name}"): same(200),
    ("GET", "/"): same(307),
    ("GET", "/health"): same(200),
    # --- agent console (session cookie) ---
    ("GET", "/console/assets/{name}"): same(200),
    ("GET", "/console"): console(200, 200, 200, anonymous=200),  # the login form, or the queue
    ("POST", "/console/login"): same(403, form={"email": "laura@condorstore.cl", "password": "x"}),  # no login CSRF
    ("POST", "/console/logout"): console(303, 303, 303),
    ("POST", "/console/availability"): console(303, 303, 303, form={"status": "online"}),
    ("GET", "/console/events"): console(200, 200, 200, anonymous=401),  # a script's stream: no redirect
    ("GET", "/console/tickets/{number}"): console(200, 404, 200),
    ("GET", "/console/tickets/{number}/snippets"): console(200, 404, 200),
    ("POST", "/console/tickets/{number}/messages"): console(303, 404, 303, form=CONSOLE_FORM),
    ("POST", "/console/tickets/{number}/update"): console(
        303, 404, 303, form={"priority": "urgent", "reason": "the customer travels tomorrow"}
    ),
    ("GET", "/console/dashboard"): console(404, 404, 200),  # supervisors only; agents are not told it exists
    ("GET", "/console/dashboard.csv"): console(404, 404, 200),
    ("GET", "/console/kb"): console(200, 200, 200),
    ("POST", "/console/kb/gaps/handled"): console(303, 303, 303, form={"question": "¿venden drones?"}),
}
PATH_VALUES = {"language": "es", "article_id": "delivery-times", "name": None}
FILES = {
    "/console/assets/{name}": "console.css",
    "/widget/v1/{name}": "mostrador.js",
    "/docs/assets/{name}": "swagger-ui-bundle.js",
}


def routes_of(app) -> set[tuple[str, str]]:
    return {(m, r.path) for r in iter_routes(app) for m in (r.methods or ()) if m != "HEAD"}


def test_every_route_has_a_row_and_every_row_a_route(settings, business, knowledge_base, sessions):
    routes = routes_of(create_app(settings, business, knowledge_base, background=False))
    missing = sorted(routes - ENDPOINTS.keys())
    stale = sorted(ENDPOINTS.keys() - routes)
    message = "".join(
        f"\nno row for {method} {path}: add to ENDPOINTS in {__file__}\n"
        f'    ("{method}", "{path}"): api(service=..., own_team=..., other_team=..., supervisor=...),\n'
        "  (or same(status) for a public route, console(own_team, other_team, supervisor) for a console page;"
        " json=/form= the body to send) with the status each caller must get; another team's ticket is 404\n"
        for method, path in missing
    ) + "".join(f"\nrow for a route that no longer exists: {m} {p}" for m, p in stale)
    assert not missing and not stale, message


@pytest.fixture
def server(settings, business, knowledge_base, sessions):
    settings.bot_url = f"http://127.0.0.1:{free_port()}"  # agent replies go nowhere (a closed port)
    app = create_app(settings, business, knowledge_base, background=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline and thread.is_alive(), "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}", app
    server.should_exit = True
    thread.join(timeout=10)


def test_every_route_answers_each_caller_as_the_matrix_says(server, settings):
    url, app = server
    secret = settings.secret_key.get_secret_value()
    with httpx.Client(base_url=url, timeout=30) as http:
        tokens = {"none": None, "wrong": FORGED, "service": API_TOKEN}
        for caller, email in AGENTS.items():
            login = http.post("/api/v1/auth/login", json={"email": email, "password": "condor-demo"})
            tokens[caller] = login.json()["token"]
        created = http.post(
            "/api/v1/tickets", json=new_ticket(), headers={"Authorization": f"Bearer {API_TOKEN}"}
        ).json()
        assert created["team"] == "logistics"
        values = {**PATH_VALUES, "ticket_id": created["id"], "number": created["number"]}

        wrong = []
        for (method, path), row in sorted(ENDPOINTS.items(), key=lambda item: (item[0] in LAST, item[0][1])):
            target = path.format(**{**values, "name": FILES.get(path)})
            for caller in CALLERS:
                token = tokens[caller]
                headers, cookies = {}, {}
                if path.startswith("/console"):
                    if token:
                        cookies[SESSION_COOKIE] = token
                        headers["X-CSRF-Token"] = csrf_for(token, secret)
                elif token:
                    headers["Authorization"] = f"Bearer {token}"
                http.cookies.clear()
                with http.stream(
                    method,
                    target,
                    headers=headers,
                    cookies=cookies,
                    json=row.json,
                    data=row.form,
                    params=row.params,
                    follow_redirects=False,
                ) as response:  # streamed: the console's live events never end, the status is enough
                    status = response.status_code
                    if status != row.expected(caller):
                        said = "" if "event-stream" in response.headers.get("content-type", "") else response.read()
                        wrong.append(
                            f"{method} {path} as {caller}: got {status}, expected {row.expected(caller)}"
                            f" ({said[:160]!r})"
                        )
    assert not wrong, "\n".join(wrong)
