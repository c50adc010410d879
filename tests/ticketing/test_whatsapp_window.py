"""WhatsApp's 24-hour window: what goes as it is, what goes as a template, what cannot go (pure)."""

from datetime import UTC, datetime, timedelta

from ticketing.business.config import WhatsAppTemplateConfig
from ticketing.channels.whatsapp import Window, plan_delivery, send_failure, window

NOON = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)
UPDATE = WhatsAppTemplateConfig(
    name="condor_ticket_update",
    languages={"es": "es", "en": "en_US"},
    parameters=["customer_name", "ticket_number", "message"],
)
VALUES = {"customer_name": "Camila", "ticket_number": "T-000042", "message": "Hola Camila,\n\nya lo revisé."}


def test_the_window_closes_exactly_24_hours_after_the_customers_last_message():
    assert window(NOON - timedelta(hours=23, minutes=59), NOON).open
    closed = window(NOON - timedelta(hours=24), NOON)
    assert not closed.open and closed.closes_at == NOON
    assert window(None, NOON) == Window(None, None, False)


def test_a_reply_inside_the_window_goes_as_it_is():
    plan = plan_delivery("agent_reply", window(NOON - timedelta(hours=1), NOON), {"agent_reply": UPDATE}, "es", VALUES)
    assert plan.send and plan.template is None


def test_a_reply_outside_the_window_goes_as_the_configured_template_in_the_tickets_language():
    plan = plan_delivery("agent_reply", window(NOON - timedelta(days=2), NOON), {"agent_reply": UPDATE}, "en", VALUES)
    assert plan.send
    assert plan.template == {
        "name": "condor_ticket_update",
        "language": "en_US",
        "parameters": ["Camila", "T-000042", "Hola Camila, ya lo revisé."],  # no new lines in a parameter
    }


def test_without_a_template_a_reply_outside_the_window_is_refused_with_the_reason():
    plan = plan_delivery("ticket_resolved", window(NOON - timedelta(days=2), NOON), {"agent_reply": UPDATE}, "es", {})
    assert not plan.send and plan.template is None
    assert "24-hour window" in plan.reason and "whatsapp.templates.ticket_resolved" in plan.reason
    assert "2026-11-30 12:00 UTC" in plan.reason


def test_the_channels_error_says_whether_whatsapp_refused_for_good():
    error = 'An unexpected error occurred. Error: whatsapp 131047 (permanent): Re-engagement message"}'
    assert send_failure(error) == (True, "WhatsApp error 131047: Re-engagement message")
    assert send_failure("Error: whatsapp 130429 (temporary): Rate limit hit") == (
        False,
        "WhatsApp error 130429: Rate limit hit",
    )
    assert send_failure("Error: something else") is None


def test_a_tickets_plan_reads_the_window_from_its_messages_and_fills_the_template_from_the_ticket():
    from types import SimpleNamespace

    from ticketing.channels.whatsapp import plan_for_ticket

    wrote = SimpleNamespace(author="customer", created_at=NOON - timedelta(hours=30))
    answered = SimpleNamespace(author="agent", created_at=NOON - timedelta(hours=1))
    ticket = SimpleNamespace(
        channel="whatsapp",
        messages=[wrote, answered],
        received_at=NOON - timedelta(hours=31),
        customer=SimpleNamespace(name="Camila"),
        number="T-000042",
        language="es",
    )
    plan = plan_for_ticket(ticket, "agent_reply", NOON, {"agent_reply": UPDATE}, message="Listo")
    assert plan.template["parameters"] == ["Camila", "T-000042", "Listo"]  # an agent's message does not reopen it
    web = SimpleNamespace(**{**vars(ticket), "channel": "web"})
    assert plan_for_ticket(web, "agent_reply", NOON, {}, message="Listo").send


def test_the_template_travels_to_the_bot_as_an_entity_and_a_refusal_comes_back_with_metas_reason():
    import json

    from ticketing.channels.bot import trigger_entities
    from ticketing.channels.outbox import Outbound

    template = {"name": "condor_ticket_update", "language": "es", "parameters": ["Ana", "T-000042", "Listo"]}
    outbound = Outbound(
        7, "bot", "56912345678", "agent_reply", {"text": "Listo", "whatsapp_template": template}, 1, NOON
    )
    entities = trigger_entities(outbound)
    assert entities["agent_message"] == "Listo" and json.loads(entities["whatsapp_template"]) == template
    rasa_500 = '{"message": "An unexpected error occurred. Error: whatsapp 190 (permanent): Session has expired"}'
    assert send_failure(rasa_500) == (True, "WhatsApp error 190: Session has expired")
