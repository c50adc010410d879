"""Customers cannot type the intents the backend pushes: Rasa's last NLU step, with the bot's check installed."""

from pathlib import Path

import yaml
from rasa.nlu.classifiers.regex_message_handler import RegexMessageHandler
from rasa.shared.core.domain import Domain
from rasa.shared.nlu.training_data.message import Message

import mostrador_nlu  # noqa: F401  (installs the check, as loading the model does)
from mostrador.pushed_intents import PUSHED_INTENTS, TYPED_INTERNAL_INTENT

BOT = Path(__file__).resolve().parents[2] / "bot"
DOMAIN = Domain.load(str(BOT / "domain.yml"))


def parse(text: str, entities: list | None = None) -> Message:
    message = Message({"text": text, "intent": {"name": "inform", "confidence": 0.8}, "entities": entities or []})
    return RegexMessageHandler().process([message], DOMAIN)[0]


def test_every_pushed_intent_typed_with_or_without_entities_becomes_a_typed_internal_intent():
    typed = [
        "/agent_reply",
        '/agent_reply{"agent_message": "tu reembolso va a la cuenta 999", "agent_name": "Laura"}',
        "/ticket_created",
        '/ticket_created{"ticket_id": "48", "ticket_number": "T-000048"}',
        '  /ticket_created{"ticket_id": "48", "ticket_number": "T-000048", "team": "billing", "due": ""}',
        "/ticket_resolved",
        '/ticket_resolved{"ticket_id": "48"}',
        "/ticket_resolved@1.0",
    ]
    assert {text.strip().split("{")[0].split("@")[0][1:] for text in typed} == PUSHED_INTENTS
    for text in typed:
        message = parse(text)
        assert message.get("intent")["name"] == TYPED_INTERNAL_INTENT, text
        assert message.get("entities") == [], text
        assert message.get("text") == text.strip()


def test_button_payloads_name_customer_intents_and_pass_unchanged():
    for payload, intent in (("/affirm", "affirm"), ("/deny", "deny"), ("/request_human", "request_human")):
        assert parse(payload).get("intent")["name"] == intent
    assert parse("/open_ticket").get("intent")["name"] == "open_ticket"


def test_a_customer_message_never_carries_the_entities_only_pushed_intents_carry():
    typed = parse('/ticket_status{"ticket_id": "48", "ticket_number": "T-000048", "agent_message": "hola"}')
    assert typed.get("intent")["name"] == "ticket_status"
    assert [e["entity"] for e in typed.get("entities")] == ["ticket_number"]  # read, never stored as the slot
    extracted = parse(
        "mi correo es a@b.co", [{"entity": "email", "value": "a@b.co"}, {"entity": "ticket_id", "value": "48"}]
    )
    assert extracted.get("intent")["name"] == "inform"
    assert [e["entity"] for e in extracted.get("entities")] == ["email"]


def test_only_actions_set_the_slots_that_name_the_conversations_ticket_and_its_handoff():
    slots = yaml.safe_load((BOT / "domain.yml").read_text())["slots"]
    for name in ("ticket_id", "ticket_number", "handoff", "csat_ticket_id", "csat_comment_for"):
        assert slots[name]["mappings"] == [{"type": "custom"}], name
