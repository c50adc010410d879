"""The delivery worker: one thread per backend process that sends what the outbox holds.

Each round claims due rows (see `outbox.claim_due`), sends them in a small thread pool through the sender of
their channel, and records each outcome. It wakes when a request has just written a message (`wake`) and
otherwise every `poll_seconds`, so messages left pending by a restart or by an outage go out on their own.
"""

import logging
import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Protocol

from sqlalchemy.orm import Session, sessionmaker

from ticketing.channels import outbox
from ticketing.channels.outbox import Outbound, Outcome

log = logging.getLogger(__name__)


class Sender(Protocol):
    """A channel's way to put one message in front of the customer."""

    def send(self, outbound: Outbound) -> Outcome: ...

    def close(self) -> None: ...


class DeliveryWorker:
    def __init__(
        self,
        sessions: sessionmaker[Session],
        senders: Mapping[str, Sender],
        *,
        deadline_seconds: float,
        retry_base_seconds: float,
        retry_max_seconds: float,
        poll_seconds: float = 1.0,
        lease_seconds: float = 60.0,
        batch: int = 16,
        threads: int = 4,
    ):
        self.sessions, self.senders = sessions, dict(senders)
        self.deadline = timedelta(seconds=deadline_seconds)
        self.retry_base_seconds, self.retry_max_seconds = retry_base_seconds, retry_max_seconds
        self.poll_seconds, self.lease_seconds, self.batch = poll_seconds, lease_seconds, batch
        self.pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="delivery")
        self._wake, self._stop = threading.Event(), threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self) -> None:
        """Something was just written to the outbox: look now rather than at the next poll."""
        self._wake.set()

    def _send(self, outbound: Outbound) -> Outcome:
        sender = self.senders.get(outbound.channel)
        if sender is None:
            return Outcome(False, f"no sender for channel {outbound.channel!r}", permanent=True)
        try:
            return sender.send(outbound)
        except Exception as exc:  # a sender's bug must not stop the worker; the row is retried
            log.exception("sender %s failed on outbound %s", outbound.channel, outbound.id)
            return Outcome(False, f"{type(exc).__name__}: {exc}")

    def run_once(self) -> int:
        """Claim, send and record one batch; return how many rows were claimed."""
        with self.sessions() as session:
            claimed = outbox.claim_due(
                session, now=datetime.now(UTC), limit=self.batch, lease_seconds=self.lease_seconds
            )
        if not claimed:
            return 0
        outcomes = list(self.pool.map(self._send, claimed))
        for outbound, outcome in zip(claimed, outcomes, strict=True):
            with self.sessions() as session:
                status = outbox.record(
                    session,
                    outbound=outbound,
                    outcome=outcome,
                    now=datetime.now(UTC),
                    deadline=self.deadline,
                    base_seconds=self.retry_base_seconds,
                    max_seconds=self.retry_max_seconds,
                )
            # During an outage a message is retried many times: its first failures and every tenth are logged.
            if status == "failed" or (status == "pending" and (outbound.attempt <= 2 or outbound.attempt % 10 == 0)):
                log.warning(
                    "outbound %s (%s, attempt %d) %s: %s",
                    outbound.id,
                    outbound.kind,
                    outbound.attempt,
                    status,
                    outcome.error,
                )
        return len(claimed)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                claimed = self.run_once()
            except Exception:
                log.exception("delivery round failed")
                claimed = 0
            if claimed:
                continue  # there may be more, or the next message of a conversation just became due
            self._wake.wait(self.poll_seconds)
            self._wake.clear()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="delivery-worker", daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread:
            self._thread.join(timeout=30)
        self.pool.shutdown(wait=True)
        for sender in self.senders.values():
            sender.close()
