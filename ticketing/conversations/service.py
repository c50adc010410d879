"""Conversations the bot handled, and deflection: the share of conversations that ended without a ticket."""

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ticketing.conversations.models import Conversation
from ticketing.tickets.models import Ticket


def record_conversation(
    session: Session, *, conversation_id: str, language: str, channel: str | None, answered: bool, now: datetime
) -> Conversation:
    """Note that the bot handled a message of this conversation (once per conversation, counting KB answers)."""
    conversation = session.scalars(select(Conversation).where(Conversation.conversation_id == conversation_id)).first()
    if conversation is None:
        conversation = Conversation(
            conversation_id=conversation_id, language=language, channel=channel, first_seen_at=now, kb_answers=0
        )
        session.add(conversation)
        try:
            session.flush()
        except IntegrityError:  # the same conversation reported twice at once: the other one made the row
            session.rollback()
            return record_conversation(
                session, conversation_id=conversation_id, language=language, channel=channel, answered=answered, now=now
            )
    conversation.last_seen_at = now
    conversation.kb_answers += 1 if answered else 0
    session.commit()
    return conversation


def deflection(
    session: Session, *, since: datetime, until: datetime, channel: str | None = None, language: str | None = None
) -> dict:
    """Conversations of the period that the bot ended without a ticket, over all conversations of the period.

    All conversations: those the bot handled (first seen in the period) together with those that became a ticket
    received in the period (a customer who asked for a person at once never met the KB). Deflected: the bot handled
    it and no ticket carries its conversation id.
    """
    handled = select(Conversation.conversation_id).where(
        Conversation.first_seen_at >= since, Conversation.first_seen_at <= until
    )
    with_ticket = select(Ticket.conversation_id).where(
        Ticket.conversation_id.is_not(None), Ticket.received_at >= since, Ticket.received_at <= until
    )
    if channel:
        handled = handled.where(Conversation.channel == channel)
        with_ticket = with_ticket.where(Ticket.channel == channel)
    if language:
        handled = handled.where(Conversation.language == language)
        with_ticket = with_ticket.where(Ticket.language == language)
    handled_ids = set(session.scalars(handled))
    ticket_ids = set(session.scalars(with_ticket))
    any_ticket = (
        set(session.scalars(select(Ticket.conversation_id).where(Ticket.conversation_id.in_(handled_ids))))
        if handled_ids
        else set()
    )
    conversations = len(handled_ids | ticket_ids)
    deflected = len(handled_ids - ticket_ids - any_ticket)
    return {
        "conversations": conversations,
        "without_ticket": deflected,
        "rate": round(deflected / conversations, 4) if conversations else None,
    }
