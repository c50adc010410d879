"""Request and response models of the privacy API."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, StringConstraints, model_validator


class SubjectIn(BaseModel):
    """Whose data: an email, a phone, or both. In the body (never in the URL, which access logs keep)."""

    model_config = ConfigDict(extra="forbid")

    email: EmailStr | None = None
    phone: (
        Annotated[
            str, StringConstraints(strip_whitespace=True, min_length=6, max_length=40, pattern=r"^\+?[0-9 ().-]+$")
        ]
        | None
    ) = None

    @model_validator(mode="after")
    def _one_at_least(self) -> "SubjectIn":
        if not self.email and not self.phone:
            raise ValueError("give the customer's email or phone (or both)")
        return self


class ExportOut(BaseModel):
    subject_ref: str
    exported_at: datetime
    found: bool
    customers: list[dict[str, Any]]
    tickets: list[dict[str, Any]]
    conversations: list[dict[str, Any]]
    kb_questions: list[dict[str, Any]]


class ErasureOut(BaseModel):
    outcome: Literal["erased", "nothing_held"]
    detail: str
    subject_ref: str
    tickets: list[str]
    customers: int
    conversations: int
    conversation_events: int
    pending_tickets: int
    kb_questions: int


class PrivacyRequestOut(BaseModel):
    id: int
    kind: Literal["export", "erasure"]
    actor: str
    subject_ref: str
    subject_kind: str
    outcome: str
    tickets: list[str]
    conversations: int
    created_at: datetime


class PrivacyRequestPage(BaseModel):
    items: list[PrivacyRequestOut]
    total: int
    limit: int
    offset: int
