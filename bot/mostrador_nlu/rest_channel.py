"""Rasa's REST channel, kept out of the customer channels' conversations.

The REST channel (the contract's `POST /webhooks/rest/webhook`, for tests and simple integrations) takes the
conversation id from the caller's `"sender"`. A WhatsApp customer's conversation id is their phone number
(`56912345678`), which is no secret: with Rasa's channel as it ships, anyone reaching the Rasa server (its port is
public, for the widget's socket.io) could speak in that customer's conversation, ask for their ticket's status as
them, or write into the ticket while a person handles it. Here a sender that is another channel's conversation id
(a phone number, a widget session's `web-…` id) speaks in a conversation of its own, `rest-<sender>`: it is answered
as usual, and the customer's conversation never sees it. Every other sender is the conversation id, as in Rasa.
"""

import re

from rasa.core.channels.rest import RestInput
from sanic.request import Request

# A WhatsApp id (a phone number in international form, digits only: 8 to 15 of them; a "+" tolerated) or a widget
# conversation (bot/channels/widget.py).
_OTHER_CHANNELS = re.compile(r"\+?\d{8,15}|web-[0-9a-f]{40}")


def rest_conversation(sender: str) -> str:
    """The conversation a REST sender speaks in: its own name, unless that is another channel's conversation id."""
    return f"rest-{sender}" if _OTHER_CHANNELS.fullmatch(sender.strip()) else sender


class RestChannel(RestInput):
    @classmethod
    def name(cls) -> str:
        return "rest"  # Rasa's address: /webhooks/rest/webhook

    async def _extract_sender(self, req: Request) -> str | None:
        sender = await super()._extract_sender(req)
        return rest_conversation(str(sender)) if sender is not None else None
