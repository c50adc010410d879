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


def test_the_window_says_how_an_agents_reply_goes_now(client, clock, business, monkeypatch):
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=2)
    window = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]
    assert (window["replies"], window["reply_template"]) == ("text", "condor_ticket_update")
    clock.advance(hours=23)
    window = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]
    assert (window["open"], window["replies"], window["reply_template"]) == (False, "template", "condor_ticket_update")

    from ticketing.business.config import WhatsAppConfig

    monkeypatch.setattr(business, "config", business.config.model_copy(update={"whatsapp": WhatsAppConfig()}))
    window = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["whatsapp_window"]
    assert (window["replies"], window["reply_template"]) == ("undeliverable", None)


def test_outside_the_window_the_survey_goes_as_its_template_and_the_ticket_says_so(
    client, clock, business, sessions, monkeypatch
):
    from ticketing.business.config import WhatsAppConfig, WhatsAppTemplateConfig

    survey = WhatsAppTemplateConfig(name="condor_survey", languages={"es": "es", "en": "en_US"}, parameters=[])
    templates = {**business.config.whatsapp.templates, "ticket_resolved": survey}
    config = business.config.model_copy(update={"whatsapp": WhatsAppConfig(templates=templates)})
    monkeypatch.setattr(business, "config", config)
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=30)
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=AUTH).status_code == 200
    row = outbox_rows(sessions)[-1]
    assert (row.kind, row.payload["whatsapp_template"]["name"]) == ("ticket_resolved", "condor_survey")
    timeline = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["timeline"]
    (event,) = [e for e in timeline if e["kind"] == "csat_by_template"]
    assert event["data"] == {"template": "condor_survey"} and "24-hour window" in event["reason"]
    assert not [e for e in timeline if e["kind"] == "csat_skipped"]


def reply_and_its_outbox_row(client, clock, sessions) -> tuple[dict, dict, int]:
    ticket = whatsapp_ticket(client, clock, wrote_hours_ago=1)
    message = client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Ya salió"}, headers=AUTH
    ).json()
    return ticket, message, outbox_rows(sessions)[-1].id


def delivery_of(client, ticket: dict, message: dict) -> dict:
    messages = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["messages"]
    return next(m for m in messages if m["id"] == message["id"])["delivery"]


def report(client, *statuses: dict) -> dict:
    response = client.post("/api/v1/channels/whatsapp/statuses", json={"statuses": list(statuses)}, headers=AUTH)
    assert response.status_code == 200, response.text
    return response.json()


def test_whatsapps_statuses_are_recorded_against_the_reply_that_carried_the_wamid(client, clock, sessions):
    ticket, message, outbound_id = reply_and_its_outbox_row(client, clock, sessions)
    assert delivery_of(client, ticket, message)["whatsapp"] is None  # not sent yet
    wamid = "wamid.HBgLNTY5MTIzNDU2NzgVAgARGBIzQjVGQzQ5NjNBNDQ2NEY3AA=="
    assert report(client, {"wamid": wamid, "status": "sent", "outbound_id": outbound_id}) == {
        "recorded": 1,
        "unknown": [],
    }
    assert delivery_of(client, ticket, message)["whatsapp"]["status"] == "sent"
    # Meta's later statuses name the wamid only.
    report(client, {"wamid": wamid, "status": "delivered", "timestamp": 1764680300})
    on_whatsapp = delivery_of(client, ticket, message)["whatsapp"]
    assert on_whatsapp["status"] == "delivered" and on_whatsapp["at"].startswith("2025-12-02T12:58:20")
    report(client, {"wamid": wamid, "status": "read"}, {"wamid": wamid, "status": "delivered"})  # late: ignored
    assert delivery_of(client, ticket, message)["whatsapp"]["status"] == "read"


def test_a_failed_status_shows_metas_reason_on_the_reply_and_in_the_timeline(client, clock, sessions):
    ticket, message, outbound_id = reply_and_its_outbox_row(client, clock, sessions)
    report(client, {"wamid": "wamid.FAILED1", "status": "sent", "outbound_id": outbound_id})
    details = "Message failed to send because more than 24 hours have passed since the customer last replied."
    failed = {"code": 131047, "title": "Re-engagement message", "details": details}
    report(client, {"wamid": "wamid.FAILED1", "status": "failed", "errors": [failed]})
    report(client, {"wamid": "wamid.FAILED1", "status": "failed", "errors": [failed]})  # Meta repeats itself
    on_whatsapp = delivery_of(client, ticket, message)["whatsapp"]
    assert on_whatsapp["status"] == "failed"
    assert on_whatsapp["error"] == f"WhatsApp error 131047: {details}"
    timeline = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["timeline"]
    (event,) = [e for e in timeline if e["kind"] == "whatsapp_not_delivered"]
    assert "131047" in event["reason"] and event["data"] == {"outbound_id": outbound_id}


def test_a_reply_split_in_two_messages_is_read_only_when_both_are(client, clock, sessions):
    ticket, message, outbound_id = reply_and_its_outbox_row(client, clock, sessions)
    report(
        client,
        {"wamid": "wamid.PART1", "status": "sent", "outbound_id": outbound_id},
        {"wamid": "wamid.PART2", "status": "sent", "outbound_id": outbound_id},
        {"wamid": "wamid.PART1", "status": "read"},
    )
    assert delivery_of(client, ticket, message)["whatsapp"]["status"] == "sent"
    report(client, {"wamid": "wamid.PART2", "status": "read"})
    assert delivery_of(client, ticket, message)["whatsapp"]["status"] == "read"


def test_statuses_of_messages_the_backend_never_sent_are_not_kept(client, sessions):
    from sqlalchemy import func, select

    from ticketing.channels.models import ChannelReceipt

    answer = report(
        client,
        {"wamid": "wamid.BOTANSWER", "status": "delivered"},  # the bot's own answer: not an outbox message
        {"wamid": "wamid.NOROW", "status": "sent", "outbound_id": 999999},
    )
    assert answer == {"recorded": 0, "unknown": ["wamid.BOTANSWER", "wamid.NOROW"]}
    with sessions() as session:
        assert session.scalar(select(func.count()).select_from(ChannelReceipt)) == 0


def test_status_reports_are_checked(client):
    for body in (
        {"statuses": []},
        {"statuses": [{"wamid": "w", "status": "seen"}]},
        {"statuses": [{"wamid": "", "status": "read"}]},
        {"statuses": [{"wamid": "w", "status": "read", "outbound_id": "1"}]},
    ):
        response = client.post("/api/v1/channels/whatsapp/statuses", json=body, headers=AUTH)
        assert response.status_code == 422, body
