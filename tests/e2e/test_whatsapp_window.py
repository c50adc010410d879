"""WhatsApp's 24-hour window with the three real processes: outside it an agent's reply goes as the approved
template of the business file, and the survey without a template is skipped and recorded."""

import time
from datetime import UTC, datetime, timedelta

from tests.e2e.test_whatsapp import WhatsAppCustomer


def test_outside_the_24_hour_window_the_reply_goes_as_the_approved_template_and_the_survey_is_skipped(stack, api):
    phone = WhatsAppCustomer(stack)
    phone.say("hola")
    phone.wait(lambda s: len(s) >= 1)
    wrote = (datetime.now(UTC) - timedelta(hours=25)).isoformat()
    body = {
        "customer": {"name": "Camila Rojas", "phone": f"+{phone.wa_id}"},
        "description": "Mi pedido CS-1234567 no ha llegado",
        "channel": "whatsapp",
        "language": "es",
        "conversation_id": phone.wa_id,
        "consent": True,
        "transcript": [{"sender": "customer", "text": "mi pedido no ha llegado", "timestamp": wrote}],
        "received_at": wrote,
    }
    ticket = api.post("/api/v1/tickets", json=body).json()
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
