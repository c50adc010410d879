"""Deliver outbox messages to the customer's conversation through the Rasa server.

An agent reply becomes the intent `agent_reply` (the text as an entity) and a resolution `ticket_resolved` (a new
kind of message needs its intent and action in the bot, a line in INTENTS, and its name in mostrador/pushed_intents.py
so that customers cannot type it); each is triggered on the conversation with `output_channel=latest`, so Rasa says
it on the channel the customer last wrote on. Any Rasa replica can do it: the tracker lives in the shared store.

Rasa's trigger is not idempotent, so the outbox row's id travels as the entity `outbound_id`; the bot's action
says a message only if the conversation does not hold one with that id yet, and tags what it says with it. A
send counts as delivered only when the conversation Rasa returns holds a bot message with that id: a trigger
answered 200 while the action server was down said nothing, and is tried again; one that timed out after Rasa
processed it is confirmed by the next try, which the action skips.
"""

import json
import logging
from urllib.parse import quote

import httpx

from mostrador.pushed_intents import AGENT_REPLY, TICKET_RESOLVED
from ticketing.channels import whatsapp
from ticketing.channels.outbox import Outbound, Outcome

log = logging.getLogger(__name__)
# outbox kind -> the pushed intent that says it
INTENTS = {"agent_reply": AGENT_REPLY, "ticket_resolved": TICKET_RESOLVED}


def trigger_entities(outbound: Outbound) -> dict[str, str]:
    """The entities of the trigger: the outbox id, and the message's text and author when it has them."""
    entities = {"outbound_id": str(outbound.id)}
    if outbound.payload.get("text"):
        entities["agent_message"] = outbound.payload["text"]
    if outbound.payload.get("agent_name"):
        entities["agent_name"] = outbound.payload["agent_name"]
    if outbound.payload.get("whatsapp_template"):
        # Outside WhatsApp's 24-hour window: the approved template the WhatsApp channel sends instead of the text.
        entities["whatsapp_template"] = json.dumps(outbound.payload["whatsapp_template"], ensure_ascii=False)
    return entities


def conversation_holds(tracker: dict, outbound_id: int) -> bool:
    """Whether the conversation (a tracker as Rasa returns it) holds a bot message tagged with this outbox id."""
    for event in reversed(tracker.get("events") or []):
        if event.get("event") == "bot" and str((event.get("metadata") or {}).get("outbound_id")) == str(outbound_id):
            return True
    return False


class BotSender:
    """Sends outbox rows of channel "bot" through Rasa's `trigger_intent`."""

    def __init__(self, bot_url: str, token: str | None, timeout: float = 15.0):
        self.bot_url, self.token = bot_url.rstrip("/"), token
        self.client = httpx.Client(timeout=timeout)

    def send(self, outbound: Outbound) -> Outcome:
        intent = INTENTS.get(outbound.kind)
        if intent is None:
            return Outcome(False, f"the bot has no intent for {outbound.kind!r}", permanent=True)
        url = f"{self.bot_url}/conversations/{quote(outbound.conversation_id, safe='')}/trigger_intent"
        params = {"output_channel": "latest", "include_events": "ALL"}
        if self.token:
            params["token"] = self.token
        try:
            response = self.client.post(
                url, params=params, json={"name": intent, "entities": trigger_entities(outbound)}
            )
        except httpx.HTTPError as exc:
            return Outcome(False, f"bot unreachable: {type(exc).__name__}: {exc}")
        if response.status_code >= 500 and (refused := whatsapp.send_failure(response.text)):
            # The WhatsApp channel could not send it: Meta's code says whether trying again can help.
            permanent, reason = refused
            return Outcome(False, reason, permanent=permanent)
        if response.status_code >= 300:
            # 4xx other than a timeout or a rate limit will not change by trying again (an unknown intent, a bad
            # token): the message fails now, visibly, instead of retrying for a day.
            permanent = 400 <= response.status_code < 500 and response.status_code not in (408, 409, 429)
            return Outcome(False, f"bot answered {response.status_code}: {response.text[:300]}", permanent=permanent)
        try:
            tracker = response.json().get("tracker") or {}
        except ValueError:
            return Outcome(False, "bot answered with something that is not JSON")
        if conversation_holds(tracker, outbound.id):
            return Outcome(True)
        return Outcome(False, "the bot took the message but did not say it (is the action server up?)")

    def close(self) -> None:
        self.client.close()
