"""`make bench-console`: the agent console with 10,000 tickets in the database.

Starts the real backend (uvicorn) on SQLite, and on PostgreSQL with two worker processes when TEST_POSTGRES_URL is
set; creates 10,000 tickets through the API; then measures, logged in as the demo supervisor (who sees every team):
- the queue page (HTML, first 50 of 10,000 by urgency) next to the same page of the JSON API (baseline, same query);
- event -> screen: in headless Chromium, how long from the API accepting a change to the console showing it
  without a reload (a new VIP ticket in the VIP queue; a customer's message on an open ticket page).
Goals (issue 14): queue page p95 <= 200 ms, event -> screen <= 2 s. Writes docs/benchmarks.md and, with
--screenshots, the console's screenshots in docs/console/.
"""

import argparse
import os
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import httpx
from common import ROOT, percentile, write_section

sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "scripts"))
from stack import BACKEND_PY, free_port

DESCRIPTIONS = [
    "Hola, mi pedido CS-4821937 no ha llegado y ya pasaron 5 días hábiles",
    "Me cobraron dos veces la compra del notebook, necesito que me devuelvan la plata",
    "My laptop won't connect to the wifi since the last update",
    "Quiero cambiar la dirección de despacho de mi pedido",
    "¿Tienen stock del iPhone 15 en la tienda de Providencia?",
    "I want to return the headphones, they are not what I expected",
    "No puedo entrar a mi cuenta, olvidé la contraseña",
    "The store in Viña was rude to me and nobody answers my complaint",
]
NAMES = ["Ana Pérez", "John Carter", "Valentina Rojas", "Diego Muñoz", "Emily Stone", "Camilo Araya", "Paula Vidal"]
SHOTS = ROOT / "docs" / "console"


def start_backend(database_url: str, token: str, workers: int) -> tuple[subprocess.Popen, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TICKETING_DATABASE_URL": database_url,
        "TICKETING_API_TOKEN": token,
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "TICKETING_SWEEP_INTERVAL_SECONDS": "30",
        "TICKETING_BOT_URL": "http://127.0.0.1:9",  # no bot here: replies are recorded, delivery fails
    }
    for command in ("migrate", "load-demo"):
        subprocess.run([str(BACKEND_PY), "-m", "ticketing.cli", command], env=env, cwd=ROOT, check=True)
    port = free_port()
    process = subprocess.Popen(
        [str(BACKEND_PY), "-m", "ticketing.cli", "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.3)
    process.kill()
    raise SystemExit("the backend did not start")


def ticket_body(i: int, vip: bool = False) -> dict:
    return {
        "customer": {
            "name": NAMES[i % len(NAMES)],
            "email": f"c{i}.{uuid.uuid4().hex[:4]}@example.com",
            "plan": "vip" if vip else "standard",
        },
        "description": DESCRIPTIONS[i % len(DESCRIPTIONS)],
        "channel": ("web", "whatsapp", "email")[i % 3],
        "language": "en" if DESCRIPTIONS[i % len(DESCRIPTIONS)][0] in "MIT" else "es",
        "consent": True,
    }


def seed(database_url: str, count: int, batch: int = 200) -> None:
    """Create the tickets with the backend's own intake (classify, prioritise, route, SLA), in batches of 200: the
    same rows as through the API, in seconds rather than the minutes 10,000 HTTP requests take on this machine."""
    from datetime import UTC, datetime

    from ticketing.business.runtime import Business
    from ticketing.db import make_engine, session_factory
    from ticketing.settings import Settings
    from ticketing.tickets import intake
    from ticketing.tickets.schemas import TicketIn

    business = Business.load(Settings(api_token="x", secret_key="x", _env_file=None).business_config)
    engine = make_engine(database_url)
    sessions = session_factory(engine)
    for start in range(0, count, batch):
        now = datetime.now(UTC)
        drafts = [
            intake.prepare(TicketIn(**ticket_body(i)), business, actor="bench", idempotency_key=None, now=now)
            for i in range(start, min(count, start + batch))
        ]
        with sessions() as session:
            for outcome in intake.create_tickets(session, business, drafts):
                if isinstance(outcome, Exception):
                    raise outcome
    # What PostgreSQL's autovacuum does after a bulk change (and what SQLite needs to be told): fresh planner
    # statistics. Right after 10,000 inserts the planner still believes the table is nearly empty and joins and
    # sorts every open ticket instead of reading the urgency index (85 ms instead of 0.3 ms for the query).
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    engine.dispose()


def console_client(url: str, email: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=30, follow_redirects=True)
    page = client.get("/console")
    token = re.search(r'name="csrf" value="([^"]+)"', page.text)[1]
    response = client.post("/console/login", data={"email": email, "password": "condor-demo", "csrf": token})
    response.raise_for_status()
    return client


def timed(get, n: int) -> list[float]:
    latencies = []
    for _ in range(n):
        start = time.perf_counter()
        response = get()
        latencies.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:200]
    return latencies


def page_latency(url: str, token: str, n: int) -> dict:
    console = console_client(url, "ana@condorstore.cl")
    bearer = httpx.post(f"{url}/api/v1/auth/login", json={"email": "ana@condorstore.cl", "password": "condor-demo"})
    api = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {bearer.json()['token']}"}, timeout=30)
    status = "new,open,pending"
    for _ in range(3):  # warm up
        console.get("/console?view=team")
        api.get("/api/v1/tickets", params={"limit": 50, "status": status})
    out = {}
    # Side by side, interleaved in rounds so both see the same machine.
    page, baseline, at_risk = [], [], []
    for _ in range(n // 10):
        page += timed(lambda: console.get("/console?view=team"), 10)
        baseline += timed(lambda: api.get("/api/v1/tickets", params={"limit": 50, "status": status}), 10)
        at_risk += timed(lambda: console.get("/console?view=at_risk"), 10)
    for name, values in (
        ("queue page (HTML)", page),
        ("API page (JSON, baseline)", baseline),
        ("at-risk queue", at_risk),
    ):
        out[name] = {"p50": statistics.median(values), "p95": percentile(values, 95)}
    return out


def event_to_screen(url: str, token: str, rounds: int, screenshots: bool) -> dict:
    from playwright.sync_api import sync_playwright

    headers = {"Authorization": f"Bearer {token}"}
    api = httpx.Client(base_url=url, headers=headers, timeout=30)
    arrivals, messages = [], []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path="/usr/bin/chromium",
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        page = browser.new_context(viewport={"width": 1440, "height": 900}, locale="es-CL").new_page()
        page.goto(f"{url}/console?lang=es")
        page.get_by_label("Correo").fill("ana@condorstore.cl")
        page.get_by_label("Contraseña").fill("condor-demo")
        page.get_by_role("button", name="Entrar").click()
        page.wait_for_selector("#queue")
        # A new VIP ticket in the VIP queue.
        page.goto(f"{url}/console?view=vip")
        page.locator("body[data-live='on']").wait_for(state="attached")  # not wait_for_function: the CSP forbids eval
        for i in range(rounds):
            start = time.perf_counter()
            number = api.post("/api/v1/tickets", json=ticket_body(i, vip=True)).json()["number"]
            page.locator(f'#queue-body tr[data-number="{number}"]').wait_for(timeout=20_000)
            arrivals.append((time.perf_counter() - start) * 1000)
        # A customer's message on the ticket page the agent has open.
        ticket = api.get("/api/v1/tickets", params={"limit": 1, "status": "new"}).json()["items"][0]
        page.goto(f"{url}/console/tickets/{ticket['number']}")
        page.locator("body[data-live='on']").wait_for(state="attached")
        for i in range(rounds):
            text = f"¿Alguna novedad? ({i}-{uuid.uuid4().hex[:4]})"
            start = time.perf_counter()
            api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "customer", "body": text})
            page.get_by_text(text).wait_for(timeout=20_000)
            messages.append((time.perf_counter() - start) * 1000)
        if screenshots:
            take_screenshots(page, url, api)
        browser.close()
    return {
        "new ticket -> VIP queue": {"p50": statistics.median(arrivals), "p95": percentile(arrivals, 95)},
        "customer message -> open ticket": {"p50": statistics.median(messages), "p95": percentile(messages, 95)},
    }


def take_screenshots(page, url: str, api: httpx.Client) -> None:
    """The queue, a ticket worked by an agent, and the dashboard, as docs/console.md shows them."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    created = api.post(
        "/api/v1/tickets",
        json={
            "customer": {"name": "Valentina Rojas", "email": "valentina@example.com", "plan": "vip"},
            "description": "Me cobraron dos veces la compra del notebook, necesito que me devuelvan la plata urgente",
            "channel": "web",
            "language": "es",
            "consent": True,
            "order_number": "CS-4821937",
            "conversation_id": "demo-valentina",
            "transcript": [
                {"sender": "customer", "text": "hola, me cobraron dos veces", "timestamp": "2026-12-02T13:00:00Z"},
                {
                    "sender": "bot",
                    "text": "Lo siento. Si ves dos cargos, uno suele ser una retención que se libera sola en 48 horas.",
                    "timestamp": "2026-12-02T13:00:02Z",
                },
                {
                    "sender": "customer",
                    "text": "no, son dos cargos reales. quiero hablar con una persona",
                    "timestamp": "2026-12-02T13:00:30Z",
                },
                {
                    "sender": "bot",
                    "text": "Te paso con una persona. ¿Cuál es tu nombre?",
                    "timestamp": "2026-12-02T13:00:31Z",
                },
            ],
        },
    ).json()
    ana = httpx.post(f"{url}/api/v1/auth/login", json={"email": "ana@condorstore.cl", "password": "condor-demo"})
    agent = {"Authorization": f"Bearer {ana.json()['token']}"}
    httpx.post(
        f"{url}/api/v1/tickets/{created['id']}/messages",
        json={"author": "agent", "body": "Revisé con el banco: vemos los dos cargos.", "internal": True},
        headers=agent,
    )
    page.goto(f"{url}/console?view=team")
    page.screenshot(path=str(SHOTS / "queue.png"))
    page.goto(f"{url}/console/tickets/{created['number']}")
    page.get_by_role("textbox", name="Responder").fill("Hola Valentina, ya confirmamos el cobro duplicado.")
    page.get_by_role("button", name="Enviar").click()
    page.wait_for_url(re.compile("m=sent"))
    page.screenshot(path=str(SHOTS / "ticket.png"), full_page=True)
    page.goto(f"{url}/console/dashboard")
    page.wait_for_timeout(1500)
    page.screenshot(path=str(SHOTS / "dashboard.png"), full_page=True)


def run(database_url: str, label: str, workers: int, tickets: int, n: int, rounds: int, screenshots: bool) -> str:
    token = secrets.token_urlsafe(16)
    process, url = start_backend(database_url, token, workers)
    try:
        started = time.perf_counter()
        seed(database_url, tickets)
        print(f"{label}: {tickets} tickets in {time.perf_counter() - started:.0f}s", flush=True)
        pages = page_latency(url, token, n)
        live = event_to_screen(url, token, rounds, screenshots)
    finally:
        process.terminate()
        process.wait(timeout=20)
    load = os.getloadavg()[0]
    base = pages["API page (JSON, baseline)"]["p95"]
    lines = [f"| {label} | what | p50 ms | p95 ms | p95 vs API page |", "|---|---|---|---|---|"]
    for name, figures in pages.items():
        lines.append(f"| | {name} | {figures['p50']:.0f} | {figures['p95']:.0f} | {figures['p95'] / base:.2f}x |")
    for name, figures in live.items():
        lines.append(f"| | event -> screen: {name} | {figures['p50']:.0f} | {figures['p95']:.0f} | |")
    lines.append(f"\n(1-minute load average at the end of the run: {load:.1f} on {os.cpu_count()} cores)")
    table = "\n".join(lines)
    print(table, flush=True)
    return table


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--screenshots", action="store_true")
    args = parser.parse_args()
    tables = []
    with tempfile.TemporaryDirectory() as workdir:
        sqlite = f"sqlite:///{Path(workdir) / 'bench.db'}"
        tables.append(run(sqlite, "SQLite, 1 process", 1, args.tickets, args.requests, args.rounds, args.screenshots))
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if admin_url:
        from sqlalchemy import create_engine, text
        from sqlalchemy.engine import make_url

        name = f"mostrador_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
            tables.append(run(url, "PostgreSQL, 2 processes", 2, args.tickets, args.requests, args.rounds, False))
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    body = f"""Command: `make bench-console` (`cd benchmarks && ../.venv/backend/bin/python console_bench.py`;
`TEST_POSTGRES_URL` adds PostgreSQL with two backend processes, where the change and the console's page are served by
different processes about half the time, so live updates cross processes through LISTEN/NOTIFY).
{args.tickets:,} tickets created first by the backend's intake (classified, prioritised, routed, under SLA, as through
the API), then ANALYZE; logged in as the supervisor (all teams); the queue page is
the first 50 open tickets by urgency, rendered as HTML, next to the same query through the JSON API (baseline),
{args.requests} requests each, interleaved. Event -> screen: headless Chromium with the page open, from the API call
that makes the change to the row or message being on screen, {args.rounds} rounds each. Goals: queue page p95
<= 200 ms, event -> screen <= 2 s.

""" + "\n\n".join(tables)
    write_section("Agent console", body)


if __name__ == "__main__":
    main()
