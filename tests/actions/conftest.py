"""Action tests run in the bot environment against a real ticketing backend started on a free port."""

import os
import secrets
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))
from stack import BACKEND_PY, free_port  # noqa: E402

TOKEN = "actions-test-service-token"


@pytest.fixture(scope="session")
def backend_url(tmp_path_factory):
    var = tmp_path_factory.mktemp("backend")
    port = free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TICKETING_DATABASE_URL": f"sqlite:///{var / 'ticketing.db'}",
        "TICKETING_API_TOKEN": TOKEN,
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
    }
    for command in ("migrate", "load-demo"):
        subprocess.run(
            [str(BACKEND_PY), "-m", "ticketing.cli", command], env=env, cwd=ROOT, check=True, capture_output=True
        )
    server = subprocess.Popen([str(BACKEND_PY), "-m", "ticketing.cli", "serve", "--port", str(port)], env=env, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{url}/health", timeout=1).ok:
                break
        except requests.RequestException:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            pytest.fail("the test backend did not start")
        time.sleep(0.3)
    yield url
    server.terminate()
    server.wait(timeout=10)


@pytest.fixture(autouse=True)
def action_settings(monkeypatch):
    """Settings every action test has: the service token (required, no default) and the demo business file."""
    from actions import runtime

    monkeypatch.setenv("ACTIONS_TICKETING_TOKEN", TOKEN)
    monkeypatch.delenv("ACTIONS_BUSINESS_CONFIG", raising=False)
    runtime.settings.cache_clear()
    runtime.business.cache_clear()
    yield
    runtime.settings.cache_clear()
    runtime.business.cache_clear()


@pytest.fixture
def actions_env(backend_url, monkeypatch, tmp_path):
    """Point the actions at the test backend (settings and clients are rebuilt for each test)."""
    from actions import runtime

    monkeypatch.setenv("ACTIONS_OUTBOX_DB", str(tmp_path / "outbox.db"))
    monkeypatch.setenv("ACTIONS_BOT_URL", "http://127.0.0.1:9")
    runtime.outbox.cache_clear()
    monkeypatch.setenv("ACTIONS_TICKETING_URL", backend_url)
    monkeypatch.setenv("ACTIONS_TICKETING_TOKEN", TOKEN)
    monkeypatch.setenv("ACTIONS_HELP_CENTER_URL", "https://help.example")
    runtime.settings.cache_clear()
    runtime.ticketing.cache_clear()
    yield
    runtime.settings.cache_clear()
    runtime.ticketing.cache_clear()


def api(backend_url: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {TOKEN}"
    session.base = backend_url  # type: ignore[attr-defined]
    return session
