"""What the actions share, built on first use (not at import): settings, the KB, the ticketing client."""

from functools import cache

from actions.outbox import TicketOutbox, announce_through_rasa
from actions.settings import ActionSettings
from actions.ticketing_client import TicketingClient
from kb.search import KnowledgeBase


@cache
def settings() -> ActionSettings:
    return ActionSettings.from_env()


@cache
def knowledge_base() -> KnowledgeBase:
    kb = KnowledgeBase(settings().kb_dir)
    kb.watch()
    return kb


@cache
def ticketing() -> TicketingClient:
    s = settings()
    return TicketingClient(s.ticketing_url, s.ticketing_token, s.timeout_seconds)


@cache
def outbox() -> TicketOutbox:
    """Tickets waiting for the backend to come back; retried in the background from the first use on."""
    s = settings()
    box = TicketOutbox(
        s.outbox_path,
        create=lambda payload, key: ticketing().create_ticket(payload, key),
        announce=announce_through_rasa(s.bot_url, s.bot_api_token),
    )
    box.run_forever()
    return box
