from datetime import datetime

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from ticketing.db import Base, utcnow


class Team(Base):
    __tablename__ = "team"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    calendar: Mapped[str] = mapped_column(String(60))


class Agent(Base):
    __tablename__ = "agent"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    teams: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    tier: Mapped[int] = mapped_column(default=1)
    capacity: Mapped[int] = mapped_column(default=5)
    status: Mapped[str] = mapped_column(String(20), default="offline")
    shift: Mapped[str | None] = mapped_column(String(60))
    vip_enabled: Mapped[bool] = mapped_column(default=False)
    is_supervisor: Mapped[bool] = mapped_column(default=False)
    # Kept in the same transaction as every assignment change, under the agent's row lock.
    open_assigned: Mapped[int] = mapped_column(default=0)
    last_assigned_at: Mapped[datetime | None]
    # Logging out ends every session token issued before this moment (console cookie and API bearer alike).
    sessions_ended_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
