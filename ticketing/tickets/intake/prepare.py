"""Intake, step 1: prepare. Check the request and make the decisions that need nothing stored. Pure.

It runs in the request's coroutine, before the ticket joins a batch: validation, the language, masking of personal
data without consent, and the classification (the costliest decision, kept out of the single writer thread).
"""

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketing.business.runtime import Business
from ticketing.classification.classifier import Classification
from ticketing.classification.text import detect_language
from ticketing.errors import InvalidInput
from ticketing.tickets.schemas import TicketIn

# received_at may run ahead of our clock by this much (clock skew between machines), no more.
MAX_FUTURE_SKEW = timedelta(minutes=5)

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def redact(text: str) -> str:
    """Mask emails and phone numbers: used when the customer did not consent to storing their data."""
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


@dataclass(frozen=True)
class Draft:
    """A ticket request after the checks and decisions that need no database."""

    ticket_in: TicketIn
    actor: str
    idempotency_key: str | None
    now: datetime
    received_at: datetime
    description: str
    language: str
    verdict: Classification


def prepare(
    ticket_in: TicketIn, business: Business, *, actor: str, idempotency_key: str | None, now: datetime
) -> Draft:
    """Check the request and make the decisions that need no database. Raises InvalidInput."""
    received_at = ticket_in.received_at or now
    if received_at.tzinfo is None:
        raise InvalidInput("received_at: give a timezone (for example 2026-11-20T15:04:00Z)")
    received_at = received_at.astimezone(UTC)
    if received_at > now + MAX_FUTURE_SKEW:
        raise InvalidInput("received_at: may be at most 5 minutes in the future")
    language = (
        ticket_in.language
        or detect_language(ticket_in.description)
        or ticket_in.customer.language
        or business.config.default_language
    )
    return Draft(
        ticket_in=ticket_in,
        actor=actor,
        idempotency_key=idempotency_key,
        now=now,
        received_at=received_at,
        description=ticket_in.description if ticket_in.consent else redact(ticket_in.description),
        language=language,
        verdict=business.classifier.classify(ticket_in.description, ticket_in.category_hint),
    )
