"""`make bench-lookup`: a ticket status lookup takes as long for a number that does not exist as for someone else's.

Starts the real backend on PostgreSQL (TEST_POSTGRES_URL; SQLite otherwise), opens tickets from their own
conversations, then asks POST /api/v1/ticket-lookup over HTTP, one request at a time, in a random interleaving of:
a number that does not exist, someone else's number, someone else's number with a wrong email, and (the baseline,
side by side) the owner asking for their own. Reports the latency of each; the first two must be in the same class.
Results go to docs/benchmarks.md.
"""

import argparse
import os
import random
import secrets
import sys
import time
import uuid

import httpx
from common import ROOT, percentile, write_section
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from ticketing_bench import start_backend

sys.path.insert(0, str(ROOT))
from mostrador.ticket_numbers import ticket_number

KINDS = ("does not exist", "someone else's", "someone else's, wrong email", "the owner's (baseline)")


def measure(url: str, token: str, tickets: int, per_kind: int) -> dict[str, list[float]]:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(base_url=url, headers=headers, timeout=30) as http:
        owned = []
        for n in range(tickets):
            body = {
                "customer": {"name": "Cliente", "email": f"c{n}@example.com"},
                "description": "Mi pedido no ha llegado",
                "channel": "web",
                "language": "es",
                "conversation_id": f"owner-{n}",
                "consent": True,
            }
            created = http.post("/api/v1/tickets", json=body).json()
            owned.append((created["id"], created["number"], f"owner-{n}"))
        top = max(ticket_id for ticket_id, _, _ in owned)
        plan = [kind for kind in KINDS for _ in range(per_kind)]
        random.Random(7).shuffle(plan)
        timings: dict[str, list[float]] = {kind: [] for kind in KINDS}
        for index, kind in enumerate([*KINDS * 10, *plan]):  # the first 40: warm-up, not counted
            ticket_id, number, owner = random.choice(owned)
            if kind == KINDS[0]:
                body = {"number": ticket_number(top + 1000 + index), "conversation_id": "stranger"}
            elif kind == KINDS[1]:
                body = {"number": number, "conversation_id": "stranger"}
            elif kind == KINDS[2]:
                body = {"number": number, "conversation_id": "stranger", "email": f"x{index}@example.com"}
            else:
                body = {"number": number, "conversation_id": owner}
            started = time.perf_counter()
            status = http.post("/api/v1/ticket-lookup", json=body).status_code
            elapsed = (time.perf_counter() - started) * 1000
            assert status == (200 if kind == KINDS[3] else 404), (kind, status)
            if index >= len(KINDS) * 10:
                timings[kind].append(elapsed)
    return timings


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--per-kind", type=int, default=500)
    args = parser.parse_args()
    token = secrets.token_urlsafe(16)
    admin_url, database = os.environ.get("TEST_POSTGRES_URL"), None
    if admin_url:
        database = f"mostrador_bench_{uuid.uuid4().hex[:8]}"
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{database}"'))
        url = make_url(admin_url).set(database=database).render_as_string(False)
    else:
        url = f"sqlite:////tmp/mostrador-lookup-bench-{uuid.uuid4().hex[:8]}.db"
    process, backend = start_backend(url, token, workers=1)
    try:
        timings = measure(backend, token, args.tickets, args.per_kind)
    finally:
        process.terminate()
        process.wait(timeout=30)
        if database:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
    base = percentile(timings[KINDS[0]], 50)
    rows = [
        f"| {kind} | {len(t)} | {percentile(t, 50):.2f} | {percentile(t, 90):.2f} | {percentile(t, 99):.2f} | "
        f"{percentile(t, 50) / base:.2f} |"
        for kind, t in timings.items()
    ]
    body = (
        f"`make bench-lookup` (`.venv/backend/bin/python benchmarks/lookup_bench.py --tickets {args.tickets} "
        f"--per-kind {args.per_kind}`): backend with 1 worker on {'PostgreSQL' if database else 'SQLite'}, one "
        "request at a time over HTTP, the kinds interleaved at random. A number that does not exist and someone "
        "else's run the same single query and raise the same 404; the owner's lookup is the baseline.\n\n"
        "| number asked | requests | p50 ms | p90 ms | p99 ms | p50 ÷ does not exist |\n|---|---|---|---|---|---|\n"
        + "\n".join(rows)
    )
    print(body)
    write_section("Ticket status lookup: not found and not yours", body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
