"""Live updates: every committed change to tickets, messages or timelines wakes the consoles watching them.

A notification carries no data, only "something changed": each console then asks again for what it shows, through
the same scoping as a page load. No ticket content crosses the bus, so nothing on it needs scoping, and a console
cannot learn about another team's tickets from it.

How a change is noticed: the engine watches the statements it sends. A write to `ticket`, `message`,
`ticket_event` or `channel_receipt` (WhatsApp's delivered/read ticks) marks the connection; when that transaction
commits, the hub is told. This catches every path that changes tickets (the API, the intake's batched inserts,
routing's claim statements, the SLA sweeper, delivery updates, WhatsApp's statuses) without each one remembering
to publish.

How it travels:
- PostgreSQL: `NOTIFY mostrador_live` inside the committing transaction (so a rolled-back change wakes nobody, and
  listeners hear it only once the data is visible); each backend process LISTENs on one connection of its own, so
  consoles connected to any process of any replica hear changes made by all of them.
- SQLite (one process): in-process, a moment after the commit.
"""

import asyncio
import logging
import re
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url

log = logging.getLogger(__name__)
CHANNEL = "mostrador_live"
_WRITES = re.compile(
    r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(ticket|message|ticket_event|channel_receipt)"?[\s(]', re.I
)
# Changes within this window reach a subscriber as one wake-up.
COALESCE_SECONDS = 0.05


def is_ticket_write(statement: str) -> bool:
    """Whether a SQL statement writes a ticket, one of its messages or its timeline."""
    return _WRITES.match(statement) is not None


class LiveHub:
    """Watches an engine for committed ticket changes and wakes the subscribed consoles of this process."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self.postgres = engine.dialect.name == "postgresql"
        self._subscribers: set[tuple[asyncio.AbstractEventLoop, asyncio.Event]] = set()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._listener: threading.Thread | None = None
        self.published = 0
        event.listen(engine, "before_cursor_execute", self._before_cursor_execute)
        event.listen(engine, "commit", self._on_commit)
        event.listen(engine, "rollback", self._on_rollback)

    # --- noticing changes ---------------------------------------------------------------------------------------

    def _before_cursor_execute(self, conn, _cursor, statement, _parameters, _context, _executemany) -> None:
        if is_ticket_write(statement):
            conn.info["live_dirty"] = True

    def _on_commit(self, conn) -> None:
        if not conn.info.pop("live_dirty", False):
            return
        self.published += 1
        if self.postgres:
            # Straight on the driver's connection, in the transaction being committed: delivered when it commits.
            try:
                conn.connection.dbapi_connection.execute(f"NOTIFY {CHANNEL}")
            except Exception:  # a failed notification must never fail the change itself
                log.exception("could not notify consoles of a change")
        else:
            self.wake(delay=COALESCE_SECONDS)  # after the commit this event precedes

    def _on_rollback(self, conn) -> None:
        conn.info.pop("live_dirty", None)

    # --- waking subscribers -------------------------------------------------------------------------------------

    def wake(self, delay: float = 0.0) -> None:
        with self._lock:
            subscribers = list(self._subscribers)
        for loop, flag in subscribers:
            try:
                if delay:
                    loop.call_soon_threadsafe(loop.call_later, delay, flag.set)
                else:
                    loop.call_soon_threadsafe(flag.set)
            except RuntimeError:  # that loop has closed
                self.unsubscribe((loop, flag))

    def subscribe(self) -> tuple[asyncio.AbstractEventLoop, asyncio.Event]:
        """A flag set whenever tickets change (call from the event loop); give it back with unsubscribe()."""
        subscription = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._subscribers.add(subscription)
            if self.postgres and self._listener is None:
                self._listener = threading.Thread(target=self._listen, name="live-listener", daemon=True)
                self._listener.start()
        return subscription

    def unsubscribe(self, subscription) -> None:
        with self._lock:
            self._subscribers.discard(subscription)

    def _listen(self) -> None:
        """LISTEN on a connection of our own, and wake subscribers on every notification; reconnect if it drops."""
        import psycopg

        url = make_url(self.engine.url).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        while not self._stop.is_set():
            try:
                with psycopg.connect(conninfo, autocommit=True) as connection:
                    connection.execute(f"LISTEN {CHANNEL}")
                    self.wake()  # (re)connected: whatever happened meanwhile, look again
                    while not self._stop.is_set():
                        if any(True for _ in connection.notifies(timeout=1.0, stop_after=1)):
                            time.sleep(COALESCE_SECONDS)
                            self.wake()
            except Exception:
                log.exception("live listener lost its connection; reconnecting")
                self._stop.wait(1.0)

    def close(self) -> None:
        self._stop.set()
        if self._listener is not None:
            self._listener.join(timeout=3)
