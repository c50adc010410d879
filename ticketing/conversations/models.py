from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base, utcnow


class Conversation(Base):
    """A conversation the bot answered from the knowledge base (or tried to): the denominator of deflection."""

    __tablename__ = "conversation"

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[str] = mapped_column(String(200), unique=True)
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str | None] = mapped_column(String(20))
    first_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    kb_answers: Mapped[int] = mapped_column(default=0)
