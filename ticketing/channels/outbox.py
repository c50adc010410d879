"""The outbox: what must reach a customer is written with the change that causes it, then delivered by a worker.

`enqueue` adds a row in the caller's transaction (no commit: the reply and its delivery commit together or not
at all). `claim_due` hands a worker the rows that are due, at most one per conversation (the oldest pending, so
a conversation's messages arrive in the order they were written), and never the same row to two workers: on
PostgreSQL the candidate rows are locked with `FOR UPDATE SKIP LOCKED` inside the claiming `UPDATE`; on SQLite
that one statement holds the database's write lock. `record` stores what the channel said.
"""

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, exists, select, update
from sqlalchemy.orm import Session, aliased

from ticketing.channels.models import OutboundMessage
from ticketing.tickets.models import Message, Ticket


@dataclass(frozen=True)
class Outbound:
    """A claimed row, as a sender sees it."""

    id: int
    channel: str
    conversation_id: str
    kind: str
    payload: dict[str, Any]
    attempt: int
    created_at: datetime


@dataclass(frozen=True)
class Outcome:
    """What a channel said about one send: delivered, or an error and whether trying again can help."""

    delivered: bool
    error: str | None = None
    permanent: bool = False


def channel_for(ticket: Ticket) -> str:
    """Which sender carries messages for this ticket's conversation."""
    return "bot"


def enqueue(
    session: Session,
    *,
    ticket: Ticket,
    kind: str,
    now: datetime,
    message: Message | None = None,
    payload: dict[str, Any] | None = None,
) -> OutboundMessage | None:
    """Add a message for the ticket's conversation to the outbox, in the caller's transaction."""
    if not ticket.conversation_id:
        return None
    row = OutboundMessage(
        channel=channel_for(ticket),
        conversation_id=ticket.conversation_id,
        kind=kind,
        payload=payload or {},
        ticket=ticket,
        message=message,
        status="pending",
        attempts=0,
        next_attempt_at=now,
        created_at=now,
    )
    if message is not None:
        message.delivery_status = "pending"
    session.add(row)
    return row


def retry_delay(attempt: int, base_seconds: float, max_seconds: float, jitter: float = 0.2) -> float:
    """Seconds to wait after the `attempt`-th failed try: doubling from `base_seconds`, capped, with some jitter.

    The jitter spreads retries of many messages that failed together (the bot was down) so they do not all
    come back in the same second.
    """
    delay = min(max_seconds, base_seconds * 2 ** max(0, attempt - 1))
    return delay * (1 - jitter + 2 * jitter * random.random())


def claim_due(session: Session, *, now: datetime, limit: int, lease_seconds: float) -> list[Outbound]:
    """Claim up to `limit` due rows (one per conversation, the oldest pending), count the attempt, and commit."""
    earlier = aliased(OutboundMessage)
    oldest_of_its_conversation = ~exists().where(
        earlier.conversation_id == OutboundMessage.conversation_id,
        earlier.status == "pending",
        earlier.id < OutboundMessage.id,
    )
    candidates = (
        select(OutboundMessage.id)
        .where(OutboundMessage.status == "pending", OutboundMessage.next_attempt_at <= now, oldest_of_its_conversation)
        .order_by(OutboundMessage.next_attempt_at, OutboundMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    claimed = session.execute(
        update(OutboundMessage)
        .where(
            OutboundMessage.id.in_(candidates),
            OutboundMessage.status == "pending",
            OutboundMessage.next_attempt_at <= now,
        )
        .values(attempts=OutboundMessage.attempts + 1, next_attempt_at=now + timedelta(seconds=lease_seconds))
        .returning(
            OutboundMessage.id,
            OutboundMessage.channel,
            OutboundMessage.conversation_id,
            OutboundMessage.kind,
            OutboundMessage.payload,
            OutboundMessage.attempts,
            OutboundMessage.created_at,
            OutboundMessage.message_id,
        )
        .execution_options(synchronize_session=False)
    ).all()
    bodies = {}
    message_ids = [row.message_id for row in claimed if row.message_id is not None]
    if message_ids:
        bodies = dict(session.execute(select(Message.id, Message.body).where(Message.id.in_(message_ids))).all())
    session.commit()
    out = []
    for row in sorted(claimed, key=lambda r: r.id):
        payload = dict(row.payload or {})
        if row.message_id is not None:
            payload["text"] = bodies.get(row.message_id, "")  # the message itself is the one place its text lives
        out.append(Outbound(row.id, row.channel, row.conversation_id, row.kind, payload, row.attempts, row.created_at))
    return out


def record(
    session: Session,
    *,
    outbound: Outbound,
    outcome: Outcome,
    now: datetime,
    deadline: timedelta,
    base_seconds: float,
    max_seconds: float,
) -> str:
    """Store the outcome of one attempt and return the row's status: delivered, pending (retry later) or failed.

    Only the worker holding this attempt writes it (the row's attempt count is the claim): a worker whose lease
    ran out while it waited on a slow channel does not overwrite the newer attempt.
    """
    values: dict[str, Any]
    if outcome.delivered:
        values = {"status": "delivered", "delivered_at": now, "last_error": None}
    elif outcome.permanent or now >= outbound.created_at + deadline:
        values = {"status": "failed", "last_error": (outcome.error or "")[:2000]}
    else:
        delay = retry_delay(outbound.attempt, base_seconds, max_seconds)
        next_at = min(now + timedelta(seconds=delay), outbound.created_at + deadline)
        values = {"status": "pending", "next_attempt_at": next_at, "last_error": (outcome.error or "")[:2000]}
    mine = and_(
        OutboundMessage.id == outbound.id,
        OutboundMessage.attempts == outbound.attempt,
        OutboundMessage.status == "pending",
    )
    message_id = session.execute(
        update(OutboundMessage).where(mine).values(**values).returning(OutboundMessage.message_id)
    ).first()
    if message_id is None:
        session.rollback()
        return "superseded"
    if message_id[0] is not None:
        session.execute(update(Message).where(Message.id == message_id[0]).values(delivery_status=values["status"]))
    if outcome.delivered:
        # The conversation's next message was waiting behind this one: it is due now, not at its backoff.
        session.execute(
            update(OutboundMessage)
            .where(
                OutboundMessage.conversation_id == outbound.conversation_id,
                OutboundMessage.status == "pending",
                OutboundMessage.id > outbound.id,
                OutboundMessage.next_attempt_at > now,
            )
            .values(next_attempt_at=now)
        )
    session.commit()
    return values["status"]


def delivery_of_messages(session: Session, message_ids: list[int]) -> dict[int, OutboundMessage]:
    """The outbox rows of these messages, by message id."""
    if not message_ids:
        return {}
    rows = session.scalars(select(OutboundMessage).where(OutboundMessage.message_id.in_(message_ids)))
    return {row.message_id: row for row in rows if row.message_id is not None}
