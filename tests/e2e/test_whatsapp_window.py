"""WhatsApp's 24-hour window with the three real processes: outside it an agent's reply goes as the approved
template of the business file, and the survey without a template is skipped and recorded."""

import time

from tests.e2e.test_whatsapp import WhatsAppCustomer, whatsapp_ticket


def test_outside_the_24_hour_window_the_reply_goes_as_the_approved_template_and_the_survey_is_skipped(stack, api):
    phone = WhatsAppCustomer(stack)
    phone.say("hola")
    phone.wait(lambda s: len(s) >= 1)
    ticket = whatsapp_ticket(api, phone, hours_ago=25, said="mi pedido no ha llegado")
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["whatsapp_window"]["open"] is False

    count = len(phone.received())
    reply = "Hola Camila,\ntu pedido sale hoy."
    assert (
        api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply}).status_code == 201
    )
    sent = phone.wait(lambda s: len(s) > count)[count:]
    assert [r.type for r in sent] == ["template"]
    assert sent[0].body["template"] == {
        "name": "condor_ticket_update",
        "language": {"code": "es"},
        "components": [
            {
                "type": "body",
                "parameters": [
                    {"type": "text", "text": "Camila Rojas"},
                    {"type": "text", "text": ticket["number"]},
                    {"type": "text", "text": "Hola Camila, tu pedido sale hoy."},
                ],
            }
        ],
    }

    # No template for the survey in the demo business: skipped, and the ticket says so.
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).status_code == 200
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        timeline = api.get(f"/api/v1/tickets/{ticket['id']}").json()["timeline"]
        if any(e["kind"] == "csat_skipped" for e in timeline):
            break
        time.sleep(0.2)
    skipped = next(e for e in timeline if e["kind"] == "csat_skipped")
    assert "24-hour window" in skipped["reason"]
    time.sleep(2)
    assert len(phone.received()) == count + 1


def test_a_conversation_whatsapp_dates_more_than_24_hours_ago_gets_the_agents_reply_as_a_template(stack, api):
    """Meta's timestamps say when the customer wrote (a delayed delivery, a replay): the window counts from them."""
    phone = WhatsAppCustomer(stack)
    yesterday = time.time() - 25 * 3600

    def say(text=None, tap=None, expect=""):
        count = len(phone.received())
        if tap:
            phone.notify("button_reply", button=tap, timestamp=yesterday)
        else:
            phone.notify("text", text=text, timestamp=yesterday)
        return phone.wait_for_text(expect, after=count)

    say("quiero hablar con una persona", expect="¿Te registro como")
    say(tap=("/affirm", "Sí"), expect="¿Te contactamos a este mismo número")
    say(tap=("/affirm", "Sí"), expect="número de pedido")
    say("saltar", expect="Cuéntame")
    say("el cargador que compré no funciona", expect="Último paso")
    created = say(tap=("/affirm", "Sí"), expect="Tu ticket es el T-")
    number = created.text.split("Tu ticket es el ")[1][:8]
    ticket = api.get(f"/api/v1/tickets/by-number/{number}").json()
    assert ticket["whatsapp_window"]["open"] is False

    count = len(phone.received())
    assert (
        api.post(
            f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Te cambiamos el cargador."}
        ).status_code
        == 201
    )
    sent = phone.wait(lambda s: len(s) > count)[count:]
    assert [r.type for r in sent] == ["template"]
    assert sent[0].body["template"]["components"][0]["parameters"][2] == {
        "type": "text",
        "text": "Te cambiamos el cargador.",
    }
