"""The handoff policy: during a handoff a customer's message goes to the ticket unless it clearly ends the handoff."""

import pytest
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.slots import BooleanSlot, TextSlot
from rasa.shared.core.trackers import DialogueStateTracker

from mostrador_nlu.handoff_policy import END_HANDOFF, RECORD_CSAT, RECORD_CSAT_COMMENT, RELAY, HandoffPolicy


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


def after_a_bare_score_saying(text: str, intent: str, confidence: float, asked: bool = True) -> DialogueStateTracker:
    """The customer rated with a bare "4"; the bot thanked them and asked why (`asked`), and now they write."""
    slots = [TextSlot("csat_comment_for", mappings=[{"type": "custom"}])]
    events = [
        ActionExecuted("action_listen"),
        UserUttered("4", intent={"name": "inform", "confidence": 0.6}),
        ActionExecuted(RECORD_CSAT),
        SlotSet("csat_comment_for", "12:4"),
        ActionExecuted("action_listen"),
        UserUttered(text, intent={"name": intent, "confidence": confidence}),
    ]
    if not asked:  # something else happened in between: the question about the rating is no longer open
        events[4:4] = [ActionExecuted("action_listen"), UserUttered("hola", intent={"name": "greet"})]
        events[6:6] = [ActionExecuted("utter_greet")]
    return DialogueStateTracker.from_events("customer", events, slots=slots)


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("Laura fue muy paciente y me explicó todo", "inform", 0.93),
        ("tardaron 3 días en contestarme", "complain", 0.99),
        ("the agent was great", "chitchat", 0.7),
        ("todo bien", "affirm", 0.55),
    ],
)
def test_the_message_right_after_a_bare_score_is_its_comment(text, intent, confidence):
    assert HandoffPolicy.choose(after_a_bare_score_saying(text, intent, confidence)) == RECORD_CSAT_COMMENT


@pytest.mark.parametrize(
    ("text", "intent", "confidence"),
    [
        ("¿cómo cambio mi dirección de despacho?", "faq", 0.97),  # a question: answered as usual
        ("do you ship to Arica", "faq", 0.95),
        ("quiero hablar con una persona", "request_human", 0.99),
        ("gracias", "thanks", 0.99),
        ("/agent_reply", "agent_reply", 1.0),
    ],
)
def test_a_question_or_a_clear_request_after_a_bare_score_gets_its_usual_answer(text, intent, confidence):
    assert HandoffPolicy.choose(after_a_bare_score_saying(text, intent, confidence)) is None


def test_a_comment_is_only_taken_right_after_the_score():
    tracker = after_a_bare_score_saying("the agent was great", "chitchat", 0.7, asked=False)
    assert HandoffPolicy.choose(tracker) is None
