"""Every table, imported in one place for Alembic and create_all."""

from ticketing.agents.models import Agent, Team
from ticketing.channels.models import OutboundMessage
from ticketing.conversations.models import Conversation
from ticketing.customers.models import Customer
from ticketing.kb.models import KbGap
from ticketing.privacy.models import PrivacyRequest
from ticketing.tickets.models import CsatAnswer, Message, Ticket, TicketEvent

__all__ = [
    "Agent",
    "Team",
    "Conversation",
    "Customer",
    "KbGap",
    "PrivacyRequest",
    "CsatAnswer",
    "Message",
    "Ticket",
    "TicketEvent",
    "OutboundMessage",
]
