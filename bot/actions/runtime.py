"""What the actions share, built on first use (not at import): settings, the KB, the ticketing client."""

from functools import cache

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
