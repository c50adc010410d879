"""What the channel keeps on disk: verified notifications until they are processed, Meta's retries already seen,
what was sent (and its delivery status), and sends waiting to be retried.

Never lose an acknowledged message: a notification is written (committed) to the inbox before the webhook answers
200, and deleted only after every message in it went through the bot. A Rasa server killed in between finds it
there on restart and processes it then. SQLite in write-ahead-log mode with `synchronous=NORMAL`: a commit survives
the process dying (it is in the log file), a power cut may lose the last moments (`WHATSAPP_INBOX_SYNC=full` waits
for the disk on every commit instead).

Statuses for the backend: what it sent (an agent's reply, a resolution) is reported to it with the wamid Meta
gave it, then with each status Meta tells about that wamid. The reports wait here until the backend has them, so
neither the backend being down nor this server restarting loses a delivered or read tick.

Duplicates: Meta retries a notification it thinks was not received, for up to a day, with the same message ids
(wamid). Each wamid is claimed once before the bot sees it — in Redis (`SET NX`, two days) when several Rasa
servers share the work, otherwise in this file. The claim carries the inbox row, so the server that claimed a
message and died before finishing it can still process it after a restart; any other copy is dropped.
"""

import functools
import json
import logging
import sqlite3
import threading
import time
import uuid
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)
SEEN_SECONDS = 2 * 24 * 3600
CHECKPOINT_PAGES = 10_000

SCHEMA = """
CREATE TABLE IF NOT EXISTS instance (token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS notification (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body BLOB NOT NULL,
    received_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS seen (
    wamid TEXT PRIMARY KEY,
    claim TEXT NOT NULL,
    seen_at REAL NOT NULL
);
-- forget_old runs every second under the lock keep() needs: without it, 100,000 wamids (two days of a busy
-- number) took 8 ms to scan, and an acknowledgement arriving then waited for it (indexed: 0.01 ms).
CREATE INDEX IF NOT EXISTS seen_by_time ON seen (seen_at);
CREATE TABLE IF NOT EXISTS outbound (
    wamid TEXT PRIMARY KEY,
    recipient TEXT NOT NULL,
    message_ref TEXT,
    status TEXT NOT NULL,
    error TEXT,
    sent_at REAL NOT NULL,
    updated_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS status_report (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    body TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS pending_send (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient TEXT NOT NULL,
    payload TEXT NOT NULL,
    message_ref TEXT,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    last_error TEXT,
    created_at REAL NOT NULL
);
"""


def _locked(method):
    """One statement at a time on the shared connection (the webhook's thread and the worker's)."""

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        with self._lock:
            return method(self, *args, **kwargs)

    return call


class Inbox:
    """One SQLite file per Rasa server: one connection, shared by the webhook (keep) and the worker (the rest)."""

    def __init__(self, path: Path, redis_url: str | None = None, synchronous: str = "NORMAL"):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute(f"PRAGMA synchronous={'FULL' if synchronous.upper() == 'FULL' else 'NORMAL'}")
        # The write that fills the log to this many pages copies it into the database and waits for the disk: the
        # one moment keep() is slow. SQLite's 1,000 pages came every ~300 messages, each 6-45 ms (the
        # acknowledgement's p99); 10,000 pages (a 40 MB log) come ten times less often and cost the same.
        self.db.execute(f"PRAGMA wal_autocheckpoint={CHECKPOINT_PAGES}")
        self.db.executescript(SCHEMA)
        row = self.db.execute("SELECT token FROM instance").fetchone()
        if row is None:
            row = (uuid.uuid4().hex,)
            self.db.execute("INSERT INTO instance (token) VALUES (?)", row)
        self.instance = row[0]
        self.redis = None
        if redis_url:
            import redis.asyncio

            self.redis = redis.asyncio.from_url(redis_url)

    # --- notifications, kept from before the acknowledgement until processed
    @_locked
    def keep(self, body: bytes) -> int:
        cursor = self.db.execute("INSERT INTO notification (body, received_at) VALUES (?, ?)", (body, time.time()))
        return int(cursor.lastrowid)

    @_locked
    def waiting(self, after_id: int = 0, limit: int = 64) -> list[tuple[int, bytes]]:
        return self.db.execute(
            "SELECT id, body FROM notification WHERE id > ? ORDER BY id LIMIT ?", (after_id, limit)
        ).fetchall()

    @_locked
    def done(self, notification_id: int) -> None:
        self.db.execute("DELETE FROM notification WHERE id = ?", (notification_id,))

    @_locked
    def backlog(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM notification").fetchone()[0]

    # --- one claim per wamid, across Rasa servers when Redis is configured
    async def claim(self, wamid: str, notification_id: int) -> bool:
        """Whether this notification may process the message: the first to claim it, or the same one again."""
        claim = f"{self.instance}:{notification_id}"
        if self.redis is not None:
            key = f"mostrador:whatsapp:wamid:{wamid}"
            if await self.redis.set(key, claim, nx=True, ex=SEEN_SECONDS):
                return True
            holder = await self.redis.get(key)
            return holder is not None and holder.decode() == claim
        with self._lock:
            now = time.time()
            self.db.execute("INSERT OR IGNORE INTO seen (wamid, claim, seen_at) VALUES (?, ?, ?)", (wamid, claim, now))
            holder = self.db.execute("SELECT claim FROM seen WHERE wamid = ?", (wamid,)).fetchone()
        return holder is not None and holder[0] == claim

    @_locked
    def forget_old(self) -> None:
        self.db.execute("DELETE FROM seen WHERE seen_at < ?", (time.time() - SEEN_SECONDS,))
        # A status the backend would not take for two days (a wrong token that nobody fixed): given up.
        gone = self.db.execute("DELETE FROM status_report WHERE created_at < ?", (time.time() - SEEN_SECONDS,))
        if gone.rowcount:
            log.error("%d WhatsApp statuses were never taken by the backend in two days: dropped", gone.rowcount)

    # --- what was sent, and what Meta says happened to it
    @_locked
    def sent(self, wamid: str, recipient: str, message_ref: str | None) -> None:
        now = time.time()
        self.db.execute(
            "INSERT OR IGNORE INTO outbound (wamid, recipient, message_ref, status, sent_at, updated_at) "
            "VALUES (?, ?, ?, 'sent', ?, ?)",
            (wamid, recipient, message_ref, now, now),
        )

    @_locked
    def failed(self, recipient: str, message_ref: str | None, error: str) -> None:
        """A send WhatsApp refused for good (or that ran out of retries): kept, with Meta's reason."""
        now = time.time()
        self.db.execute(
            "INSERT INTO outbound (wamid, recipient, message_ref, status, error, sent_at, updated_at) "
            "VALUES (?, ?, ?, 'failed', ?, ?, ?)",
            (f"unsent:{uuid.uuid4().hex}", recipient, message_ref, error[:2000], now, now),
        )

    @_locked
    def status(self, wamid: str, recipient: str, status: str, errors: list[dict[str, Any]]) -> tuple[bool, str | None]:
        """Record a delivery status (never going back from read to delivered). Whether this server sent that
        message, and its ref (the backend's outbox id) if it had one."""
        rank = {"sent": 0, "delivered": 1, "read": 2, "failed": 3}
        error = json.dumps(errors[:3])[:2000] if errors else None
        now = time.time()
        row = self.db.execute("SELECT status, message_ref FROM outbound WHERE wamid = ?", (wamid,)).fetchone()
        if row is None:  # sent by another Rasa server, or before this file existed
            self.db.execute(
                "INSERT INTO outbound (wamid, recipient, status, error, sent_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)",
                (wamid, recipient, status, error, now, now),
            )
            return False, None
        if rank.get(status, 0) >= rank.get(row[0], 0):
            self.db.execute(
                "UPDATE outbound SET status = ?, error = COALESCE(?, error), updated_at = ? WHERE wamid = ?",
                (status, error, now, wamid),
            )
        return True, row[1]

    @_locked
    def outbound_status(self, wamid: str) -> tuple[str, str | None] | None:
        row = self.db.execute("SELECT status, error FROM outbound WHERE wamid = ?", (wamid,)).fetchone()
        return (row[0], row[1]) if row else None

    # --- statuses on their way to the backend
    @_locked
    def report(self, item: dict[str, Any]) -> None:
        now = time.time()
        self.db.execute(
            "INSERT INTO status_report (body, next_attempt_at, created_at) VALUES (?, ?, ?)",
            (json.dumps(item), now, now),
        )

    @_locked
    def due_reports(self, limit: int = 100) -> list[tuple[int, dict[str, Any], int]]:
        rows = self.db.execute(
            "SELECT id, body, attempts FROM status_report WHERE next_attempt_at <= ? ORDER BY id LIMIT ?",
            (time.time(), limit),
        ).fetchall()
        return [(r[0], json.loads(r[1]), r[2]) for r in rows]

    @_locked
    def reported(self, report_ids: list[int]) -> None:
        self.db.executemany("DELETE FROM status_report WHERE id = ?", [(i,) for i in report_ids])

    @_locked
    def report_later(self, report_ids: list[int], delay: float) -> None:
        self.db.executemany(
            "UPDATE status_report SET attempts = attempts + 1, next_attempt_at = ? WHERE id = ?",
            [(time.time() + delay, i) for i in report_ids],
        )

    @_locked
    def waiting_reports(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM status_report").fetchone()[0]

    # --- sends that failed for a temporary reason, retried later
    @_locked
    def defer(self, recipient: str, payload: dict[str, Any], message_ref: str | None, error: str, delay: float) -> None:
        now = time.time()
        self.db.execute(
            "INSERT INTO pending_send (recipient, payload, message_ref, attempts, next_attempt_at, last_error, "
            "created_at) VALUES (?, ?, ?, 1, ?, ?, ?)",
            (recipient, json.dumps(payload), message_ref, now + delay, error[:500], now),
        )

    @_locked
    def due_sends(self, limit: int = 20) -> list[tuple[int, str, dict[str, Any], str | None, int]]:
        rows = self.db.execute(
            "SELECT id, recipient, payload, message_ref, attempts FROM pending_send WHERE next_attempt_at <= ? "
            "ORDER BY id LIMIT ?",
            (time.time(), limit),
        ).fetchall()
        return [(r[0], r[1], json.loads(r[2]), r[3], r[4]) for r in rows]

    @_locked
    def retry_later(self, send_id: int, attempts: int, error: str, delay: float) -> None:
        self.db.execute(
            "UPDATE pending_send SET attempts = ?, last_error = ?, next_attempt_at = ? WHERE id = ?",
            (attempts, error[:500], time.time() + delay, send_id),
        )

    @_locked
    def drop_send(self, send_id: int) -> None:
        self.db.execute("DELETE FROM pending_send WHERE id = ?", (send_id,))

    @_locked
    def pending_sends(self) -> int:
        return self.db.execute("SELECT COUNT(*) FROM pending_send").fetchone()[0]

    async def close(self) -> None:
        """Close Redis (from the loop that used it) and the file."""
        if self.redis is not None:
            await self.redis.close()
        with self._lock:
            self.db.close()
