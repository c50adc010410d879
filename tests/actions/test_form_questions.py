"""The form asks each question once a turn: after a message that already asked again, its own question stays quiet."""

import time

from rasa_sdk.executor import CollectingDispatcher

from actions.form_questions import ActionAskDataConsent, ActionAskOrderNumber, ask_again
from actions.whatsapp import ActionAskCustomerName
from tests.actions.helpers import tracker


def turn(*bot_after_customer: dict):
    """A conversation whose last customer message was followed by these bot messages (as Rasa stores them)."""
    now = time.time()
    events = [
        {"event": "bot", "text": "¿Tienes un número de pedido?", "timestamp": now - 20},
        {"event": "user", "text": "48213", "timestamp": now - 10},
        *bot_after_customer,
    ]
    return tracker("48213", "inform", {"requested_slot": "order_number"}, events=events)


def asks(action, t) -> list[dict]:
    dispatcher = CollectingDispatcher()
    assert action.run(dispatcher, t, {}) == []
    return dispatcher.messages


def reprompt_event(slot: str) -> dict:
    """What Rasa stores for a message sent with ask_again."""
    dispatcher = CollectingDispatcher()
    ask_again(dispatcher, slot, "Los números de pedido son como CS-1234567.")
    (message,) = dispatcher.messages
    metadata = {k: v for k, v in message.items() if k not in ("text", "buttons", "elements", "attachment", "image")}
    return {"event": "bot", "text": message["text"], "metadata": {k: v for k, v in metadata.items() if v}}


def test_the_question_is_asked_when_nothing_asked_it_again():
    assert [m["response"] for m in asks(ActionAskOrderNumber(), turn())] == ["utter_ask_order_number"]


def test_after_a_message_that_asked_again_the_forms_question_stays_quiet():
    assert asks(ActionAskOrderNumber(), turn(reprompt_event("order_number"))) == []


def test_a_message_that_asked_for_another_slot_does_not_silence_this_one():
    assert [m["response"] for m in asks(ActionAskDataConsent(), turn(reprompt_event("order_number")))] == [
        "utter_ask_data_consent"
    ]


def test_a_reprompt_before_the_customers_last_message_does_not_count():
    now = time.time()
    events = [
        reprompt_event("customer_name"),
        {"event": "user", "text": "Ana", "timestamp": now},
        {"event": "bot", "text": "Aquí tienes el artículo", "timestamp": now},  # an article, then the name again
    ]
    t = tracker("Ana", "inform", {"requested_slot": "customer_name"}, events=events)
    assert [m["response"] for m in asks(ActionAskCustomerName(), t)] == ["utter_ask_customer_name"]
