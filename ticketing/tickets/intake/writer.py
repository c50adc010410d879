"""Intake, the batch writer: one thread per process takes every ticket waiting and creates them in one batch.

Step 4, notify: each request learns its own outcome (its ticket, or its own error) as soon as the batch is written.
"""

import asyncio
import queue
import threading

from sqlalchemy.orm import Session, sessionmaker

from ticketing.business.runtime import Business
from ticketing.tickets.intake.persist import Outcome, create_tickets
from ticketing.tickets.intake.prepare import Draft

MAX_BATCH = 64


class Intake:
    """One writer thread per process: it takes every ticket waiting and creates them in one batch.

    Requests await their outcome without holding a thread each; the writer starts with the first ticket.
    """

    def __init__(self, sessions: sessionmaker[Session], business: Business, max_batch: int = MAX_BATCH):
        self.sessions, self.business, self.max_batch = sessions, business, max_batch
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    async def submit(self, draft: Draft) -> Outcome:
        """Create the draft's ticket (in whatever batch it lands); raises what creating it raised."""
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._start()
        self._queue.put((draft, future, loop))
        outcome = await future
        if isinstance(outcome, Exception):
            raise outcome
        return outcome

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=10)
            self._thread = None

    def _start(self) -> None:
        if self._thread is None:
            with self._lock:
                if self._thread is None:
                    self._thread = threading.Thread(target=self._run, name="ticket-intake", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while (item := self._queue.get()) is not None:
            batch = [item]
            while len(batch) < self.max_batch:
                try:
                    more = self._queue.get_nowait()
                except queue.Empty:
                    break
                if more is None:
                    self._queue.put(None)  # stop after this batch
                    break
                batch.append(more)
            try:
                with self.sessions() as session:
                    outcomes = create_tickets(session, self.business, [draft for draft, _, _ in batch])
            except Exception as exc:  # no session at all (the database is down): every request learns why
                outcomes = [exc] * len(batch)
            for (_, future, loop), outcome in zip(batch, outcomes, strict=True):
                loop.call_soon_threadsafe(_settle, future, outcome)


def _settle(future: asyncio.Future, outcome: Outcome | Exception) -> None:
    if not future.done():  # the request may have been cancelled (client gone): the ticket exists all the same
        future.set_result(outcome)
