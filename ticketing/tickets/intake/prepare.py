"""Intake, step 1: prepare. Check the request and make the decisions that need nothing stored. Pure.

It runs in the request's coroutine, before the ticket joins a batch: validation, the language, masking of personal
data without consent, and the classification (the costliest decision, kept out of the single writer thread).
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from ticketing.business.runtime import Business
from ticketing.classification.classifier import Classification
from ticketing.classification.text import detect_language
from ticketing.errors import InvalidInput
from ticketing.privacy.text import withhold
from ticketing.tickets.schemas import TicketIn

# received_at may run ahead of our clock by this much (clock skew between machines), no more.
MAX_FUTURE_SKEW = timedelta(minutes=5)


def personal(ticket_in: TicketIn) -> list[str | None]:
    """What a ticket's request says about the customer: withheld from its texts when they did not consent."""
    c = ticket_in.customer
    return [c.name, c.email, c.phone, ticket_in.order_number]


def redact(text: str, ticket_in: TicketIn | None = None, *, patterns: bool = True) -> str:
    """The text without the customer's personal data, for a customer who did not consent to storing it: the name
    (each word), email, phone and order number they gave, and (with `patterns`) any email, phone or order number."""
    return withhold(text, personal(ticket_in) if ticket_in else [], patterns=patterns)


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
        description=ticket_in.description if ticket_in.consent else redact(ticket_in.description, ticket_in),
        language=language,
        verdict=business.classifier.classify(ticket_in.description, ticket_in.category_hint),
    )
