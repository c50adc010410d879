"""Start the three real processes (ticketing, actions, Rasa) on free ports and talk to them over HTTP.

With TEST_POSTGRES_URL the backend runs on a fresh PostgreSQL database, and with TEST_REDIS_URL Rasa
uses the Redis lock store, as in the compose deployment; otherwise SQLite and in-memory locks, and the tests about
Redis (marked `requires_redis`) skip and say why.
"""

import json
import os
import secrets
import shutil
import subprocess
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.e2e.browser import browser, page  # noqa: F401  (fixtures for the browser tests)
from tests.whatsapp.fake_graph import FakeGraph
from ticketing.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from stack import BACKEND_PY, MODEL, Ports, Stack, free_port


class Inbox:
    """A stand-in for a chat client that receives pushed messages: records what Rasa's callback channel posts."""

    def __init__(self):
        self.messages: list[dict] = []
        inbox = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                inbox.messages.append(json.loads(body or b"{}"))
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/messages"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def texts_for(self, recipient: str) -> list[str]:
        return [m.get("text", "") for m in self.messages if m.get("recipient_id") == recipient]

    def wait_for(self, recipient: str, predicate, timeout: float = 20) -> list[str]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            texts = self.texts_for(recipient)
            if predicate(texts):
                return texts
            time.sleep(0.1)
        raise AssertionError(f"not received by {recipient} within {timeout}s; got {self.texts_for(recipient)}")


class Bot:
    """A customer talking to the bot through the REST channel."""

    def __init__(self, rasa_url: str, sender: str):
        self.url, self.sender = f"{rasa_url}/webhooks/rest/webhook", sender

    def say(self, text: str) -> list[dict]:
        response = httpx.post(self.url, json={"sender": self.sender, "message": text}, timeout=60)
        response.raise_for_status()
        return response.json()


def texts(replies: list[dict]) -> str:
    return "\n".join(r.get("text", "") for r in replies)


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    if not MODEL.exists():
        pytest.fail(f"no trained model at {MODEL}: run `make test` (it trains the bot first)")
    var = tmp_path_factory.mktemp("stack")
    env = {
        "TICKETING_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "BOT_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SWEEP_INTERVAL_SECONDS": "1",
        # Outages in these tests last seconds, not hours: retries come at most 2 s apart (the 24 h deadline stays).
        "TICKETING_DELIVERY_RETRY_BASE_SECONDS": "0.5",
        "TICKETING_DELIVERY_RETRY_MAX_SECONDS": "2",
    }
    env["ACTIONS_TICKETING_TOKEN"] = env["TICKETING_API_TOKEN"]
    # The action server reads a copy of the KB, so tests can add articles as an editor would.
    kb_copy = var / "kb_articles"
    shutil.copytree(REPO_ROOT / "kb_articles", kb_copy)
    env["ACTIONS_KB_DIR"] = str(kb_copy)
    admin_url, database = os.environ.get("TEST_POSTGRES_URL"), None
    if admin_url:
        database = f"mostrador_e2e_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        env["TICKETING_DATABASE_URL"] = make_url(admin_url).set(database=database).render_as_string(False)
    else:
        env["TICKETING_DATABASE_URL"] = f"sqlite:///{var / 'ticketing.db'}"
    endpoints = var / "endpoints.yml"
    lines = [
        "action_endpoint:",
        "  url: ${BOT_ACTIONS_URL}",
        "  enable_selective_domain: true",
        "tracker_store:",
        "  type: mostrador_nlu.tracker_store.SQLiteTrackerStore",
        f"  db: {var / 'tracker.db'}",
    ]
    if os.environ.get("TEST_REDIS_URL"):
        redis = urlparse(os.environ["TEST_REDIS_URL"])
        lines += [
            "lock_store:",
            "  type: redis",
            f"  url: {redis.hostname}",
            f"  port: {redis.port or 6379}",
            f"  db: {(redis.path or '/0').lstrip('/') or 0}",
            f"  key_prefix: e2e{uuid.uuid4().hex[:6]}",
        ]
    endpoints.write_text("\n".join(lines) + "\n")
    env["BOT_ENDPOINTS"] = str(endpoints)
    # A channel that receives pushed messages: Rasa's callback channel, posting to a local recorder.
    inbox = Inbox()
    credentials = var / "credentials.yml"
    # WhatsApp's Graph API: a local fake that records every send.
    graph = FakeGraph()
    env.update(
        WHATSAPP_APP_SECRET=secrets.token_hex(16),
        WHATSAPP_VERIFY_TOKEN=secrets.token_urlsafe(12),
        WHATSAPP_ACCESS_TOKEN=secrets.token_urlsafe(24),
        WHATSAPP_PHONE_NUMBER_ID="106540352242922",
        WHATSAPP_GRAPH_URL=graph.url,
    )
    if os.environ.get("TEST_REDIS_URL"):
        env["WHATSAPP_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
    # And the website chat widget's socket.io channel; with Redis, as in compose, so several Rasa servers share it.
    credentials.write_text(
        f"mostrador_nlu.rest_channel.RestChannel:\ncallback:\n  url: {inbox.url}\nmostrador_whatsapp.channel.WhatsAppInput:\nchannels.widget.WidgetInput:\n"
        "mostrador_nlu.privacy_channel.PrivacyChannel:\n  token: ${BOT_API_TOKEN}\n"
    )
    if os.environ.get("TEST_REDIS_URL"):
        env["BOT_WIDGET_REDIS_URL"] = os.environ["TEST_REDIS_URL"]
        env["BOT_WIDGET_REDIS_CHANNEL"] = f"e2e-widget-{uuid.uuid4().hex[:8]}"
    env["BOT_CREDENTIALS"] = str(credentials)

    run_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    for command in ("migrate", "load-demo"):
        subprocess.run([str(BACKEND_PY), "-m", "ticketing.cli", command], env=run_env, check=True, cwd=REPO_ROOT)
    ports = Ports(ticketing=free_port(), actions=free_port(), rasa=free_port())
    running = Stack(env, ports, var)
    running.inbox = inbox
    running.graph = graph
    running.tracker_db = var / "tracker.db"  # Rasa's tracker store (SQLite), read by the privacy tests
    running.start()
    try:
        running.wait_healthy(timeout=240)
        yield running
    finally:
        running.stop()
        graph.close()
        if database:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
            admin.dispose()


requires_redis = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"),
    reason="TEST_REDIS_URL is not set: the stack runs on in-memory locks (CI sets it; locally redis://127.0.0.1:6379/0)",
)


@pytest.fixture(scope="session")
def rasa_url(stack) -> str:
    return f"http://127.0.0.1:{stack.ports.rasa}"


@pytest.fixture(scope="session")
def api(stack) -> httpx.Client:
    headers = {"Authorization": f"Bearer {stack.env['TICKETING_API_TOKEN']}"}
    with httpx.Client(base_url=f"http://127.0.0.1:{stack.ports.ticketing}", headers=headers, timeout=30) as client:
        yield client


@pytest.fixture
def customer(rasa_url) -> Bot:
    return Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:10]}")


@pytest.fixture(scope="session")
def kb_dir(stack):
    from pathlib import Path

    return Path(stack.env["ACTIONS_KB_DIR"])
