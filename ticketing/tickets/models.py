from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from mostrador.ticket_numbers import ticket_number
from ticketing.customers.models import Customer
from ticketing.db import Base, utcnow
from ticketing.sla.policy import policy_label

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}


class Ticket(Base):
    __tablename__ = "ticket"
    __table_args__ = (
        Index("ix_ticket_queue", "team", "status", "assignee_id"),
        # The queues' order (tickets.service.list_tickets), so a page of the queue is read, not sorted.
        Index(
            "ix_ticket_urgency", text("(next_due_at IS NULL)"), "next_due_at", text("priority_rank DESC"), "created_at"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    idempotency_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customer.id"), index=True)
    subject: Mapped[str | None] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(20), default="new", index=True)
    category: Mapped[str] = mapped_column(String(60))
    subcategory: Mapped[str | None] = mapped_column(String(60))
    category_hint: Mapped[str | None] = mapped_column(String(60))
    priority: Mapped[str] = mapped_column(String(10))
    priority_rank: Mapped[int] = mapped_column(default=1)
    priority_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    team: Mapped[str] = mapped_column(String(60))
    tier: Mapped[int] = mapped_column(default=1)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"), index=True)
    conversation_id: Mapped[str | None] = mapped_column(String(200), index=True)
    order_number: Mapped[str | None] = mapped_column(String(40))
    consent: Mapped[bool] = mapped_column(default=False)
    extra: Mapped[dict[str, Any]] = mapped_column("metadata", JSON, default=dict)
    received_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # SLA: the promise, and what became of it.
    sla_policy: Mapped[str | None] = mapped_column(String(60))  # the policy's name in the business file
    sla_vip: Mapped[bool] = mapped_column(default=False)  # the VIP first-response target applies
    first_response_due_at: Mapped[datetime | None]
    resolution_due_at: Mapped[datetime | None]
    first_response_warn_at: Mapped[datetime | None]
    resolution_warn_at: Mapped[datetime | None]
    first_responded_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    paused_at: Mapped[datetime | None]
    sla_state: Mapped[str] = mapped_column(String(20), default="ok")  # ok | at_risk | breached
    first_response_breached: Mapped[bool] = mapped_column(default=False)
    resolution_breached: Mapped[bool] = mapped_column(default=False)
    # The earliest open target: the queue is ordered by it.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    queued_at: Mapped[datetime | None]

    customer: Mapped[Customer] = relationship(lazy="joined")

    @property
    def number(self) -> str | None:
        """What people call the ticket: T-000123, its id (so it costs no second write)."""
        return None if self.id is None else ticket_number(self.id)

    @property
    def sla_label(self) -> str | None:
        """The SLA policy as people read it: "normal", or "normal (VIP)" when the VIP target applies."""
        return policy_label(self.sla_policy, self.sla_vip)

    messages: Mapped[list["Message"]] = relationship(
        back_populates="ticket", order_by="Message.id", cascade="all, delete-orphan"
    )
    events: Mapped[list["TicketEvent"]] = relationship(
        back_populates="ticket", order_by="TicketEvent.id", cascade="all, delete-orphan"
    )


class Message(Base):
    __tablename__ = "message"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    author: Mapped[str] = mapped_column(String(20))  # customer | bot | agent
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("agent.id"))
    body: Mapped[str] = mapped_column(Text)
    internal: Mapped[bool] = mapped_column(default=False)
    # "transcript" for the bot conversation before the handoff, "live" afterwards.
    source: Mapped[str] = mapped_column(String(20), default="live")
    delivery_status: Mapped[str | None] = mapped_column(String(20))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="messages")


class TicketEvent(Base):
    """One line of a ticket's timeline: what changed, who did it, when and why."""

    __tablename__ = "ticket_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    ticket: Mapped[Ticket] = relationship(back_populates="events")


class CsatAnswer(Base):
    __tablename__ = "csat_answer"

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("ticket.id"), unique=True)
    score: Mapped[int]
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
