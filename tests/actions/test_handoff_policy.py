"""The handoff policy: during a handoff a customer's message goes to the ticket unless it clearly ends the handoff."""

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.slots import BooleanSlot
from rasa.shared.core.trackers import DialogueStateTracker

from mostrador_nlu.handoff_policy import END_HANDOFF, RELAY, HandoffPolicy


def in_handoff_saying(text: str, intent: str, confidence: float) -> DialogueStateTracker:
    slots = [BooleanSlot("handoff", mappings=[{"type": "custom"}])]
    events = [
        ActionExecuted("action_listen"),
        SlotSet("handoff", True),
        ActionExecuted("action_listen"),
        UserUttered(text, intent={"name": intent, "confidence": confidence}),
    ]
    return DialogueStateTracker.from_events("customer", events, slots=slots)


@pytest.mark.parametrize(
    ("text", "confidence"), [("cancelar", 0.97), ("cancel, I want to talk to the bot again", 0.85)]
)
def test_a_clear_cancel_during_a_handoff_ends_it(text, confidence):
    assert HandoffPolicy.choose(in_handoff_saying(text, "cancel", confidence)) == END_HANDOFF


def test_an_unsure_cancel_during_a_handoff_goes_to_the_agent_instead_of_ending_the_handoff():
    tracker = in_handoff_saying("It still does not charge with another cable", "cancel", 0.51)
    assert HandoffPolicy.choose(tracker) == RELAY


def test_any_other_message_during_a_handoff_goes_to_the_agent():
    tracker = in_handoff_saying("the screen is still black", "inform", 0.99)
    assert HandoffPolicy.choose(tracker) == RELAY
