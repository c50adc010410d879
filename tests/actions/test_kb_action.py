"""The KB answer message: first paragraph, link, the kb_article payload, then "did this help?"."""

import json
import time
import uuid

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.kb_actions import ActionAnswerFromKb, ActionAskIfItHelped, ActionOfferTicket
from tests.actions.conftest import TOKEN
from tests.actions.helpers import tracker


def test_an_answer_carries_the_kb_article_payload_and_asks_if_it_helped(actions_env):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKb().run(dispatcher, tracker("olvidé mi contraseña", "faq"), {})
    (answer,) = dispatcher.messages
    payload = answer["custom"]["kb_article"]
    assert payload["id"] == "reset-password"
    assert payload["url"] == "https://help.example/help/es/reset-password"
    assert payload["url"] in answer["text"]
    assert {"event": "slot", "timestamp": None, "name": "kb_article_id", "value": "reset-password"} in events
    # "Did this help?" is the next action's, so that a yes or a no after it means what it says.
    assert {"event": "followup", "timestamp": None, "name": "action_ask_if_it_helped"} in events
    asked = CollectingDispatcher()
    ActionAskIfItHelped().run(asked, tracker("olvidé mi contraseña", "faq"), {})
    assert [b["payload"] for b in asked.messages[0]["buttons"]] == ["/affirm", "/deny"]


def offer(slots: dict) -> list[dict]:
    """What the bot says after a decline: ActionOfferTicket, with the slots the KB action left."""
    dispatcher = CollectingDispatcher()
    ActionOfferTicket().run(dispatcher, tracker("", "faq", slots), {})
    return dispatcher.messages


def test_an_unanswerable_question_is_declined_without_a_kb_article_and_a_ticket_is_offered(actions_env):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKb().run(dispatcher, tracker("quién ganó el partido de fútbol ayer", "faq"), {})
    assert dispatcher.messages == []  # the offer is an action of its own, so "sí" and "no" keep their meaning
    assert {"event": "followup", "timestamp": None, "name": "action_offer_ticket"} in events
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    (message,) = offer(slots)
    assert "ticket" in message["text"] and "/open_ticket" in [b["payload"] for b in message["buttons"]]


def test_two_misunderstandings_in_a_row_offer_a_person_at_once(actions_env):
    events = ActionAnswerFromKb().run(
        CollectingDispatcher(), tracker("quién ganó el partido de fútbol ayer", "faq"), {}
    )
    misses = {e["name"]: e["value"] for e in events if e["event"] == "slot"}["misunderstandings"]
    events = ActionAnswerFromKb().run(
        CollectingDispatcher(), tracker("cuál es la capital de Mongolia", "faq", {"misunderstandings": misses}), {}
    )
    (message,) = offer({e["name"]: e["value"] for e in events if e["event"] == "slot"})
    assert "persona" in message["text"]
    assert message["buttons"][0]["payload"] == "/request_human"


def test_a_question_misread_as_a_yes_is_answered_from_the_kb(actions_env):
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKb().run(dispatcher, tracker("forgot my password", "affirm", {"language": "en"}), {})
    assert [m["custom"]["kb_article"]["id"] for m in dispatcher.messages if m.get("custom")] == ["reset-password"]


def test_a_bare_yes_with_nothing_pending_is_asked_what_it_needs_without_counting_a_misunderstanding(actions_env):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKb().run(dispatcher, tracker("ok", "affirm", {"language": "en"}), {})
    assert [m["response"] for m in dispatcher.messages] == ["utter_what_else"]
    assert not any(e.get("name") == "misunderstandings" for e in events)


def test_a_fraud_report_goes_straight_to_the_ticket_form_with_the_customers_words(actions_env):
    dispatcher = CollectingDispatcher()
    question = "me robaron la clave y alguien compró con mi cuenta!!"
    events = ActionAnswerFromKb().run(dispatcher, tracker(question, "faq"), {})
    assert all("kb_article" not in (m.get("custom") or {}) for m in dispatcher.messages)
    assert "persona" in dispatcher.messages[0]["text"]
    slots = {e["name"]: e["value"] for e in events if e["event"] == "slot"}
    assert slots["issue_description"] == question
    assert {"event": "followup", "timestamp": None, "name": "ticket_form"} in events


def _unsure(text: str, intent: str, confidence: float, slots: dict | None = None):
    t = tracker(text, intent, {"language": "en", **(slots or {})})
    t.latest_message["intent"]["confidence"] = confidence
    return t


def test_a_question_nlu_half_took_for_a_request_for_a_person_gets_its_article_and_no_form(actions_env):
    from rasa_sdk.events import FollowupAction

    from actions.ticket_actions import ActionStartTicket

    dispatcher = CollectingDispatcher()
    events = ActionStartTicket().run(dispatcher, _unsure("support hrs pls", "request_human", 0.39), {})
    assert [m["custom"]["kb_article"]["id"] for m in dispatcher.messages if m.get("custom")] == ["business-hours"]
    # No form: the next action is "did this help?" (not the ticket form the request's rule would run).
    assert FollowupAction("action_ask_if_it_helped") in events


def test_a_clear_request_for_a_person_is_never_answered_with_an_article(actions_env):
    from actions.ticket_actions import ActionStartTicket

    for text, confidence in [("I want to talk to a person", 0.97), ("support hrs pls", 0.8), ("/request_human", 0.3)]:
        dispatcher = CollectingDispatcher()
        events = ActionStartTicket().run(dispatcher, _unsure(text, "request_human", confidence), {})
        assert dispatcher.messages == []
        assert not any(e.get("event") == "followup" for e in events)


def test_a_question_about_when_people_are_there_gets_the_business_hours_however_sure_nlu_is(actions_env):
    from actions.ticket_actions import ActionStartTicket

    for text, language in [
        ("a qué hora dejan de atender los ejecutivos el sábado?", "es"),
        ("what time can I reach someone from support on a holiday", "en"),
    ]:
        dispatcher = CollectingDispatcher()
        ActionStartTicket().run(dispatcher, _unsure(text, "request_human", 0.98, {"language": language}), {})
        assert [m["custom"]["kb_article"]["id"] for m in dispatcher.messages if m.get("custom")] == ["business-hours"]
    dispatcher = CollectingDispatcher()
    ActionStartTicket().run(dispatcher, _unsure("quiero hablar con una persona ahora", "request_human", 0.98), {})
    assert dispatcher.messages == []


def test_an_order_question_taken_for_a_ticket_status_gets_the_tracking_article(actions_env):
    from actions.ticket_actions import ActionTicketStatus

    dispatcher = CollectingDispatcher()
    t = _unsure("en q parte va mi paquete? lo despacharon ayer", "ticket_status", 0.54, {"language": "es"})
    ActionTicketStatus().run(dispatcher, t, {})
    assert [m["custom"]["kb_article"]["id"] for m in dispatcher.messages if m.get("custom")] == ["order-tracking"]


@pytest.mark.parametrize(
    ("question", "recorded"),
    [
        ("john.smith@example.com", None),
        ("+56 9 8765 4321", None),
        ("CS-1234567", None),
        ("my email is john.smith@example.com, do you sell drones?", "my email is [withheld], do you sell drones?"),
        ("venden drones?", "venden drones?"),
    ],
)
def test_editors_never_read_a_customers_contact_details_among_the_unanswered_questions(actions_env, question, recorded):
    from actions.kb_actions import gap_question

    assert gap_question(question) == recorded


def test_a_complaint_of_only_emoji_opens_the_form_without_a_description_to_reject(actions_env):
    dispatcher = CollectingDispatcher()
    events = ActionAnswerFromKb().run(dispatcher, tracker("😡😡😡", "complain"), {})
    assert dispatcher.messages == []
    assert [e["event"] for e in events] == ["followup"]  # the form, which asks the name first


def test_a_bare_word_several_articles_are_about_gets_them_as_buttons_whatever_nlu_read(actions_env):
    """ "account" alone read as a cancel (0.87) and got a generic "what can I help you with?"; before that, the KB
    answered it with how to delete the account. Now the articles it may mean are offered, and a person."""
    dispatcher = CollectingDispatcher()
    ActionAnswerFromKb().run(dispatcher, tracker("account", "cancel", {"language": "en"}), {})
    (message,) = dispatcher.messages
    titles = [b["title"] for b in message["buttons"]]
    assert "How do I delete my account?" in titles and "How do I update my personal details?" in titles
    assert message["buttons"][-1]["payload"] == "/request_human"


def test_editors_see_unanswered_questions_not_bare_words_the_kb_has_articles_for(actions_env, backend_url):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    marker = uuid.uuid4().hex[:6]
    # The bare word first: its report, if any, is sent before the unanswered question's, which the test waits for.
    ActionAnswerFromKb().run(CollectingDispatcher(), tracker("account", "cancel", {"language": "en"}), {})
    time.sleep(0.5)
    ActionAnswerFromKb().run(CollectingDispatcher(), tracker(f"venden bicicletas {marker}?", "faq"), {})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # reported in a background thread
        gaps = requests.get(f"{backend_url}/api/v1/kb/gaps", params={"limit": 500}, headers=auth).json()
        questions = json.dumps(gaps)
        if marker in questions:
            break
        time.sleep(0.1)
    assert marker in questions
    assert '"account"' not in questions
