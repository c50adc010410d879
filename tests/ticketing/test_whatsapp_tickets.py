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
