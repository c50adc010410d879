"""While a person handles the customer's ticket, the bot stays out of the way.

When the conversation is in handoff (slot `handoff` true), every customer message goes to the ticket
(`action_relay_to_ticket`) instead of being answered by the bot — except the intents that are the bot's own
business then: the agent's reply and the ticket's resolution (pushed by the backend), asking for a ticket's
status, a pushed intent a customer typed (answered, never passed to the ticket), and asking to cancel (talk to the
bot again). An attachment from WhatsApp (image, audio, location…) goes to `action_whatsapp_attachment`, in a
handoff or not. After a resolution the bot asks for a satisfaction score;
a message with a score from 1 to 5 is recorded by `action_record_csat`. A bare score is followed by "tell us why, if
you like": the customer's next message is its comment (`action_record_csat_comment`) unless it is a question or a
clear request of another kind, which the bot answers as usual.
"""

import re
from typing import Any

from rasa.core.policies.policy import Policy, PolicyPrediction
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.shared.core.constants import ACTION_LISTEN_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from mostrador.pushed_intents import PUSHED_INTENTS, TYPED_INTERNAL_INTENT

RELAY = "action_relay_to_ticket"
ATTACHMENT = "action_whatsapp_attachment"
RECORD_CSAT = "action_record_csat"
RECORD_CSAT_COMMENT = "action_record_csat_comment"
END_HANDOFF = "action_end_handoff"
BOT_INTENTS = PUSHED_INTENTS | {"ticket_status", TYPED_INTERNAL_INTENT}
_SCORE = re.compile(r"^\D*([1-5])(\D.*)?$", re.S)
# Ending a handoff takes a clear "cancel": an unsure one ("it still does not charge with another cable" read as
# cancel at 0.51) goes to the ticket like any other message, where a person reads it; nothing is lost either way.
END_HANDOFF_CONFIDENCE = 0.8
# After a bare score, a message NLU is sure is one of these is not its comment: it gets its usual answer.
NOT_A_COMMENT = {"request_human", "open_ticket", "ticket_status", "cancel", "faq", "greet", "thanks", "goodbye"}
NOT_A_COMMENT |= {"affirm", "deny"}
NOT_A_COMMENT_CONFIDENCE = 0.8


def _previous_action(tracker: DialogueStateTracker) -> str | None:
    """The bot's last action before the customer's latest message (action_listen aside)."""
    seen_message = False
    for event in reversed(tracker.events):
        if isinstance(event, UserUttered):
            seen_message = True
        elif seen_message and isinstance(event, ActionExecuted) and event.action_name != ACTION_LISTEN_NAME:
            return event.action_name
    return None


def _is_csat_comment(tracker: DialogueStateTracker, intent: str | None, confidence: float, text: str) -> bool:
    """The message right after a bare score, when it is not a question or a clear request of another kind."""
    if not tracker.get_slot("csat_comment_for") or _previous_action(tracker) != RECORD_CSAT:
        return False
    if "?" in text or "¿" in text or intent in BOT_INTENTS:
        return False
    return not (intent in NOT_A_COMMENT and confidence >= NOT_A_COMMENT_CONFIDENCE)


def _whatsapp_attachment(tracker: DialogueStateTracker) -> bool:
    message = tracker.latest_message
    if message is None or message.input_channel != "whatsapp":
        return False
    return bool(((message.metadata or {}).get("whatsapp") or {}).get("attachment"))


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.POLICY_WITHOUT_END_TO_END_SUPPORT, is_trainable=False)
class HandoffPolicy(Policy):
    @staticmethod
    def get_default_config() -> dict[str, Any]:
        return {**Policy.get_default_config(), "priority": 7}

    def train(self, training_trackers: list[Any], domain: Domain, **kwargs: Any) -> Resource:
        return self._resource

    @staticmethod
    def choose(tracker: DialogueStateTracker) -> str | None:
        """The action this policy insists on for the tracker as it is now, or None to leave it to the others."""
        if tracker.latest_action_name in (RELAY, RECORD_CSAT, RECORD_CSAT_COMMENT, END_HANDOFF, ATTACHMENT):
            return ACTION_LISTEN_NAME
        if tracker.latest_action_name != ACTION_LISTEN_NAME or not tracker.latest_message:
            return None
        if _whatsapp_attachment(tracker):
            return ATTACHMENT  # an image, audio, location…: the bot cannot read it (noted on the ticket in a handoff)
        intent = (tracker.latest_message.intent or {}).get("name")
        confidence = (tracker.latest_message.intent or {}).get("confidence") or 0.0
        text = tracker.latest_message.text or ""
        if intent == TYPED_INTERNAL_INTENT:
            return None  # answered by its rule: never a score, never passed to the ticket
        if tracker.get_slot("csat_ticket_id") and _SCORE.match(text.strip()):
            return RECORD_CSAT
        if _is_csat_comment(tracker, intent, confidence, text.strip()):
            return RECORD_CSAT_COMMENT
        if tracker.get_slot("handoff") and intent == "cancel" and confidence >= END_HANDOFF_CONFIDENCE:
            return END_HANDOFF
        if tracker.get_slot("handoff") and intent not in BOT_INTENTS:
            return RELAY
        return None

    def predict_action_probabilities(
        self,
        tracker: DialogueStateTracker,
        domain: Domain,
        rule_only_data: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> PolicyPrediction:
        action = self.choose(tracker)
        probabilities = self._default_predictions(domain)
        if action is not None:
            probabilities[domain.index_for_action(action)] = 1.0
        return self._prediction(probabilities)
