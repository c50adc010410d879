"""The bot's conversations as Rasa's tracker store holds them: read and erased through the Rasa server.

The Rasa server's privacy routes (bot/mostrador_nlu/privacy_channel.py) act on the stored rows only; they take
the Rasa API token as a bearer header, so it never sits in a URL.
"""

from urllib.parse import quote

import httpx

from ticketing.errors import DomainError


class BotUnavailable(DomainError):
    status_code = 503
    code = "bot_unavailable"


class ConversationStore:
    def __init__(self, bot_url: str, token: str | None, timeout: float = 15):
        self.bot_url, self.token, self.timeout = bot_url.rstrip("/"), token, timeout

    def _call(self, method: str, conversation_id: str) -> dict:
        if not self.token:
            raise BotUnavailable("the bot's API token is not configured (TICKETING_BOT_API_TOKEN); nothing was done")
        url = f"{self.bot_url}/webhooks/privacy/conversations/{quote(conversation_id, safe='')}"
        try:
            response = httpx.request(
                method, url, headers={"Authorization": f"Bearer {self.token}"}, timeout=self.timeout
            )
        except httpx.HTTPError as exc:
            raise BotUnavailable(
                f"the bot's conversation store did not answer ({type(exc).__name__}); nothing was done, try again"
            ) from None
        if response.status_code != 200:
            raise BotUnavailable(
                f"the bot's conversation store answered {response.status_code}; nothing was done, try again"
            )
        return response.json()

    def events(self, conversation_id: str) -> list[dict]:
        """Every stored event of the conversation (all sessions); [] when none is stored."""
        return self._call("GET", conversation_id)["events"]

    def erase(self, conversation_id: str) -> dict:
        """Delete the conversation from the tracker store and the action server's outbox: the counts deleted."""
        return self._call("DELETE", conversation_id)
