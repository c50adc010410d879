"""Tickets that could not be created because the backend was down: kept on disk and retried until they are.

Each pending ticket keeps its idempotency key, so however many times it is retried (and whichever action
server retries it) the backend creates it once. When it is created, the customer hears the number in their
conversation: the outbox triggers the intent `ticket_created` on the Rasa server, which says it.
"""

import json
import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import requests

from actions.ticketing_client import TicketInfo, TicketingRejected, TicketingUnavailable
from mostrador.pushed_intents import TICKET_CREATED

log = logging.getLogger(__name__)
MAX_DELAY_SECONDS = 60.0

SCHEMA = """
CREATE TABLE IF NOT EXISTS pending_ticket (
    idempotency_key TEXT PRIMARY KEY,
    conversation_id TEXT NOT NULL,
    payload TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created TEXT              -- the ticket, once the backend created it but the customer was not told yet
)
"""


class TicketOutbox:
    def __init__(
        self, path: Path, create: Callable[[dict, str], TicketInfo], announce: Callable[[str, TicketInfo], bool]
    ):
        self.path, self.create, self.announce = Path(path), create, announce
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        with self._db() as db:
            db.execute(SCHEMA)

    def _db(self) -> sqlite3.Connection:
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def add(self, idempotency_key: str, conversation_id: str, payload: dict[str, Any]) -> None:
        with self._lock, self._db() as db:
            db.execute(
                "INSERT OR IGNORE INTO pending_ticket (idempotency_key, conversation_id, payload, next_attempt_at) "
                "VALUES (?, ?, ?, ?)",
                (idempotency_key, conversation_id, json.dumps(payload), time.time()),
            )

    def forget_conversation(self, conversation_id: str) -> int:
        """Drop the conversation's waiting tickets (the customer's data was erased); return how many."""
        with self._lock, self._db() as db:
            return db.execute("DELETE FROM pending_ticket WHERE conversation_id = ?", (conversation_id,)).rowcount

    def pending(self) -> int:
        with self._db() as db:
            return db.execute("SELECT COUNT(*) FROM pending_ticket").fetchone()[0]

    def process_once(self, now: float | None = None) -> int:
        """Retry what is due; return how many tickets were created and announced."""
        now = now or time.time()
        with self._lock, self._db() as db:
            due = db.execute(
                "SELECT idempotency_key, conversation_id, payload, attempts, created FROM pending_ticket "
                "WHERE next_attempt_at <= ? ORDER BY next_attempt_at",
                (now,),
            ).fetchall()
        done = 0
        for key, conversation_id, payload, attempts, created in due:
            # One ticket at a time under the lock, so a conversation being forgotten is never created meanwhile.
            with self._lock:
                with self._db() as db:
                    if not db.execute("SELECT 1 FROM pending_ticket WHERE idempotency_key = ?", (key,)).fetchone():
                        continue  # forgotten since the round began
                done += self._retry(key, conversation_id, payload, attempts, created, now)
        return done

    def _retry(
        self, key: str, conversation_id: str, payload: str, attempts: int, created: str | None, now: float
    ) -> int:
        try:
            ticket = TicketInfo(**_revive(json.loads(created))) if created else self.create(json.loads(payload), key)
        except TicketingUnavailable:
            self._later(key, attempts, now)
            return 0
        except TicketingRejected as exc:
            log.error("a pending ticket was refused by the backend and dropped: %s", exc.status)
            self._forget(key)
            return 0
        if self.announce(conversation_id, ticket):
            self._forget(key)
            return 1
        with self._db() as db:
            db.execute(
                "UPDATE pending_ticket SET created = ? WHERE idempotency_key = ?",
                (json.dumps(ticket.__dict__, default=str), key),
            )
        self._later(key, attempts, now)
        return 0

    def _later(self, key: str, attempts: int, now: float) -> None:
        delay = min(MAX_DELAY_SECONDS, 2.0 * 2**attempts)
        with self._db() as db:
            db.execute(
                "UPDATE pending_ticket SET attempts = attempts + 1, next_attempt_at = ? WHERE idempotency_key = ?",
                (now + delay, key),
            )

    def _forget(self, key: str) -> None:
        with self._db() as db:
            db.execute("DELETE FROM pending_ticket WHERE idempotency_key = ?", (key,))

    def run_forever(self, interval: float = 1.0) -> threading.Thread:
        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.process_once()
                except Exception:
                    log.exception("ticket outbox round failed")

        thread = threading.Thread(target=loop, name="ticket-outbox", daemon=True)
        thread.start()
        return thread


def _revive(data: dict[str, Any]) -> dict[str, Any]:
    from datetime import datetime

    for key in ("first_response_due_at", "resolution_due_at", "first_responded_at"):
        if data.get(key) and data[key] != "None":
            data[key] = datetime.fromisoformat(data[key])
        else:
            data[key] = None
    return data


def announce_through_rasa(bot_url: str, token: str | None, timeout: float = 10) -> Callable[[str, TicketInfo], bool]:
    """Tell the customer their ticket number by triggering `ticket_created` on their conversation."""

    def announce(conversation_id: str, ticket: TicketInfo) -> bool:
        url = f"{bot_url.rstrip('/')}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        entities = {
            "ticket_id": str(ticket.id),
            "ticket_number": ticket.number,
            "team": ticket.team,
            "due": ticket.first_response_due_at.isoformat() if ticket.first_response_due_at else "",
        }
        try:
            response = requests.post(
                url,
                params={"output_channel": "latest", **({"token": token} if token else {})},
                json={"name": TICKET_CREATED, "entities": entities},
                timeout=timeout,
            )
        except requests.RequestException as exc:
            log.warning("could not announce %s: %s", ticket.number, exc)
            return False
        return response.status_code < 300

    return announce
