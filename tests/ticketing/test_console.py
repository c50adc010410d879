"""The agent console over HTTP: session cookie, CSRF, scoping, replies and notes, stale changes, escaping,
the dashboard's figures, the KB page. (Browser behaviour — live updates, shortcuts, axe — is in tests/e2e.)"""

import csv
import io
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.ticketing.conftest import AUTH, login, new_ticket
from ticketing.console.web import SESSION_COOKIE
from ticketing.migrate import upgrade


@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    """SQLite only: what is tested here is the console, not the database (the browser tests run on PostgreSQL in
    CI, and the services it calls are tested on both)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('console') / 'ticketing.db'}"
    upgrade(url)
    return url


def console_login(client, email: str, password: str = "condor-demo"):
    client.cookies.clear()
    page = client.get("/console")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    return client.post(
        "/console/login", data={"email": email, "password": password, "csrf": token}, follow_redirects=False
    )


def csrf_of(page_text: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', page_text)[1]


def create(client, **overrides) -> dict:
    response = client.post("/api/v1/tickets", json=new_ticket(**overrides), headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def test_the_login_form_has_the_contract_labels_in_both_languages(client):
    es = client.get("/console?lang=es").text
    assert '<label for="email">Correo</label>' in es and '<label for="password">Contraseña</label>' in es
    assert ">Entrar</button>" in es
    en = client.get("/console?lang=en").text
    assert '<label for="email">Email</label>' in en and ">Log in</button>" in en


def test_logging_in_sets_an_httponly_samesite_cookie_and_shows_the_queue(client):
    ticket = create(client)
    response = console_login(client, "luis@condorstore.cl")
    assert response.status_code == 303
    cookie = response.headers["set-cookie"]
    assert SESSION_COOKIE in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Secure" not in cookie  # plain HTTP here; over HTTPS the cookie is Secure
    page = client.get("/console?view=team")
    assert ticket["number"] in page.text


def test_a_wrong_password_is_refused_with_a_message_and_no_session(client):
    response = console_login(client, "luis@condorstore.cl", "wrong")
    assert response.status_code == 401
    assert "incorrect" in response.text.lower() or "wrong" in response.text.lower()
    assert SESSION_COOKIE not in response.headers.get("set-cookie", "")


def test_a_login_post_without_the_form_token_is_refused(client):
    response = client.post("/console/login", data={"email": "luis@condorstore.cl", "password": "condor-demo"})
    assert response.status_code == 403


def test_without_a_session_pages_send_the_browser_to_the_login_form(client):
    response = client.get("/console/tickets/T-000001", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/console?expired=1")


def test_another_teams_ticket_is_a_404_page(client):
    billing = create(client, description="Me cobraron dos veces la compra con tarjeta")
    assert billing["team"] == "billing"
    console_login(client, "luis@condorstore.cl")  # logistics
    response = client.get(f"/console/tickets/{billing['number']}")
    assert response.status_code == 404
    assert "text/html" in response.headers["content-type"]
    assert "Me cobraron" not in response.text


def test_a_post_without_the_csrf_token_changes_nothing(client):
    ticket = create(client)
    console_login(client, "luis@condorstore.cl")
    response = client.post(f"/console/tickets/{ticket['number']}/messages", data={"body": "hola", "action": "send"})
    assert response.status_code == 403
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()
    assert [m for m in detail["messages"] if m["author"] == "agent"] == []


def test_a_reply_is_public_a_note_is_internal_and_a_double_click_sends_once(client):
    ticket = create(client)
    console_login(client, "luis@condorstore.cl")
    page = client.get(f"/console/tickets/{ticket['number']}")
    assert 'for="reply">Responder</label>' in page.text and ">Enviar</button>" in page.text
    assert ">Agregar nota</button>" in page.text
    token = csrf_of(page.text)
    url = f"/console/tickets/{ticket['number']}/messages"
    for _ in range(2):
        client.post(url, data={"body": "Ya lo reviso", "action": "send", "csrf": token, "seen_status": "new"})
    client.post(url, data={"body": "cliente molesto, ojo", "action": "note", "csrf": token})
    messages = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["messages"]
    agent = [(m["body"], m["internal"]) for m in messages if m["author"] == "agent"]
    assert agent == [("Ya lo reviso", False), ("cliente molesto, ojo", True)]
    page = client.get(f"/console/tickets/{ticket['number']}").text
    assert 'class="msg msg-note' in page and "Nota interna" in page


def test_a_change_made_by_someone_else_meanwhile_is_explained_not_overwritten(client):
    ticket = create(client)
    luis = login(client, "luis@condorstore.cl")
    console_login(client, "laura@condorstore.cl")
    page = client.get(f"/console/tickets/{ticket['number']}?lang=en")
    token = csrf_of(page.text)
    client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=luis)
    response = client.post(
        f"/console/tickets/{ticket['number']}/update",
        data={"status": "pending", "seen_status": "new", "csrf": token},
    )
    assert response.status_code == 409
    assert "Someone changed this ticket" in response.text
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["status"] == "resolved"
    reply = client.post(
        f"/console/tickets/{ticket['number']}/messages",
        data={"body": "hola de nuevo", "action": "send", "csrf": token, "seen_status": "new"},
    )
    assert reply.status_code == 409 and "reopen it" in reply.text
    assert "hola de nuevo" in reply.text  # the draft is handed back, not lost


def test_an_invalid_transition_is_explained(client):
    ticket = create(client)
    console_login(client, "luis@condorstore.cl")
    token = csrf_of(client.get(f"/console/tickets/{ticket['number']}").text)
    response = client.post(
        f"/console/tickets/{ticket['number']}/update", data={"status": "closed", "seen_status": "new", "csrf": token}
    )
    assert response.status_code == 409 and "cannot become closed" in response.text


def test_customer_strings_are_escaped_in_the_queue_and_the_ticket(client):
    payload = '<img src=x onerror="alert(1)"><script>alert(2)</script>'
    ticket = create(client, customer={"name": payload, "email": "x@example.com"}, description=f"pedido {payload}")
    console_login(client, "ana@condorstore.cl")
    for url in ("/console?view=team", f"/console/tickets/{ticket['number']}"):
        text = client.get(url).text
        assert "<script>alert(2)" not in text and "<img src=x" not in text
        assert "&lt;script&gt;alert(2)" in text


def test_the_dashboard_is_for_supervisors_and_its_csv_equals_the_api(client):
    create(client)
    create(client, description="Me cobraron dos veces", channel="whatsapp")
    console_login(client, "luis@condorstore.cl")
    assert client.get("/console/dashboard").status_code == 404
    console_login(client, "ana@condorstore.cl")
    assert client.get("/console/dashboard").status_code == 200
    rows = dict(csv.reader(io.StringIO(client.get("/console/dashboard.csv").text)))
    api = client.get("/api/v1/metrics", headers=login(client, "ana@condorstore.cl")).json()
    assert int(rows["tickets"]) == api["tickets"] == 2
    for channel, count in api["volume"]["by_channel"].items():
        assert int(rows[f"volume.by_channel.{channel}"]) == count
    by_channel = dict(csv.reader(io.StringIO(client.get("/console/dashboard.csv?channel=whatsapp").text)))
    assert int(by_channel["tickets"]) == 1


def test_the_dashboard_names_categories_and_teams_as_the_business_file_does(client):
    create(client)
    console_login(client, "ana@condorstore.cl")
    page = client.get("/console/dashboard?lang=es").text
    facts = client.app.state.business.config.facts
    api = client.get("/api/v1/metrics", headers=login(client, "ana@condorstore.cl")).json()
    assert api["volume"]["by_category"]
    for category in api["volume"]["by_category"]:
        name = facts.category_names["es"][category]
        assert f"<td>{name}</td>" in page and f"<td>{category}</td>" not in page
    team, name = next(iter(facts.team_names["es"].items()))
    assert f">{name}</option>" in page and f">{team}</option>" not in page


def test_the_ticket_page_names_teams_and_past_tickets_categories_as_the_business_file_does(client):
    first = create(client)
    second = create(client)
    console_login(client, "ana@condorstore.cl")
    page = client.get(f"/console/tickets/{second['number']}?lang=es").text
    facts = client.app.state.business.config.facts
    team_name = facts.team_names["es"][second["team"]]
    assert f'<option value="{second["team"]}" selected>{team_name}</option>' in page
    assert f"· {facts.category_names['es'][first['category']]} ·" in page  # the customer's earlier ticket


def test_going_online_drains_the_team_queue(client):
    everyone = [login(client, f"{name}@condorstore.cl") for name in ("luis", "laura", "ana")]
    for headers in everyone:
        client.put("/api/v1/agents/me/status", json={"status": "offline"}, headers=headers)
    ticket = create(client)
    assert ticket["assignee"] is None
    console_login(client, "laura@condorstore.cl")  # no shift: on duty whenever she is online
    token = csrf_of(client.get("/console").text)
    response = client.post("/console/availability", data={"status": "online", "csrf": token})
    assert response.status_code == 200
    assert ticket["number"] in client.get("/console?view=mine").text


def test_an_editor_marks_a_gap_handled_and_previews_the_bot(client):
    client.post("/api/v1/kb/gaps", json={"question": "venden drones acuáticos?", "language": "es"}, headers=AUTH)
    console_login(client, "ana@condorstore.cl")
    page = client.get("/console/kb")
    assert "venden drones acuáticos?" in page.text
    client.post(
        "/console/kb/gaps/handled",
        data={"question": "venden drones acuáticos?", "language": "es", "csrf": csrf_of(page.text)},
    )
    assert "venden drones acuáticos?" not in client.get("/console/kb").text
    preview = client.get("/console/kb?q=cuánto demora el envío a regiones&qlang=es").text
    assert "delivery-times" in preview or "Plazos" in preview
    # Without a language picked, the question's own: Spanish words are tried on the Spanish articles.
    detected = client.get("/console/kb?q=cuánto demora el envío a regiones&lang=en").text
    assert "Plazos de entrega" in detected and "Detect (es)" in detected


@pytest.mark.parametrize("name", ["console.css", "console.js", "chart.umd.min.js"])
def test_the_console_serves_its_scripts_and_styles_as_files(client, name):
    response = client.get(f"/console/assets/{name}")
    assert response.status_code == 200 and len(response.content) > 500


def test_deflection_counts_the_conversations_the_bot_ended_without_a_ticket(client):
    for conversation in ("c1", "c2", "c3"):
        response = client.post(
            "/api/v1/conversations",
            json={"conversation_id": conversation, "language": "es", "channel": "web", "answered": True},
            headers=AUTH,
        )
        assert response.status_code == 201
    create(client, conversation_id="c3")  # the KB did not help: a ticket
    create(client, conversation_id="c4")  # asked for a person at once: never met the KB
    deflection = client.get("/api/v1/metrics", headers=AUTH).json()["deflection"]
    assert deflection == {"conversations": 4, "without_ticket": 2, "rate": 0.5}
    agent = login(client, "luis@condorstore.cl")
    refused = client.post("/api/v1/conversations", json={"conversation_id": "x", "language": "es"}, headers=agent)
    assert refused.status_code == 403


def test_logging_out_ends_the_session_everywhere_a_copied_cookie_included(client):
    assert console_login(client, "luis@condorstore.cl").status_code == 303
    stolen = client.cookies[SESSION_COOKIE]  # e.g. copied from a shared computer's browser
    api_token = login(client, "luis@condorstore.cl")  # the same agent's API session
    page = client.get("/console?view=team")
    response = client.post("/console/logout", data={"csrf": csrf_of(page.text)}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/console?bye=1"

    client.cookies.clear()
    client.cookies[SESSION_COOKIE] = stolen
    again = client.get("/console/tickets/T-000001", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"].startswith("/console?expired=1")
    assert client.get("/api/v1/agents/me", headers=api_token).status_code == 401
    # Logging in again works at once; another agent's sessions were never touched.
    assert console_login(client, "luis@condorstore.cl").status_code == 303
    assert 'action="/console/logout"' in client.get("/console?view=team").text  # the queue, not the login form


def test_the_api_logout_ends_the_token_and_is_for_agents_only(client):
    ana = login(client, "ana@condorstore.cl")
    luis = login(client, "luis@condorstore.cl")
    assert client.post("/api/v1/auth/logout", headers=AUTH).status_code == 403
    assert client.post("/api/v1/auth/logout", headers=ana).status_code == 204
    refused = client.get("/api/v1/agents/me", headers=ana)
    assert refused.status_code == 401 and "log in again" in refused.json()["detail"]
    assert client.get("/api/v1/agents/me", headers=luis).status_code == 200
    assert client.get("/api/v1/agents/me", headers=login(client, "ana@condorstore.cl")).status_code == 200


def whatsapp_console_ticket(client, clock, wrote_hours_ago: float) -> dict:
    from datetime import timedelta

    wrote = (clock.now - timedelta(hours=wrote_hours_ago)).isoformat()
    transcript = [{"sender": "customer", "text": "mi pedido no llega", "timestamp": wrote}]
    return create(client, channel="whatsapp", conversation_id="56912345678", transcript=transcript, received_at=wrote)


def window_text(page: str) -> str:
    found = re.search(r'<p id="whatsapp-window" class="window window-(\w+)" data-replies="\w+">(.*?)</p>', page, re.S)
    assert found, "no window notice on the page"
    return f"{found[1]}: {found[2].strip()}"


def test_a_whatsapp_ticket_shows_its_window_and_how_a_reply_goes(client, clock, business, monkeypatch):
    ticket = whatsapp_console_ticket(client, clock, wrote_hours_ago=2)
    console_login(client, "ana@condorstore.cl")
    page = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert window_text(page).startswith("text: WhatsApp: the 24-hour window is open until ")
    assert 'aria-describedby="reply-hint whatsapp-window"' in page  # read out with the reply box

    clock.advance(hours=23)
    page = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert "your reply will go as the approved template “condor_ticket_update”" in window_text(page)

    # The template's name comes from the business file: escaped like everything else.
    from ticketing.business.config import WhatsAppConfig, WhatsAppTemplateConfig

    odd = WhatsAppTemplateConfig(name="<script>alert(1)</script>", languages={"es": "es"}, parameters=[])
    monkeypatch.setattr(
        business,
        "config",
        business.config.model_copy(update={"whatsapp": WhatsAppConfig(templates={"agent_reply": odd})}),
    )
    page = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in window_text(page)

    monkeypatch.setattr(business, "config", business.config.model_copy(update={"whatsapp": WhatsAppConfig()}))
    page = client.get(f"/console/tickets/{ticket['number']}?lang=es").text
    assert window_text(page).startswith("undeliverable: WhatsApp: la ventana de 24 horas se cerró el ")
    assert "no se le puede entregar una respuesta hasta que el cliente vuelva a escribir" in page
    web = create(client)
    assert 'id="whatsapp-window"' not in client.get(f"/console/tickets/{web['number']}").text


def test_a_reply_shows_whatsapps_ticks_and_metas_reason_when_it_failed(client, clock, sessions):
    from sqlalchemy import select

    from ticketing.channels.models import OutboundMessage

    ticket = whatsapp_console_ticket(client, clock, wrote_hours_ago=1)
    for body in ("Sale hoy", "¿Sigues ahí?"):
        client.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": body}, headers=AUTH)
    with sessions() as session:
        first, second = session.scalars(
            select(OutboundMessage.id).where(OutboundMessage.ticket_id == ticket["id"]).order_by(OutboundMessage.id)
        ).all()
    statuses = [
        {"wamid": "wamid.ONE", "status": "sent", "outbound_id": first},
        {"wamid": "wamid.ONE", "status": "read"},
        {"wamid": "wamid.TWO", "status": "sent", "outbound_id": second},
        {"wamid": "wamid.TWO", "status": "failed", "errors": [{"code": 131026, "title": "Message undeliverable"}]},
    ]
    assert (
        client.post("/api/v1/channels/whatsapp/statuses", json={"statuses": statuses}, headers=AUTH).status_code == 200
    )
    console_login(client, "ana@condorstore.cl")
    page = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert re.search(r'data-whatsapp="read"><span aria-hidden="true">✓✓</span> read</span>', page)
    assert 'data-whatsapp="failed">WhatsApp did not deliver it</span>' in page
    assert '<p class="delivery-error">WhatsApp error 131026: Message undeliverable</p>' in page


def test_the_customers_rating_shows_on_the_ticket_escaped(client):
    ticket = create(client)
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=AUTH).status_code == 200
    comment = "<b>lento</b> pero amable"
    client.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 3, "comment": comment}, headers=AUTH)
    console_login(client, "ana@condorstore.cl")
    page = client.get(f"/console/tickets/{ticket['number']}").text
    assert 'data-csat="3">3/5 · «&lt;b&gt;lento&lt;/b&gt; pero amable»' in page and "<b>lento" not in page


def test_the_ticket_page_speaks_the_agents_language_and_the_business_timezone(client):
    ticket = create(client)
    console_login(client, "luis@condorstore.cl")
    es = client.get(f"/console/tickets/{ticket['number']}?lang=es").text
    # Names customers and agents read, from the business file, not the keys; timeline events in Spanish.
    assert (
        "<dd>Pedidos y envíos</dd>" in es and "<strong>clasificado</strong>" in es and "<strong>enrutado</strong>" in es
    )
    en = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert "<dd>Orders and shipping</dd>" in en and "<strong>classified</strong>" in en
    # Times in the business's timezone (Santiago in the demo file), not the server's (UTC here).
    received = datetime.fromisoformat(ticket["received_at"].replace("Z", "+00:00"))
    local = received.astimezone(ZoneInfo("America/Santiago")).strftime("%d-%m %H:%M")
    assert f">{local}</time>" in es


def test_priority_reasons_and_the_timeline_speak_the_agents_language(client):
    """The backend records its reasons in English (the API returns them so); a Spanish agent reads them in Spanish,
    with the business file's names for categories and teams, and an agent's own words as written."""
    ticket = create(client, description="ME COBRARON DOS VECES!! es urgente, necesito que me devuelvan la plata")
    change = {"priority": "low", "reason": "cliente llamó: era <b>una prueba</b>"}
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json=change, headers=AUTH).status_code == 200
    assert any("tickets start at" in r for r in ticket["priority_reasons"])  # the API keeps the recorded sentence
    console_login(client, "ana@condorstore.cl")  # a supervisor: every team's tickets
    facts = client.app.state.business.config.facts
    es = client.get(f"/console/tickets/{ticket['number']}?lang=es").text
    category, team = facts.category_names["es"][ticket["category"]], facts.team_names["es"][ticket["team"]]
    assert f"tipo: los tickets de {category} parten en" in es
    assert "urgencia: el cliente escribió «" in es and "tono negativo:" in es and "(+1)" in es
    assert "recibido por la web, en español" in es
    assert f"la categoría {category} va al equipo {team}" in es
    assert "a mano: " in es and "la cambió a baja" in es and "urgente → baja" in es and "política urgente" in es
    assert "cliente llamó: era &lt;b&gt;una prueba&lt;/b&gt;" in es  # the agent's reason, as written and escaped
    for english in ("tickets start at", "the customer wrote", "received on", "goes to team", "set to low by"):
        assert english not in es
    agent_names = {a.email: a.name for a in client.app.state.business.config.agents}
    assert f"agente: {agent_names[ticket['assignee']]}" in es  # the agent's name, not their email
    assert ">inglés</option>" in client.get("/console/dashboard?lang=es").text
    en = client.get(f"/console/tickets/{ticket['number']}?lang=en").text
    assert f"type: {facts.category_names['en'][ticket['category']]} tickets start at" in en
    assert "received on the web, in Spanish" in en and "by hand: set to low by" in en


def test_the_editors_preview_says_why_the_bot_would_not_answer_in_their_words(client):
    console_login(client, "ana@condorstore.cl")  # Spanish console
    fraud = client.get("/console/kb?q=me robaron la contraseña&qlang=es").text
    assert "siempre lo atiende una persona" in fraud and "(handoff)" not in fraud
    uncovered = client.get("/console/kb?q=venden bicicletas eléctricas plegables&qlang=es").text
    assert "ningún artículo cubre lo suficiente" in uncovered
    client.post("/api/v1/kb/gaps", json={"question": "arriendan proyectores?", "language": "es"}, headers=AUTH)
    gaps = client.get("/console/kb").text
    row = gaps[gaps.index("arriendan proyectores?") :]
    assert "<td>español</td>" in row[:600]
