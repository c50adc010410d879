"""A customer's ticket status lookup: the backend checks ownership, and "not found" reads like "not yours"."""

from tests.ticketing.conftest import AUTH, login, new_ticket

LOOKUP = "/api/v1/ticket-lookup"


def _ticket(client, conversation_id: str, email: str | None) -> dict:
    customer = {"name": "Marta Soto", **({"email": email} if email else {})}
    body = new_ticket(conversation_id=conversation_id, customer=customer, consent=email is not None)
    return client.post("/api/v1/tickets", json=body, headers=AUTH).json()


def test_the_conversation_that_opened_the_ticket_gets_its_status(client):
    ticket = _ticket(client, "conv-owner", "marta@example.com")
    response = client.post(LOOKUP, json={"number": ticket["number"], "conversation_id": "conv-owner"}, headers=AUTH)
    assert response.status_code == 200
    assert response.json() == {
        "id": ticket["id"],
        "number": ticket["number"],
        "status": "new",
        "team": "logistics",
        "priority": "normal",
        "language": "es",
        "sla": {**ticket["sla"], "state": "ok", "first_responded_at": None},
    }


def test_another_conversation_gets_the_status_with_the_tickets_email_in_any_case(client):
    ticket = _ticket(client, "conv-owner", "Marta@Example.com")
    body = {"number": ticket["number"].lower(), "conversation_id": "conv-other", "email": "marta@EXAMPLE.com"}
    response = client.post(LOOKUP, json=body, headers=AUTH)
    assert response.status_code == 200 and response.json()["id"] == ticket["id"]


def test_someone_elses_ticket_and_a_ticket_that_does_not_exist_get_the_same_404_word_for_word(client):
    ticket = _ticket(client, "conv-owner", "marta@example.com")
    unknown = f"T-{ticket['id'] + 5000:06d}"
    answers = []
    for number, email in (
        (ticket["number"], None),
        (ticket["number"], "intruder@example.com"),
        (unknown, None),
        (unknown, "marta@example.com"),
    ):
        body = {"number": number, "conversation_id": "conv-stranger", **({"email": email} if email else {})}
        response = client.post(LOOKUP, json=body, headers=AUTH)
        answers.append((response.status_code, response.json()["code"], response.json()["detail"].replace(number, "N")))
    assert answers == [(404, "not_found", "no ticket N opened from this conversation or with this email")] * 4


def test_a_ticket_without_an_email_is_only_its_conversations(client):
    ticket = _ticket(client, "conv-no-consent", None)
    mine = client.post(LOOKUP, json={"number": ticket["number"], "conversation_id": "conv-no-consent"}, headers=AUTH)
    assert mine.status_code == 200
    other = {"number": ticket["number"], "conversation_id": "conv-other", "email": "someone@example.com"}
    assert client.post(LOOKUP, json=other, headers=AUTH).status_code == 404


def test_a_malformed_number_is_not_found_and_a_missing_conversation_is_a_422(client):
    for number in ("T-", "X-000001", "T-1; DROP TABLE ticket", "T-9999999999999"):
        response = client.post(LOOKUP, json={"number": number, "conversation_id": "c"}, headers=AUTH)
        assert (response.status_code, response.json()["code"]) == (404, "not_found")
    response = client.post(LOOKUP, json={"number": "T-000001"}, headers=AUTH)
    assert response.status_code == 422


def test_only_the_service_token_may_look_up_tickets_for_a_customer(client):
    ticket = _ticket(client, "conv-owner", "marta@example.com")
    body = {"number": ticket["number"], "conversation_id": "conv-owner"}
    assert client.post(LOOKUP, json=body).status_code == 401
    supervisor = login(client, "ana@condorstore.cl")
    assert client.post(LOOKUP, json=body, headers=supervisor).status_code == 403


def test_past_ten_lookups_an_hour_an_email_proves_nothing_but_the_conversation_still_does(client):
    ticket = _ticket(client, "conv-owner", "paula@example.com")
    for tried in range(1, 11):
        body = {
            "number": f"T-{ticket['id'] + tried:06d}",
            "conversation_id": "conv-guesser",
            "email": "paula@example.com",
        }
        assert client.post(LOOKUP, json=body, headers=AUTH).status_code == 404
    right = {"number": ticket["number"], "conversation_id": "conv-guesser", "email": "PAULA@example.com"}
    assert client.post(LOOKUP, json=right, headers=AUTH).status_code == 404
    mine = {"number": ticket["number"], "conversation_id": "conv-owner", "email": "paula@example.com"}
    assert client.post(LOOKUP, json=mine, headers=AUTH).status_code == 200
