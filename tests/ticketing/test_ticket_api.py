"""The ticket API as the action server and other callers use it."""

from datetime import UTC, datetime, timedelta

from tests.ticketing.conftest import AUTH, new_ticket


def test_creating_a_ticket_classifies_prioritises_routes_and_starts_the_sla(client):
    response = client.post("/api/v1/tickets", json=new_ticket(), headers=AUTH)
    assert response.status_code == 201
    ticket = response.json()
    assert ticket["number"] == f"T-{ticket['id']:06d}"
    assert ticket["category"] == "orders_shipping"
    assert ticket["team"] == "logistics"
    assert ticket["priority"] == "normal"
    assert ticket["priority_reasons"] == ["type: orders_shipping tickets start at normal"]
    assert ticket["sla"]["policy"] == "normal"
    assert ticket["sla"]["first_response_due_at"] < ticket["sla"]["resolution_due_at"]
    assert ticket["status"] == "new"


def test_a_ticket_keeps_the_transcript_and_can_be_found_by_the_customer_email(client):
    transcript = [
        {"sender": "customer", "text": "hola", "timestamp": "2026-11-20T15:00:00Z"},
        {"sender": "bot", "text": "¡Hola! ¿En qué te ayudo?", "timestamp": "2026-11-20T15:00:01Z"},
    ]
    created = client.post(
        "/api/v1/tickets",
        json=new_ticket(
            transcript=transcript, conversation_id="conv-1", customer={"name": "Luz", "email": "Luz@Example.com"}
        ),
        headers=AUTH,
    ).json()
    found = client.get("/api/v1/tickets", params={"customer_email": "luz@example.com"}, headers=AUTH).json()
    assert [t["number"] for t in found["items"]] == [created["number"]]
    detail = client.get(f"/api/v1/tickets/{created['id']}", headers=AUTH).json()
    assert [(m["author"], m["body"]) for m in detail["messages"]] == [
        ("customer", "hola"),
        ("bot", "¡Hola! ¿En qué te ayudo?"),
    ]
    assert detail["description"].startswith("Mi pedido CS-1234567")
    kinds = [e["kind"] for e in detail["timeline"]]
    assert kinds[:5] == ["created", "classified", "prioritised", "routed", "sla_started"]
    assert kinds[5] in ("assigned", "queued")


def test_the_same_idempotency_key_returns_the_same_ticket(client):
    headers = {**AUTH, "Idempotency-Key": "rasa:conv-9:1700000000.1"}
    first = client.post("/api/v1/tickets", json=new_ticket(), headers=headers)
    second = client.post("/api/v1/tickets", json=new_ticket(), headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert client.get("/api/v1/tickets", headers=AUTH).json()["total"] == 1


def test_a_missing_or_empty_description_is_a_422_naming_the_field(client):
    for body in (
        new_ticket(description=""),
        new_ticket(description="   "),
        {k: v for k, v in new_ticket().items() if k != "description"},
    ):
        response = client.post("/api/v1/tickets", json=body, headers=AUTH)
        assert response.status_code == 422
        assert response.json()["code"] == "validation_error"
        assert "description" in response.json()["detail"]


def test_an_unknown_channel_or_language_is_a_422(client):
    for body in (new_ticket(channel="fax"), new_ticket(language="fr")):
        response = client.post("/api/v1/tickets", json=body, headers=AUTH)
        assert response.status_code == 422, response.text


def test_unknown_fields_wrong_types_and_overlong_texts_are_422(client):
    for body in (new_ticket(colour="red"), new_ticket(consent="maybe"), new_ticket(description="x" * 5001)):
        assert client.post("/api/v1/tickets", json=body, headers=AUTH).status_code == 422


def test_a_received_at_in_the_future_is_refused_but_a_little_skew_is_fine(client):
    soon = (datetime.now(UTC) + timedelta(minutes=2)).isoformat()
    later = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert client.post("/api/v1/tickets", json=new_ticket(received_at=soon), headers=AUTH).status_code == 201
    response = client.post("/api/v1/tickets", json=new_ticket(received_at=later), headers=AUTH)
    assert response.status_code == 422
    assert "received_at" in response.json()["detail"]


def test_no_token_or_a_wrong_token_is_a_401(client):
    assert client.post("/api/v1/tickets", json=new_ticket()).status_code == 401
    wrong = client.post("/api/v1/tickets", json=new_ticket(), headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401
    assert wrong.json()["code"] == "unauthorized"


def test_malformed_json_is_a_422_not_a_500(client):
    response = client.post(
        "/api/v1/tickets", content=b"{not json", headers={**AUTH, "Content-Type": "application/json"}
    )
    assert response.status_code == 422


def test_an_unknown_ticket_is_a_404_with_a_code(client):
    response = client.get("/api/v1/tickets/999999", headers=AUTH)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_without_consent_no_personal_data_is_stored(client):
    body = new_ticket(
        consent=False,
        description="Escríbanme a ana@example.com o al +56 9 8765 4321",
        customer={"name": "Ana Pérez", "email": "ana@example.com", "phone": "+56987654321"},
    )
    ticket = client.post("/api/v1/tickets", json=body, headers=AUTH).json()
    assert ticket["customer"] == {"name": "Anonymous customer", "email": None, "phone": None, "plan": "standard"}
    assert "ana@example.com" not in ticket["description"]
    assert "8765" not in ticket["description"]


def test_health_and_openapi_are_published(client):
    assert client.get("/health").json() == {"status": "ok"}
    paths = client.get("/openapi.json").json()["paths"]
    assert "/api/v1/tickets" in paths
    assert client.get("/docs").status_code == 200


def test_a_returning_customer_is_recognised_whatever_the_capitals_and_a_vip_plan_sticks(client):
    customer = {"name": "Tomás Ríos", "email": "Tomas.Rios@Example.com"}
    first = client.post("/api/v1/tickets", json=new_ticket(customer=customer), headers=AUTH).json()
    again = {**customer, "email": "tomas.rios@example.com", "plan": "vip"}
    second = client.post("/api/v1/tickets", json=new_ticket(customer=again), headers=AUTH).json()
    assert any(r.startswith("repeat_contact: 1 other ticket") for r in second["priority_reasons"])
    assert any(r.startswith("vip:") for r in second["priority_reasons"])
    third = client.post("/api/v1/tickets", json=new_ticket(customer=customer), headers=AUTH).json()
    assert third["customer"]["plan"] == "vip"  # the plan stayed with the customer
    assert third["sla"]["policy"].endswith("(VIP)")
    found = client.get("/api/v1/tickets", params={"customer_email": "TOMAS.RIOS@example.com"}, headers=AUTH).json()
    assert sorted(t["id"] for t in found["items"]) == sorted(t["id"] for t in (first, second, third))


def test_a_ticket_is_found_by_its_number_and_a_malformed_number_is_a_404(client):
    created = client.post("/api/v1/tickets", json=new_ticket(), headers=AUTH).json()
    by_number = client.get(f"/api/v1/tickets/by-number/{created['number'].lower()}", headers=AUTH)
    assert by_number.status_code == 200 and by_number.json()["id"] == created["id"]
    for bad in ("T-", "X-000001", "T-99999999", "T-1; DROP TABLE ticket"):
        response = client.get(f"/api/v1/tickets/by-number/{bad}", headers=AUTH)
        assert response.status_code == 404 and response.json()["code"] == "not_found"
