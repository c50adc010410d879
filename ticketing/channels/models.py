"""Messages on their way to a customer: one row each, written with the change that causes it."""

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ticketing.db import Base, utcnow
from ticketing.tickets.models import Message, Ticket


class OutboundMessage(Base):
    """One message for a customer's conversation (an agent reply, a resolution, a notice) and how its delivery goes.

    `status` is pending until a channel confirms it (delivered) or the delivery deadline passes (failed).
    A worker claims a due row by moving `next_attempt_at` forward (a lease) and counting the attempt, so a
    worker that dies mid-send gives the row back when the lease runs out.
    """

    __tablename__ = "outbound_message"
    __table_args__ = (
        Index("ix_outbound_message_due", "status", "next_attempt_at"),
        Index("ix_outbound_message_conversation", "conversation_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # "bot": through the Rasa server, to whichever channel the customer last wrote on.
    channel: Mapped[str] = mapped_column(String(20), default="bot")
    conversation_id: Mapped[str] = mapped_column(String(200))
    # agent_reply | ticket_resolved | notice
    kind: Mapped[str] = mapped_column(String(40))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("ticket.id"), index=True)
    message_id: Mapped[int | None] = mapped_column(ForeignKey("message.id"), unique=True)
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column()

    ticket: Mapped[Ticket | None] = relationship()
    message: Mapped[Message | None] = relationship()


class ChannelReceipt(Base):
    """What the customer's messaging app says happened to one message it carried (WhatsApp: sent, delivered, read,
    failed), keyed by the app's own message id (the `wamid` the Graph API returned). One outbox row can be several
    app messages (a long text is split), so several receipts can belong to one row."""

    __tablename__ = "channel_receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    outbound_id: Mapped[int] = mapped_column(ForeignKey("outbound_message.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20), default="whatsapp")
    external_id: Mapped[str] = mapped_column(String(200), unique=True)
    status: Mapped[str] = mapped_column(String(20))  # sent | delivered | read | failed
    error: Mapped[str | None] = mapped_column(Text)  # Meta's code and reason, when failed
    status_at: Mapped[datetime | None] = mapped_column()  # when the app says it happened
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
