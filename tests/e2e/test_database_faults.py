"""PostgreSQL drops the backend's connections under load: the backend recovers without a restart, every ticket asked
for (retried with its idempotency key) exists once, and none is half-written.

The machine's PostgreSQL is shared, so it is not restarted: the backend's connections are terminated with
pg_terminate_backend, which is what a server restart does to them. A backend process of its own, on a database of
its own, so the thousands of tickets written here take no agent's capacity in the session stack.
"""

import os
import secrets
import subprocess
import sys
import threading
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.ticketing.conftest import new_ticket
from ticketing.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from stack import BACKEND_PY, Ports, Stack, free_port

WRITERS, SECONDS, DROPS = 6, 8.0, 3


@pytest.fixture(scope="module")
def backend(tmp_path_factory):
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip("needs PostgreSQL (TEST_POSTGRES_URL)")
    name = f"mostrador_pgdrop_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    env = {
        "TICKETING_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "BOT_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_DATABASE_URL": make_url(admin_url).set(database=name).render_as_string(False),
    }
    run_env = {**os.environ, **env, "PYTHONPATH": str(REPO_ROOT)}
    for command in ("migrate", "load-demo"):
        subprocess.run([str(BACKEND_PY), "-m", "ticketing.cli", command], env=run_env, check=True, cwd=REPO_ROOT)
    processes = Stack(
        env, Ports(ticketing=free_port(), actions=free_port(), rasa=free_port()), tmp_path_factory.mktemp("pg")
    )
    processes.services = [processes.service("ticketing")]
    processes.start()
    try:
        processes.wait_healthy(timeout=120)
        yield processes
    finally:
        processes.stop()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_terminated_connections_under_load_cost_no_ticket_and_no_restart(backend):
    stack = backend
    url = stack.env["TICKETING_DATABASE_URL"]
    base = f"http://127.0.0.1:{stack.ports.ticketing}"
    headers = {"Authorization": f"Bearer {stack.env['TICKETING_API_TOKEN']}"}
    run = uuid.uuid4().hex[:8]
    keys: list[str] = []
    failures: list[str] = []
    lock, stop = threading.Lock(), threading.Event()

    def writer(w: int) -> None:
        with httpx.Client(base_url=base, headers=headers, timeout=30) as client:
            n = 0
            while not stop.is_set():
                key, n = f"pgdrop-{run}-{w}-{n}", n + 1
                body = new_ticket(customer={"name": "Ana Pérez", "email": f"pg.{run}.{w}@example.com"})
                for _attempt in range(20):  # a client that retries with the same key, as the action server does
                    try:
                        response = client.post("/api/v1/tickets", json=body, headers={"Idempotency-Key": key})
                        if response.status_code in (200, 201):
                            break
                        with lock:
                            failures.append(f"{response.status_code}")
                    except httpx.HTTPError as exc:
                        with lock:
                            failures.append(type(exc).__name__)
                    time.sleep(0.2)
                else:
                    raise AssertionError(f"{key} never created")
                with lock:
                    keys.append(key)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    for thread in threads:
        thread.start()
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    terminated = 0
    for _ in range(DROPS):
        time.sleep(SECONDS / (DROPS + 1))
        with admin.connect() as connection:
            terminated += connection.execute(
                text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            ).scalar()
    time.sleep(SECONDS / (DROPS + 1))
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert terminated >= DROPS, "the backend held no connection to drop"

    # The same backend process answers, without a restart.
    assert stack.service("ticketing").process.poll() is None
    assert httpx.get(f"{base}/health", timeout=10).status_code == 200
    with admin.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT t.idempotency_key, (SELECT count(*) FROM ticket_event e WHERE e.ticket_id = t.id),"
                " t.customer_id IS NOT NULL AND t.team IS NOT NULL AND t.resolution_due_at IS NOT NULL"
                " FROM ticket t WHERE t.idempotency_key LIKE :prefix"
            ),
            {"prefix": f"pgdrop-{run}-%"},
        ).all()
    admin.dispose()
    assert sorted(r[0] for r in rows) == sorted(keys)  # every ticket asked for, once
    assert all(events >= 1 and whole for _key, events, whole in rows), "a ticket without its timeline or SLA"
    print(
        f"\n{len(keys)} tickets by {WRITERS} writers in {SECONDS:.0f} s; {terminated} connections terminated in "
        f"{DROPS} drops; {len(failures)} requests failed and were retried ({sorted(set(failures))}); 0 lost, 0 doubled"
    )
