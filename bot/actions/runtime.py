"""What the actions share, built on first use (not at import): settings, the KB, the ticketing client."""

from functools import cache

from actions.outbox import TicketOutbox, announce_through_rasa
from actions.settings import ActionSettings
from actions.ticketing_client import TicketingClient
from kb.search import KnowledgeBase
from mostrador.business import BusinessFacts


@cache
def settings() -> ActionSettings:
    return ActionSettings()


@cache
def business() -> BusinessFacts:
    """What customers see of the business, from the business file the backend reads too."""
    return BusinessFacts.from_file(settings().business_config)


@cache
def knowledge_base() -> KnowledgeBase:
    kb = KnowledgeBase(settings().kb_dir, business().categories)
    kb.watch()
    return kb


@cache
def ticketing() -> TicketingClient:
    s = settings()
    return TicketingClient(s.ticketing_url, s.ticketing_token.get_secret_value(), s.timeout_seconds)


@cache
def outbox() -> TicketOutbox:
    """Tickets waiting for the backend to come back; retried in the background from the server's start (outbox_worker)."""
    s = settings()
    box = TicketOutbox(
        s.outbox_path,
        create=lambda payload, key: ticketing().create_ticket(payload, key),
        announce=announce_through_rasa(s.bot_url, s.bot_api_token.get_secret_value() if s.bot_api_token else None),
    )
    box.run_forever()
    return box
