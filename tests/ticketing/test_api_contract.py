"""The API holds its published contract: schemathesis against the real server over HTTP.

It generates requests from /openapi.json (valid ones, invalid ones, edge cases of every parameter, and stateful
sequences that follow the schema's links: create a ticket, then read, change, answer and rate it) with the service
token, and runs every check: no server error, every status documented, every response in its schema, invalid input
refused, 405s with a true `Allow`. Settings the schema cannot carry are in schemathesis.toml at the repository root.

On PostgreSQL when TEST_POSTGRES_URL is set (as in CI), otherwise on SQLite. Another seed:
CONTRACT_SEED=7 pytest tests/ticketing/test_api_contract.py
"""

import os
import subprocess
import sys
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from scripts.stack import free_port
from tests.ticketing.test_server import wait_healthy
from ticketing.settings import REPO_ROOT

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
def server(database, tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("server")
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO_ROOT),
        "TICKETING_DATABASE_URL": database,
        "TICKETING_API_TOKEN": TOKEN,
        "TICKETING_SECRET_KEY": "contract-secret",
        "TICKETING_CACHE_DIR": str(REPO_ROOT / "var" / "cache"),
        # Replies to conversations go nowhere: the port is closed, and delivery failing must not fail a request.
        "TICKETING_BOT_URL": f"http://127.0.0.1:{free_port()}",
    }
    for command in ("migrate", "load-demo"):
        subprocess.run([sys.executable, "-m", "ticketing.cli", command], env=env, cwd=REPO_ROOT, check=True)
    port = free_port()
    log = (tmp_path / "server.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "ticketing.cli", "serve", "--port", str(port)],
        env=env,
        cwd=REPO_ROOT,
        stdout=log,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        wait_healthy(f"http://127.0.0.1:{port}", process, seconds=120)
        yield f"http://127.0.0.1:{port}", tmp_path / "server.log"
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()


def test_the_api_answers_every_generated_request_within_its_published_contract(server, tmp_path):
    url, server_log = server
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
        f"{report[-15000:]}\n--- server log (end) ---\n{server_log.read_text()[-5000:]}"
    )
    assert " passed" in report and "generated" in report, report[-3000:]
    assert "Traceback" not in server_log.read_text(), server_log.read_text()[-5000:]


def test_a_method_a_path_does_not_answer_gets_405_listing_every_method_it_does(server):
    url, _ = server
    response = httpx.request("DELETE", f"{url}/api/v1/tickets", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"
    assert {m.strip() for m in response.headers["allow"].split(",")} == {"GET", "POST"}
