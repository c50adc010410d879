"""Deliver what agents do back to the customer's conversation, through the Rasa server.

A public agent reply becomes the intent `agent_reply` (with the message as an entity) and a resolution the
intent `ticket_resolved`, triggered on the conversation with `output_channel=latest`: Rasa rebuilds the
output side of the channel the customer last wrote on and pushes the bot's messages there. Any Rasa replica
can do it (the tracker lives in the shared store), so delivery does not depend on which replica the
customer talked to. Deliveries run in a small thread pool, never inside the agent's request, and are
retried with backoff; each message records whether it was delivered.
"""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import httpx
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from ticketing.tickets.models import Message

log = logging.getLogger(__name__)
RETRY_DELAYS = (0.5, 2, 5)


class BotDelivery:
    def __init__(self, bot_url: str, token: str | None, sessions: sessionmaker[Session]):
        self.bot_url, self.token, self.sessions = bot_url.rstrip("/"), token, sessions
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="bot-delivery")

    def _trigger(self, conversation_id: str, intent: str, entities: dict[str, str]) -> bool:
        url = f"{self.bot_url}/conversations/{quote(conversation_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest", **({"token": self.token} if self.token else {})}
        for attempt, delay in enumerate((0, *RETRY_DELAYS)):
            time.sleep(delay)
            try:
                response = httpx.post(url, params=params, json={"name": intent, "entities": entities}, timeout=10)
                if response.status_code < 300:
                    return True
                log.warning(
                    "bot refused %s for %s: %s %s", intent, conversation_id, response.status_code, response.text[:200]
                )
                if response.status_code < 500:
                    return False
            except httpx.HTTPError as exc:
                log.warning("bot unreachable (attempt %d) for %s: %s", attempt + 1, conversation_id, exc)
        return False

    def _mark(self, message_id: int, delivered: bool) -> None:
        with self.sessions() as session:
            session.execute(
                update(Message)
                .where(Message.id == message_id)
                .values(delivery_status="delivered" if delivered else "failed")
            )
            session.commit()

    def agent_reply(self, conversation_id: str, message_id: int, body: str, agent_name: str | None) -> None:
        def job() -> None:
            entities = {"agent_message": body, **({"agent_name": agent_name} if agent_name else {})}
            self._mark(message_id, self._trigger(conversation_id, "agent_reply", entities))

        self.pool.submit(job)

    def ticket_resolved(self, conversation_id: str) -> None:
        self.pool.submit(self._trigger, conversation_id, "ticket_resolved", {})

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=False)
