from datetime import datetime

from sqlalchemy import Index, String, func
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base, utcnow


class Customer(Base):
    __tablename__ = "customer"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320), index=True)
    phone: Mapped[str | None] = mapped_column(String(40), index=True)
    external_id: Mapped[str | None] = mapped_column(String(200), index=True)
    plan: Mapped[str] = mapped_column(String(20), default="standard")
    language: Mapped[str | None] = mapped_column(String(5))
    # The customer agreed to have their data stored; without it the ticket keeps no personal data.
    consent: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    # Customers are found by email whatever its capitals: without this index each new ticket scanned the table.
    __table_args__ = (Index("ix_customer_email_lower", func.lower(email)),)
