"""What the actions do for a customer writing from WhatsApp: the form offers what WhatsApp already knows."""

import asyncio
import time
from datetime import datetime

from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_actions import ActionDeliverAgentReply, ActionTicketResolved
from actions.ticket_actions import ValidateTicketForm
from actions.whatsapp import ActionAskCustomerName, ActionAskCustomerPhone, ActionWhatsAppAttachment
from tests.actions.helpers import tracker

DOMAIN_SLOTS = [
    "customer_name",
    "customer_email",
    "customer_phone",
    "order_number",
    "issue_description",
    "data_consent",
]


def from_whatsapp(text: str, intent: str = "inform", slots: dict | None = None, attachment: dict | None = None, **kw):
    metadata = {"whatsapp": {"wa_id": "56987654321", "profile_name": "Camila Rojas", "attachment": attachment}}
    events = [
        {"event": "user", "text": text, "timestamp": time.time(), "input_channel": "whatsapp", "metadata": metadata}
    ]
    return tracker(text, intent, slots, events=events, **kw)


def test_on_whatsapp_the_profile_name_is_offered_and_yes_takes_it():
    dispatcher = CollectingDispatcher()
    ActionAskCustomerName().run(dispatcher, from_whatsapp("quiero hablar con una persona"), {})
    (asked,) = dispatcher.messages
    assert "Camila Rojas" in asked["text"] and asked["buttons"] == [{"title": "Sí", "payload": "/affirm"}]
    confirmed = ValidateTicketForm().validate_customer_name(
        "/affirm", CollectingDispatcher(), from_whatsapp("/affirm", "affirm", {"requested_slot": "customer_name"}), {}
    )
    assert confirmed == {"customer_name": "Camila Rojas"}
    typed = ValidateTicketForm().validate_customer_name(
        "Camila Andrea Rojas", CollectingDispatcher(), from_whatsapp("Camila Andrea Rojas", "inform"), {}
    )
    assert typed == {"customer_name": "Camila Andrea Rojas"}


def test_on_whatsapp_the_number_they_write_from_is_asked_before_the_email_and_makes_it_unnecessary():
    form = ValidateTicketForm()
    dispatcher = CollectingDispatcher()
    ActionAskCustomerPhone().run(dispatcher, from_whatsapp("Camila"), {})
    assert "+56987654321" in dispatcher.messages[0]["text"]
    required = asyncio.run(form.required_slots(DOMAIN_SLOTS, dispatcher, from_whatsapp("x"), {}))
    assert required[:3] == ["customer_name", "customer_phone", "customer_email"]
    phone = form.validate_customer_phone(
        "/affirm", dispatcher, from_whatsapp("/affirm", "affirm", {"requested_slot": "customer_phone"}), {}
    )
    assert phone == {"customer_phone": "+56987654321"}
    with_phone = from_whatsapp("x", slots={"customer_phone": "+56987654321"})
    assert "customer_email" not in asyncio.run(form.required_slots(DOMAIN_SLOTS, dispatcher, with_phone, {}))


def test_on_the_web_nothing_is_offered():
    dispatcher = CollectingDispatcher()
    ActionAskCustomerName().run(dispatcher, tracker("quiero hablar con una persona"), {})
    assert dispatcher.messages[0]["response"] == "utter_ask_customer_name"
    required = asyncio.run(ValidateTicketForm().required_slots(DOMAIN_SLOTS, dispatcher, tracker("x"), {}))
    assert required == DOMAIN_SLOTS


def test_an_attachment_outside_a_handoff_gets_a_polite_answer_in_the_customers_language():
    dispatcher = CollectingDispatcher()
    image = {"type": "image", "id": "1043", "caption": None}
    ActionWhatsAppAttachment().run(dispatcher, from_whatsapp("[image]", slots={"language": "en"}, attachment=image), {})
    assert "I can only read text" in dispatcher.messages[0]["text"]


def test_a_template_named_by_the_backend_rides_with_the_agent_reply_and_the_survey():
    template = {"name": "agent_reply", "language": "es", "parameters": ["T-000001", "Hola"]}
    entities = [{"entity": "agent_message", "value": "Hola"}, {"entity": "whatsapp_template", "value": template}]
    dispatcher = CollectingDispatcher()
    ActionDeliverAgentReply().run(dispatcher, tracker("", "agent_reply", entities=entities), {})
    assert dispatcher.messages[0]["text"] == "Hola" and dispatcher.messages[0]["whatsapp_template"] == template
    dispatcher = CollectingDispatcher()
    ActionTicketResolved().run(dispatcher, tracker("", "ticket_resolved", {"ticket_number": "T-000001"}), {})
    assert [b["payload"] for b in dispatcher.messages[0]["buttons"]] == ["1", "2", "3", "4", "5"]
    assert "whatsapp_template" not in dispatcher.messages[0]


def test_the_transcript_dates_a_whatsapp_message_when_the_customer_sent_it():
    from actions.ticket_actions import transcript

    now = float(int(time.time()))  # whole seconds: ISO 8601 keeps microseconds, floats do not round-trip them
    events = [
        {"event": "user", "text": "hola", "timestamp": now, "metadata": {"whatsapp": {"timestamp": int(now) - 90000}}},
        {"event": "bot", "text": "¡Hola!", "timestamp": now + 1},
        {"event": "user", "text": "otra", "timestamp": now + 2, "metadata": {"whatsapp": {"timestamp": int(now) + 60}}},
    ]
    lines = transcript(tracker("otra", events=events))
    stamps = [line["timestamp"] for line in lines]
    assert stamps[0] < stamps[1] < stamps[2]
    assert datetime.fromisoformat(stamps[0]).timestamp() == int(now) - 90000  # 25 hours before the bot got it
    assert datetime.fromisoformat(stamps[2]).timestamp() == now + 2  # a clock ahead of ours is not believed
