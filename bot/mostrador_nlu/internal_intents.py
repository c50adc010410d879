"""Customers cannot type the intents the backend pushes: checked after the last step of NLU, on every channel.

Rasa 3.6 ends NLU with its RegexMessageHandler: a text starting with "/" that names a domain intent
("/affirm", `/ticket_created{"ticket_id": "48"}`) replaces whatever NLU understood with that intent and the JSON's
entities. That is how the bot's own buttons work, and it would let a customer push `ticket_created`,
`agent_reply` or `ticket_resolved` into their conversation. Every channel (REST, socket.io, WhatsApp) reaches NLU
through the same handler, while `trigger_intent` (Rasa's token-protected API, used by the backend and the
action server) never goes through NLU. So the handler's result is checked here:
- a pushed intent becomes `internal_intent_typed`, with no entities: the bot answers it politely, the handoff
  never relays it to a ticket;
- any other message loses the entities only pushed intents carry (`ticket_id`, the agent's message, ...).
Button payloads (`/affirm`, `/request_human`, ...) name customer intents and pass unchanged.
"""

from typing import Any, List, Optional  # noqa: UP035 (see _process)

from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from mostrador.pushed_intents import PUSHED_ENTITIES, PUSHED_INTENTS, TYPED_INTERNAL_INTENT


def guard(message: Message) -> Message:
    """The message as the bot may act on it: no pushed intent, no entity only a pushed intent carries."""
    intent = (message.get(INTENT) or {}).get(INTENT_NAME_KEY)
    if intent in PUSHED_INTENTS:
        typed = {INTENT_NAME_KEY: TYPED_INTERNAL_INTENT, PREDICTED_CONFIDENCE_KEY: 1.0}
        data: dict[str, Any] = {
            TEXT: message.get(TEXT),
            INTENT: typed,
            INTENT_RANKING_KEY: [dict(typed)],
            ENTITIES: [],
        }
        return Message(data, output_properties=set(data))
    entities = message.get(ENTITIES) or []
    kept = [entity for entity in entities if entity.get("entity") not in PUSHED_ENTITIES]
    if len(kept) != len(entities):
        message.set(ENTITIES, kept, add_to_output=True)
    return message


_unpack = RegexMessageHandler.process


# Rasa validates the graph against this signature: the same names and types as the method it replaces.
def _process(self, messages: List[Message], domain: Optional[Domain] = None) -> List[Message]:  # noqa: UP006, UP045
    return [guard(message) for message in _unpack(self, messages, domain)]


def apply() -> None:
    """Install the check on Rasa's last NLU step (before the model's graph is built: at this package's import)."""
    if RegexMessageHandler.process is not _process:
        RegexMessageHandler.process = _process
