"""WhatsApp tickets in the API: the state of the 24-hour window, from when the customer last wrote."""

from datetime import timedelta

from tests.ticketing.conftest import AUTH, new_ticket


def whatsapp_ticket(client, clock, wrote_hours_ago: float) -> dict:
    wrote = clock.now - timedelta(hours=wrote_hours_ago)
    transcript = [
        {"sender": "customer", "text": "mi pedido no llega", "timestamp": wrote.isoformat()},
        {
            "sender": "bot",
            "text": "¿Te ayudo con el seguimiento?",
            "timestamp": (wrote + timedelta(seconds=1)).isoformat(),
        },
    ]
    body = new_ticket(channel="whatsapp", conversation_id="56912345678", transcript=transcript)
    return client.post("/api/v1/tickets", json=body, headers=AUTH).json()


def test_a_whatsapp_ticket_shows_when_its_window_closes(client, clock):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=2)
    window = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]
    assert window["open"] is True
    closes = window["closes_at"].replace("Z", "+00:00")
    assert closes.startswith((clock.now + timedelta(hours=22)).isoformat()[:16])


def test_the_window_closes_24_hours_after_the_customers_last_message_and_reopens_when_they_write(client, clock):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=2)
    clock.advance(hours=23)
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]["open"] is False
    client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"author": "customer", "body": "¿alguna novedad?"},
        headers=AUTH,
    )
    window = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]
    assert window["open"] is True


def test_other_channels_have_no_window(client):
    ticket = client.post("/api/v1/tickets", json=new_ticket(), headers=AUTH).json()
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"] is None


def outbox_rows(sessions) -> list:
    from sqlalchemy import select

    from ticketing.channels.models import OutboundMessage

    with sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def test_inside_the_window_an_agent_reply_goes_as_it_is(client, clock, sessions):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=1)
    sent = client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Hola"}, headers=AUTH
    )
    assert sent.json()["delivery"]["status"] == "pending"
    assert "whatsapp_template" not in outbox_rows(sessions)[-1].payload


def test_outside_the_window_an_agent_reply_goes_as_the_template_of_the_business_file(client, clock, sessions):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=30)
    body = "Hola Ana:\nya salió tu pedido."
    sent = client.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": body}, headers=AUTH)
    assert sent.status_code == 201 and sent.json()["delivery"]["status"] == "pending"
    assert outbox_rows(sessions)[-1].payload["whatsapp_template"] == {
        "name": "condor_ticket_update",
        "language": "es",
        "parameters": ["Ana Pérez", ticket["number"], "Hola Ana: ya salió tu pedido."],
    }


def test_outside_the_window_without_a_template_the_agent_is_told_at_once_that_it_cannot_be_delivered(
    client, clock, business, monkeypatch
):
    from ticketing.business.config import WhatsAppConfig

    monkeypatch.setattr(business, "config", business.config.model_copy(update={"whatsapp": WhatsAppConfig()}))
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=30)
    sent = client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Hola"}, headers=AUTH
    )
    assert sent.status_code == 201
    delivery = sent.json()["delivery"]
    assert delivery["status"] == "failed" and "24-hour window" in delivery["last_error"]
    assert "whatsapp.templates.agent_reply" in delivery["last_error"]


def test_outside_the_window_the_survey_without_a_template_is_skipped_and_the_ticket_says_why(client, clock, sessions):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=30)
    before = len(outbox_rows(sessions))
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=AUTH).status_code == 200
    assert len(outbox_rows(sessions)) == before  # nothing to send
    timeline = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["timeline"]
    (skipped,) = [e for e in timeline if e["kind"] == "csat_skipped"]
    assert "whatsapp.templates.ticket_resolved" in skipped["reason"]
