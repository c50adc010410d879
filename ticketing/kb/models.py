from datetime import datetime

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base, utcnow


class KbGap(Base):
    """A customer question the bot could not answer from the knowledge base."""

    __tablename__ = "kb_gap"

    id: Mapped[int] = mapped_column(primary_key=True)
    question: Mapped[str] = mapped_column(Text)
    normalized: Mapped[str] = mapped_column(String(500), index=True)
    language: Mapped[str] = mapped_column(String(5))
    conversation_id: Mapped[str | None] = mapped_column(String(200))
    best_article_id: Mapped[str | None] = mapped_column(String(200))
    best_score: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # An editor wrote or fixed an article for it: the group leaves the list (until the question comes again).
    handled_at: Mapped[datetime | None]
    handled_by: Mapped[str | None] = mapped_column(String(320))
