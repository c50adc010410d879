"""The API holds its published contract: schemathesis against the real server over HTTP.

It generates requests from /openapi.json (valid ones, invalid ones, edge cases of every parameter, and stateful
sequences that follow the schema's links: create a ticket, then read, change, answer and rate it) with the service
token, and runs every check: no server error, every status documented, every response in its schema, invalid input
refused, 405s with a true `Allow`. Settings the schema cannot carry are in schemathesis.toml at the repository root.

On PostgreSQL when TEST_POSTGRES_URL is set (as in CI), otherwise on SQLite. Another seed:
CONTRACT_SEED=7 pytest tests/ticketing/test_api_contract.py
"""

import logging
import os
import subprocess
import threading
import time
import uuid

import httpx
import pytest
import uvicorn
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.stack import free_port
from ticketing.agents.service import sync_from_config
from ticketing.app import create_app
from ticketing.db import make_engine, session_factory
from ticketing.migrate import upgrade
from ticketing.settings import REPO_ROOT, Settings

ST = REPO_ROOT / ".venv" / "backend" / "bin" / "st"
SEED = int(os.environ.get("CONTRACT_SEED", "20261202"))
# Cases per operation and phase: about a minute on the CI machine for the 16 operations.
MAX_EXAMPLES = int(os.environ.get("CONTRACT_MAX_EXAMPLES", "10"))
TOKEN = "contract-service-token"


@pytest.fixture(scope="module")
def database(tmp_path_factory):
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        yield f"sqlite:///{tmp_path_factory.mktemp('contract') / 'contract.db'}"
        return
    name = f"mostrador_contract_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="module")
def server(database, business, knowledge_base):
    """The app on a real socket, served by uvicorn on a thread of this process (the same server `make run` uses)."""
    upgrade(database)
    engine = make_engine(database)
    with session_factory(engine)() as session:
        sync_from_config(session, business.config)
    engine.dispose()
    settings = Settings(
        database_url=database,
        api_token=TOKEN,
        secret_key="contract-secret",
        # Replies to conversations go nowhere: the port is closed, and delivery failing must not fail a request.
        bot_url=f"http://127.0.0.1:{free_port()}",
        _env_file=None,
    )
    app = create_app(settings, business, knowledge_base, background=False)
    port = free_port()
    errors = ErrorLog()
    logging.getLogger("ticketing").addHandler(errors)
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", errors
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        logging.getLogger("ticketing").removeHandler(errors)


class ErrorLog(logging.Handler):
    """What the backend logged as unexpected errors during the run."""

    def __init__(self):
        super().__init__(logging.ERROR)
        self.records: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(self.format(record))


def test_the_api_answers_every_generated_request_within_its_published_contract(server, tmp_path):
    url, errors = server
    command = [
        str(ST),
        "--config-file",
        str(REPO_ROOT / "schemathesis.toml"),
        "run",
        f"{url}/openapi.json",
        "--header",
        f"Authorization: Bearer {TOKEN}",
        "--checks",
        "all",
        "--seed",
        str(SEED),
        "--max-examples",
        str(MAX_EXAMPLES),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--no-color",
    ]
    # cwd: a scratch folder, so the run leaves nothing in the repository
    run = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=600)
    report = run.stdout + run.stderr
    assert run.returncode == 0, (
        f"schemathesis found contract failures (seed {SEED}; rerun: CONTRACT_SEED={SEED} pytest {__file__}):\n"
        f"{report[-15000:]}\n--- errors the backend logged ---\n" + "\n".join(errors.records)[-5000:]
    )
    assert " passed" in report and "generated" in report, report[-3000:]
    unexpected = [r for r in errors.records if "unexpected error" in r]
    assert not unexpected, "\n".join(unexpected)[-5000:]


def test_a_method_a_path_does_not_answer_gets_405_listing_every_method_it_does(server):
    url, _ = server
    response = httpx.request("DELETE", f"{url}/api/v1/tickets", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}
