"""Two Rasa servers behind a round-robin proxy, sharing the PostgreSQL tracker store and the Redis lock store (the
compose deployment's endpoints): 100 customers at once, each asking a KB question and going through the ticket form,
every turn answered in order for its own conversation, and every agent reply said once in its conversation.

A stack of its own (backend and action server on a fresh PostgreSQL database, two Rasa servers on a fresh tracker
database) so the session stack's SQLite tracker store is left alone. The proxy is a few lines of asyncio: each TCP
connection goes to the next server in turn, and customers open a connection per message, so one conversation's
turns land on both servers.
"""

import asyncio
import itertools
import os
import secrets
import sys
import threading
import time
import uuid
from collections import Counter
from dataclasses import replace
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ticketing.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from stack import BACKEND_PY, Ports, Stack, free_port

CUSTOMERS = int(os.environ.get("MOSTRADOR_RR_CUSTOMERS", "100"))

pytestmark = pytest.mark.skipif(
    not (os.environ.get("TEST_POSTGRES_URL") and os.environ.get("TEST_REDIS_URL")),
    reason="two Rasa servers share a PostgreSQL tracker store and a Redis lock store (TEST_POSTGRES_URL, TEST_REDIS_URL)",
)


class RoundRobinProxy:
    """A TCP proxy: each new connection goes to the next upstream port in turn; it counts connections per port."""

    def __init__(self, ports: list[int]):
        self.ports, self.turn, self.connections = ports, itertools.count(), Counter()
        self.port = free_port()
        self.loop = asyncio.new_event_loop()
        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self.loop)
            self.server = self.loop.run_until_complete(asyncio.start_server(self._serve, "127.0.0.1", self.port))
            ready.set()
            self.loop.run_forever()

        threading.Thread(target=run, daemon=True).start()
        ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    async def _serve(self, client_reader, client_writer) -> None:
        port = self.ports[next(self.turn) % len(self.ports)]
        self.connections[port] += 1
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            client_writer.close()
            return

        async def pipe(reader, writer) -> None:
            try:
                while data := await reader.read(65536):
                    writer.write(data)
                    await writer.drain()
            except (ConnectionError, OSError):
                pass
            finally:
                writer.close()

        await asyncio.gather(pipe(client_reader, upstream_writer), pipe(upstream_reader, client_writer))

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.server.close)
        self.loop.call_soon_threadsafe(self.loop.stop)


def _create_database(admin_url: str, prefix: str) -> str:
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return name


def _drop_database(admin_url: str, name: str) -> None:
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """Backend, action server and two Rasa servers (PostgreSQL tracker store, Redis locks) behind the proxy."""
    import subprocess

    admin_url = os.environ["TEST_POSTGRES_URL"]
    var = tmp_path_factory.mktemp("cluster")
    backend_db, tracker_db = _create_database(admin_url, "mostrador_rr"), _create_database(admin_url, "tracker_rr")
    pg, redis = make_url(admin_url), urlparse(os.environ["TEST_REDIS_URL"])
    (var / "endpoints.yml").write_text(
        "\n".join(
            [
                "action_endpoint:",
                "  url: ${BOT_ACTIONS_URL}",
                "  enable_selective_domain: true",
                "tracker_store:",  # as in bot/endpoints.compose.yml
                "  type: mostrador_nlu.tracker_store.PrivateSQLTrackerStore",
                "  dialect: postgresql",
                f"  url: {pg.host}",
                f"  port: {pg.port or 5432}",
                f"  db: {tracker_db}",
                f"  username: {pg.username}",
                *([f"  password: {pg.password}"] if pg.password else []),
                "lock_store:",
                "  type: redis",
                f"  url: {redis.hostname}",
                f"  port: {redis.port or 6379}",
                f"  db: {(redis.path or '/0').lstrip('/') or 0}",
                f"  key_prefix: rr{uuid.uuid4().hex[:6]}",
            ]
        )
        + "\n"
    )
    (var / "credentials.yml").write_text("mostrador_nlu.rest_channel.RestChannel:\n")
    env = {
        "TICKETING_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "BOT_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_DATABASE_URL": pg.set(database=backend_db).render_as_string(False),
        "BOT_ENDPOINTS": str(var / "endpoints.yml"),
        "BOT_CREDENTIALS": str(var / "credentials.yml"),
    }
    env["ACTIONS_TICKETING_TOKEN"] = env["TICKETING_API_TOKEN"]
    run_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    for command in ("migrate", "load-demo"):
        subprocess.run([str(BACKEND_PY), "-m", "ticketing.cli", command], env=run_env, check=True, cwd=REPO_ROOT)

    ports = Ports(ticketing=free_port(), actions=free_port(), rasa=free_port())
    second = free_port()
    proxy = RoundRobinProxy([ports.rasa, second])
    processes = Stack(env, ports, var)
    rasa = processes.service("rasa")
    command = [str(second) if part == str(ports.rasa) else part for part in rasa.command]
    processes.services.append(
        replace(
            rasa,
            name="rasa-2",
            command=command,
            health_url=rasa.health_url.replace(str(ports.rasa), str(second)),
            process=None,
            log=[],
        )
    )
    # The backend delivers agent replies, and the action server announces late tickets, through the proxy.
    processes.service("ticketing").env["TICKETING_BOT_URL"] = proxy.url
    processes.service("actions").env["ACTIONS_BOT_URL"] = proxy.url
    processes.start()
    try:
        processes.wait_healthy(timeout=300)
        yield processes, proxy
    finally:
        processes.stop()
        proxy.close()
        _drop_database(admin_url, backend_db)
        _drop_database(admin_url, tracker_db)


def script(n: int, run: str) -> list[tuple[str, str]]:
    """One customer's turns, each with what the bot's answer must contain (a KB article id: `kb:<id>`)."""
    return [
        ("how long does delivery to other regions take?", "kb:delivery-times"),
        ("I want to talk to a person", "What's your name?"),
        ("Mary Jones", "What email"),  # the same name for all: what the bot makes of a name is not in question here
        (f"c{n}.{run}@example.com", "order number"),
        ("skip", "Tell me briefly"),
        (f"My parcel number {n} from run {run} never arrived", "Last step"),
        ("yes", "Your ticket is T-"),
    ]


async def converse(client: httpx.AsyncClient, rasa_url: str, sender: str, turns) -> list[str]:
    """Say each turn and check the answer; return the problems found (none when all is well)."""
    problems = []
    for said, expected in turns:
        response = await client.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": said})
        replies = response.json() if response.status_code == 200 else []
        if expected.startswith("kb:"):
            ok = expected[3:] in [r.get("custom", {}).get("kb_article", {}).get("id") for r in replies]
        else:
            ok = any(expected in (r.get("text") or "") for r in replies)
        if not ok:
            problems.append(f"{sender}: after {said!r} expected {expected!r}, got {response.status_code} {replies}")
    return problems


def test_a_hundred_customers_through_two_rasa_servers_lose_no_turn_and_get_each_reply_once(cluster):
    processes, proxy = cluster
    token = processes.env["BOT_API_TOKEN"]
    api = httpx.Client(
        base_url=f"http://127.0.0.1:{processes.ports.ticketing}",
        headers={"Authorization": f"Bearer {processes.env['TICKETING_API_TOKEN']}"},
        timeout=60,
    )
    run = uuid.uuid4().hex[:6]
    senders = {n: f"rr-{run}-{n}" for n in range(CUSTOMERS)}

    async def everyone() -> list[str]:
        # No kept-alive connections: every message is a new connection, so the proxy alternates servers per turn.
        limits = httpx.Limits(max_connections=CUSTOMERS, max_keepalive_connections=0)
        async with httpx.AsyncClient(timeout=180, limits=limits) as client:
            results = await asyncio.gather(
                *(converse(client, proxy.url, senders[n], script(n, run)) for n in range(CUSTOMERS))
            )
        return [problem for problems in results for problem in problems]

    started = time.monotonic()
    # In a thread of its own: the browser tests of the session leave an event loop on this one.
    outcome: list[list[str]] = []
    worker = threading.Thread(target=lambda: outcome.append(asyncio.run(everyone())))
    worker.start()
    worker.join()
    assert outcome, "the customers' run raised; see the log above"
    problems = outcome[0]
    took = time.monotonic() - started
    errors = [
        f"[{s.name}] {line}" for s in processes.services for line in s.log if "rror" in line or "xception" in line
    ]
    assert problems == [], f"{len(problems)} turns went wrong: {problems}; logs: {errors[-15:]}"
    both = [proxy.connections[port] for port in proxy.ports]
    assert min(both) >= 0.3 * sum(both), f"the proxy spread connections unevenly: {both}"

    # An agent answers every ticket (its number was in the last answer); the backend delivers through the proxy.
    replies, tickets = {n: f"Agent reply {n} for run {run}" for n in senders}, {}
    for n in senders:
        (ticket,) = api.get("/api/v1/tickets", params={"customer_email": f"c{n}.{run}@example.com"}).json()["items"]
        assert ticket["conversation_id"] == senders[n] and f"number {n} from run {run}" in ticket["description"]
        tickets[n] = ticket["id"]
        sent = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": replies[n]})
        assert sent.status_code == 201
    database = create_engine(processes.env["TICKETING_DATABASE_URL"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        with database.connect() as connection:
            statuses = dict(
                connection.execute(text("SELECT status, count(*) FROM outbound_message GROUP BY status")).all()
            )
        if statuses.get("delivered") == CUSTOMERS or statuses.get("failed"):
            break
        time.sleep(1)
    database.dispose()
    assert statuses == {"delivered": CUSTOMERS}

    # Each conversation, as the shared tracker store holds it: exactly the customer's turns, in order, nobody
    # else's, and its agent reply once.
    for n, sender in senders.items():
        events = httpx.get(f"{proxy.url}/conversations/{sender}/tracker", params={"token": token}, timeout=60).json()
        said = [e.get("text") for e in events["events"] if e.get("event") == "user"]
        assert said == [turn for turn, _ in script(n, run)] + ["EXTERNAL: agent_reply"], f"{sender}: {said}"
        bot = [e.get("text") or "" for e in events["events"] if e.get("event") == "bot"]
        assert sum(replies[n] in line for line in bot) == 1, f"{sender}: {bot[-3:]}"
        assert not any(f"for run {run}" in line for line in bot if replies[n] not in line)
    api.close()
    print(f"\n{CUSTOMERS} conversations x {len(script(0, run))} turns in {took:.1f} s; connections per server {both}")
