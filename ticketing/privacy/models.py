from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base, utcnow


class PrivacyRequest(Base):
    """One export or erasure of a customer's data: who asked, when, about whom (a keyed hash, never the email or
    phone itself) and what it touched."""

    __tablename__ = "privacy_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # export | erasure
    actor: Mapped[str] = mapped_column(String(320))  # the supervisor's login
    # HMAC-SHA256 (the backend's secret key) of "email:<lowercase email>" or "phone:<digits>": the same subject
    # always gives the same reference, and the reference does not give the subject back.
    subject_ref: Mapped[str] = mapped_column(String(64), index=True)
    subject_kind: Mapped[str] = mapped_column(String(20))  # email | phone | email+phone
    outcome: Mapped[str] = mapped_column(String(30))  # exported | erased | nothing_held
    tickets: Mapped[list[str]] = mapped_column(JSON, default=list)  # ticket numbers touched
    conversations: Mapped[int] = mapped_column(default=0)  # bot conversations read or erased
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    def summary(self) -> dict[str, Any]:
        return {"tickets": self.tickets, "conversations": self.conversations}
