"""The agent console in a real browser (Debian's Chromium) against the session's three real processes."""

import re
import time
import uuid

import httpx
import pytest

from tests.e2e.browser import axe_violations, new_page

PASSWORD = "condor-demo"
XSS = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'


@pytest.fixture(autouse=True)
def no_policy_violations(page):
    """Every console page runs under the backend's Content-Security-Policy: nothing it refuses may be on the page."""
    refused = []
    page.on(
        "console", lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None
    )
    yield
    assert refused == []


def console_url(stack) -> str:
    return f"http://127.0.0.1:{stack.ports.ticketing}/console"


def log_in(page, stack, email: str, language: str = "en") -> None:
    page.context.clear_cookies()
    page.goto(f"{console_url(stack)}?lang={language}")
    if language == "en":
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
    else:
        page.get_by_label("Correo").fill(email)
        page.get_by_label("Contraseña").fill(PASSWORD)
        page.get_by_role("button", name="Entrar").click()
    page.wait_for_selector("#queue")


def api_as(stack, email: str) -> httpx.Client:
    base = f"http://127.0.0.1:{stack.ports.ticketing}"
    token = httpx.post(f"{base}/api/v1/auth/login", json={"email": email, "password": PASSWORD}).json()["token"]
    return httpx.Client(base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=30)


def test_a_ticket_from_the_bot_arrives_live_and_the_agent_replies_notes_and_resolves(page, stack, rasa_url, api):
    inbox = stack.inbox
    sender = f"console-{uuid.uuid4().hex[:8]}"
    email = f"marta.{uuid.uuid4().hex[:6]}@example.com"
    log_in(page, stack, "tomas@condorstore.cl")
    page.goto(f"{console_url(stack)}?view=team")
    page.locator("body[data-live='on']").wait_for(state="attached")

    def say(text: str) -> None:
        response = httpx.post(
            f"{rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        assert response.status_code == 200

    for message in ("I want to talk to a person", "Marta Gil", email, "skip", "My laptop does not turn on", "yes"):
        say(message)
    texts = inbox.wait_for(sender, lambda t: any("Your ticket is T-" in x for x in t))
    number = re.search(r"T-\d{6,}", next(x for x in texts if "Your ticket is T-" in x))[0]
    created = time.monotonic()
    # Live: the row appears without a reload, with the assignee the backend chose.
    row = page.locator(f'#queue-body tr[data-number="{number}"]')
    row.wait_for(timeout=10_000)
    arrival = time.monotonic() - created
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    assert ticket["team"] == "tech"
    assert arrival < 5, f"the new ticket took {arrival:.1f}s to appear"

    page.get_by_role("link", name=number).click()
    page.wait_for_selector(".ticket")
    assert "My laptop does not turn on" in page.locator(".ticket-main").inner_text()
    assert page.locator(".msg-bot").count() >= 1  # the bot's conversation is the ticket's first page

    # A public reply reaches the customer's conversation; its delivery shows on the message.
    reply = f"Hi Marta, hold the power button for 15 seconds ({uuid.uuid4().hex[:4]})."
    page.get_by_role("textbox", name="Reply").fill(reply)
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"m=sent"))
    inbox.wait_for(sender, lambda t: any(reply in x for x in t))
    page.locator(".msg-agent .delivery-delivered").first.wait_for(timeout=15_000)

    # An internal note stays internal: shown as a note, never sent to the customer.
    note = f"Customer sounds upset, check warranty ({uuid.uuid4().hex[:4]})"
    page.get_by_role("textbox", name="Reply").fill(note)
    page.get_by_role("button", name="Add note").click()
    page.wait_for_url(re.compile(r"m=noted"))
    assert note in page.locator(".msg-note").last.inner_text()
    detail = api.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert [m["internal"] for m in detail["messages"] if m["body"] == note] == [True]

    # Resolve: the bot asks the customer for a score.
    page.get_by_role("button", name="Resolve").click()
    page.wait_for_url(re.compile(r"m=updated"))
    inbox.wait_for(sender, lambda t: any("From 1 to 5" in x for x in t))
    time.sleep(1)
    assert not any(note in x for x in inbox.texts_for(sender))


def test_another_teams_ticket_is_refused_and_customer_text_is_inert(page, stack, api):
    created = api.post(
        "/api/v1/tickets",
        json={
            "customer": {"name": f"Eve {XSS}", "email": f"eve.{uuid.uuid4().hex[:6]}@example.com"},
            "description": f"Me cobraron dos veces la compra {XSS}",
            "channel": "web",
            "language": "es",
            "consent": True,
        },
    ).json()
    assert created["team"] == "billing"
    api.post("/api/v1/kb/gaps", json={"question": f"venden {XSS}", "language": "es"})
    page.on("dialog", lambda dialog: pytest.fail(f"a dialog opened: {dialog.message}"))

    log_in(page, stack, "tomas@condorstore.cl")  # tech
    response = page.goto(f"{console_url(stack)}/tickets/{created['number']}")
    assert response.status == 404
    assert page.get_by_role("heading", name="Page not found").is_visible()
    assert "cobraron" not in page.content()

    log_in(page, stack, "bruno@condorstore.cl", language="es")  # billing
    page.goto(f"{console_url(stack)}?view=team")
    assert XSS in page.locator(f'tr[data-number="{created["number"]}"]').inner_text()
    page.goto(f"{console_url(stack)}/tickets/{created['number']}")
    assert f"Me cobraron dos veces la compra {XSS}" in page.locator(".ticket-main").inner_text()
    page.goto(f"{console_url(stack)}/kb")
    assert f"venden {XSS}" in page.locator("main").inner_text()
    assert page.evaluate("window.__xss") is None


def test_queue_ticket_and_dashboard_have_no_serious_accessibility_violations(page, stack, api):
    ticket = api.get("/api/v1/tickets", params={"limit": 1}).json()["items"][0]
    log_in(page, stack, "ana@condorstore.cl")
    page.goto(f"{console_url(stack)}?view=team")
    assert axe_violations(page) == []
    page.goto(f"{console_url(stack)}/tickets/{ticket['number']}")
    assert axe_violations(page) == []
    page.goto(f"{console_url(stack)}/dashboard")
    page.locator("canvas").first.wait_for(state="attached")
    assert axe_violations(page) == []


def test_the_dashboard_shows_the_same_figures_as_the_metrics_api(page, stack):
    supervisor = api_as(stack, "ana@condorstore.cl")
    log_in(page, stack, "ana@condorstore.cl")
    page.goto(f"{console_url(stack)}/dashboard")
    figures = supervisor.get("/api/v1/metrics").json()
    shown = {el.get_attribute("data-metric"): el.inner_text() for el in page.locator("[data-metric]").all()}
    assert int(shown["tickets"]) == figures["tickets"] > 0
    assert int(shown["csat.answers"]) == figures["csat"]["answers"]
    median = figures["first_response"]["median_minutes"]
    assert shown["first_response.median_minutes"] == (str(median) if median is not None else "—")
    csv_text = page.request.get(f"{console_url(stack)}/dashboard.csv").text()
    rows = dict(line.split(",", 1) for line in csv_text.strip().splitlines()[1:])
    assert int(rows["tickets"]) == figures["tickets"]
    for category, count in figures["volume"]["by_category"].items():
        assert int(rows[f"volume.by_category.{category}"]) == count


def test_going_online_drains_the_team_queue_to_the_agent(page, stack, api):
    ana, sofia = api_as(stack, "ana@condorstore.cl"), api_as(stack, "sofia@condorstore.cl")
    try:
        for agent in (ana, sofia):
            assert agent.put("/api/v1/agents/me/status", json={"status": "offline"}).status_code == 200
        waiting = api.post(
            "/api/v1/tickets",
            json={
                "customer": {"name": "Pablo Ruiz", "email": f"pablo.{uuid.uuid4().hex[:6]}@example.com"},
                "description": "Quiero cotizar 20 notebooks para mi empresa, ¿tienen descuento por volumen?",
                "channel": "web",
                "language": "es",
                "consent": True,
            },
        ).json()
        assert waiting["team"] == "sales" and waiting["assignee"] is None
        log_in(page, stack, "sofia@condorstore.cl", language="es")
        page.goto(f"{console_url(stack)}?view=mine")
        assert page.locator(f'tr[data-number="{waiting["number"]}"]').count() == 0
        page.get_by_label("Disponibilidad").select_option("online")
        page.wait_for_url(re.compile(r"m=drained"))
        page.locator(f'#queue-body tr[data-number="{waiting["number"]}"]').wait_for()
        assert "Sofía León" in page.locator(f'tr[data-number="{waiting["number"]}"]').inner_text()
    finally:
        ana.put("/api/v1/agents/me/status", json={"status": "online"})
        sofia.put("/api/v1/agents/me/status", json={"status": "online"})


def test_saved_replies_come_with_a_slash_and_shortcuts_are_listed_on_question_mark(page, stack, api):
    created = api.post(
        "/api/v1/tickets",
        json={
            "customer": {"name": "Rosa Díaz", "email": f"rosa.{uuid.uuid4().hex[:6]}@example.com"},
            "description": "Mi pedido no ha llegado y ya pasó una semana",
            "channel": "web",
            "language": "es",
            "consent": True,
        },
    ).json()
    log_in(page, stack, "luis@condorstore.cl", language="es")
    page.goto(f"{console_url(stack)}/tickets/{created['number']}")
    reply = page.get_by_role("textbox", name="Responder")
    reply.click()
    reply.press_sequentially("/Pedido en")
    page.get_by_role("option", name=re.compile("Pedido en camino")).wait_for()
    reply.press("Enter")
    assert reply.input_value() == "Tu pedido ya va en camino. Puedes seguirlo con el código que te enviamos por correo."
    reply.press("Escape")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Atajos de teclado")
    assert dialog.is_visible() and "Resolver el ticket" in dialog.inner_text()


def test_on_a_phone_the_queue_ticket_dashboard_and_kb_page_fit_the_screen(browser, stack, api):
    ticket = api.get("/api/v1/tickets", params={"limit": 1}).json()["items"]
    api.post("/api/v1/kb/gaps", json={"question": "¿venden repuestos para bicicletas eléctricas?", "language": "es"})
    phone = new_page(browser, mobile=True)
    log_in(phone, stack, "ana@condorstore.cl", language="es")
    pages = [f"{console_url(stack)}?view=team", f"{console_url(stack)}/dashboard"]
    pages.append(f"{console_url(stack)}/kb?q=mi+cuenta&qlang=es")  # the preview's table and the unanswered ones
    pages += [f"{console_url(stack)}/tickets/{t['number']}" for t in ticket]
    for url in pages:
        phone.goto(url)
        # Wide tables scroll inside their box; the page itself never scrolls sideways.
        width = phone.evaluate("document.documentElement.clientWidth")
        assert phone.evaluate("document.documentElement.scrollWidth") <= width, url
        assert axe_violations(phone) == [], url
    phone.context.close()
