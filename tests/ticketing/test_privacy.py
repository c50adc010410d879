"""The privacy API (export, erasure, audit) and tickets of customers who declined consent.

Conversations in the bot are covered end to end (tests/e2e/test_privacy.py, with the real Rasa server); here the
tickets come through the API, without a bot conversation, except where the bot is unreachable on purpose.
"""

import socket

import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr
from sqlalchemy import select

from tests.ticketing.conftest import AUTH, login, new_ticket
from ticketing.app import create_app
from ticketing.deps import get_now
from ticketing.privacy.models import PrivacyRequest

EMAIL, PHONE, NAME, ORDER = "Wilfreda.Q@example.org", "+56987651234", "Wilfreda Quispe", "CS-7654321"
PROBLEM = f"Soy {NAME}, mi pedido {ORDER} llegó roto; escríbanme a {EMAIL.lower()} o al +56 9 8765 1234"
SUBJECT = {"email": EMAIL.lower()}


def _ticket(client, **overrides) -> dict:
    body = new_ticket(
        customer={"name": NAME, "email": EMAIL, "phone": PHONE},
        description=PROBLEM,
        order_number=ORDER,
        transcript=[
            {"sender": "customer", "text": f"me llamo {NAME}", "timestamp": "2026-11-20T15:00:00Z"},
            {"sender": "bot", "text": f"Gracias {NAME.split()[0]}, ¿tu correo?", "timestamp": "2026-11-20T15:00:01Z"},
            {"sender": "customer", "text": EMAIL, "timestamp": "2026-11-20T15:00:02Z"},
        ],
    )
    body.update(overrides)
    response = client.post("/api/v1/tickets", json=body, headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def _personal(text: str) -> set[str]:
    text = text.lower()
    return {v for v in (EMAIL.lower(), NAME.lower(), "wilfreda", "quispe", ORDER.lower(), "87651234") if v in text}


def test_only_a_supervisor_may_export_erase_or_read_the_audit(client):
    laura = login(client, "laura@condorstore.cl")  # an agent of the logistics team
    ana = login(client, "ana@condorstore.cl")  # the demo supervisor
    calls = [
        ("post", "/api/v1/privacy/exports", SUBJECT),
        ("post", "/api/v1/privacy/erasures", SUBJECT),
        ("get", "/api/v1/privacy/requests", None),
    ]
    for method, path, body in calls:
        send = getattr(client, method)
        kwargs = {"json": body} if body else {}
        assert send(path, **kwargs).status_code == 401
        assert send(path, headers={"Authorization": "Bearer wrong"}, **kwargs).status_code == 401
        refused = send(path, headers=AUTH, **kwargs)  # the action server's service token
        assert (refused.status_code, refused.json()["code"]) == (403, "forbidden")
        assert send(path, headers=laura, **kwargs).status_code == 403
        assert send(path, headers=ana, **kwargs).status_code == 200


def test_a_subject_needs_a_valid_email_or_phone(client):
    ana = login(client, "ana@condorstore.cl")
    for body in ({}, {"email": "not-an-email"}, {"phone": "call me"}, {"email": None, "phone": None}, {"name": "x"}):
        response = client.post("/api/v1/privacy/exports", json=body, headers=ana)
        assert response.status_code == 422, body
        assert response.json()["code"] == "validation_error"


def test_an_export_holds_the_customer_their_tickets_messages_timeline_and_csat(client):
    ana = login(client, "ana@condorstore.cl")
    ticket = _ticket(client)
    other = client.post("/api/v1/tickets", json=new_ticket(), headers=AUTH).json()  # someone else's
    client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=ana)
    client.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 4, "comment": "rápido"}, headers=AUTH)

    # (By phone the export also reads the WhatsApp conversation the number names: end to end, with the bot.)
    for subject in ({"email": EMAIL.upper()},):
        export = client.post("/api/v1/privacy/exports", json=subject, headers=ana).json()
        assert export["found"] is True
        assert [(c["name"], c["email"], c["phone"]) for c in export["customers"]] == [(NAME, EMAIL, PHONE)]
        assert [t["number"] for t in export["tickets"]] == [ticket["number"]]
        exported = export["tickets"][0]
        assert exported["order_number"] == ORDER and exported["description"] == PROBLEM
        assert [m["body"] for m in exported["messages"]][0] == f"me llamo {NAME}"
        assert "resolved" in [e["kind"] for e in exported["timeline"]] or exported["status"] == "resolved"
        assert exported["csat"]["score"] == 4 and exported["csat"]["comment"] == "rápido"
        assert other["number"] not in [t["number"] for t in export["tickets"]]

    unknown = client.post("/api/v1/privacy/exports", json={"email": "nobody@example.org"}, headers=ana).json()
    assert unknown["found"] is False and unknown["tickets"] == [] and unknown["customers"] == []


def test_erasure_anonymises_the_tickets_and_the_customer_and_a_second_one_finds_nothing(client, sessions):
    ana = login(client, "ana@condorstore.cl")
    ticket = _ticket(client)
    client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"author": "agent", "body": f"Hola {NAME.split()[0]}, revisé el pedido {ORDER}"},
        headers=ana,
    )
    client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "customer", "body": "gracias!"}, headers=AUTH
    )

    erased = client.post("/api/v1/privacy/erasures", json=SUBJECT, headers=ana)
    assert erased.status_code == 200, erased.text
    assert erased.json()["outcome"] == "erased" and erased.json()["tickets"] == [ticket["number"]]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ana).json()
    assert _personal(str(detail)) == set()
    assert detail["customer"]["email"] is None and detail["order_number"] is None
    assert [m["author"] for m in detail["messages"]] == ["customer", "bot", "customer", "agent", "customer"]
    assert detail["messages"][3]["body"].startswith("Hola [erased], revisé el pedido [erased]")
    assert detail["timeline"][-1]["kind"] == "personal_data_erased"
    assert detail["category"] == ticket["category"] and detail["priority"] == ticket["priority"]  # metrics keep it
    found = client.get("/api/v1/tickets", params={"customer_email": EMAIL}, headers=AUTH).json()
    assert found["total"] == 0

    again = client.post("/api/v1/privacy/erasures", json=SUBJECT, headers=ana).json()
    assert (again["outcome"], again["tickets"]) == ("nothing_held", [])
    assert "nothing is held" in again["detail"]
    export = client.post("/api/v1/privacy/exports", json=SUBJECT, headers=ana).json()
    assert export["found"] is False

    trail = client.get("/api/v1/privacy/requests", headers=ana).json()
    assert [(r["kind"], r["outcome"]) for r in trail["items"]] == [
        ("export", "nothing_held"),
        ("erasure", "nothing_held"),
        ("erasure", "erased"),
    ]
    assert {r["actor"] for r in trail["items"]} == {"ana@condorstore.cl"}
    assert len({r["subject_ref"] for r in trail["items"]}) == 1  # the same subject, recognisable
    with sessions() as session:
        stored = [repr(vars(r)) for r in session.scalars(select(PrivacyRequest))]
    assert stored and _personal(" ".join(stored)) == set()  # the audit itself holds no personal data


@pytest.fixture
def client_with_bot_down(settings, business, sessions, knowledge_base, clock):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    down = settings.model_copy(update={"bot_url": f"http://127.0.0.1:{port}", "bot_api_token": SecretStr("t")})
    app = create_app(down, business, knowledge_base, background=False)
    app.dependency_overrides[get_now] = lambda: clock.now
    with TestClient(app) as test_client:
        yield test_client


def test_when_the_bot_cannot_be_reached_nothing_is_erased_and_the_supervisor_is_told(client_with_bot_down):
    client = client_with_bot_down
    ana = login(client, "ana@condorstore.cl")
    ticket = _ticket(client, conversation_id="conv-privacy-1")
    response = client.post("/api/v1/privacy/erasures", json=SUBJECT, headers=ana)
    assert (response.status_code, response.json()["code"]) == (503, "bot_unavailable")
    assert "nothing was done" in response.json()["detail"]
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ana).json()
    assert detail["customer"]["email"] == EMAIL and detail["order_number"] == ORDER
    assert client.get("/api/v1/privacy/requests", headers=ana).json()["total"] == 0
    export = client.post("/api/v1/privacy/exports", json=SUBJECT, headers=ana)
    assert export.status_code == 503


def test_a_customer_who_declines_consent_leaves_no_name_contact_or_order_in_the_ticket(client):
    ana = login(client, "ana@condorstore.cl")
    ticket = _ticket(client, consent=False)
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ana).json()
    assert _personal(str(detail)) == set()
    assert detail["customer"] == {"name": "Anonymous customer", "email": None, "phone": None, "plan": "standard"}
    assert detail["order_number"] is None
    assert "llegó roto" in detail["description"]  # the problem itself stays, for the agent
    client.post(
        f"/api/v1/tickets/{ticket['id']}/messages",
        json={"author": "customer", "body": f"mi correo es {EMAIL}, pedido {ORDER}"},
        headers=AUTH,
    )
    later = client.get(f"/api/v1/tickets/{ticket['id']}", headers=ana).json()
    assert _personal(later["messages"][-1]["body"]) == set()


def test_the_questions_a_declining_customer_asked_the_bot_are_not_kept(client):
    ana = login(client, "ana@condorstore.cl")
    for conversation, question in (
        ("conv-declines", f"hola soy {NAME}, venden seguros?"),
        ("conv-other", "venden autos?"),
    ):
        body = {"question": question, "language": "es", "conversation_id": conversation}
        assert client.post("/api/v1/kb/gaps", json=body, headers=AUTH).status_code in (200, 201)
    _ticket(client, consent=False, conversation_id="conv-declines")
    groups = client.get("/api/v1/kb/gaps", headers=ana).json()["items"]
    assert _personal(str(groups)) == set()
    assert "autos" in str(groups)  # another conversation's question stays


def test_a_status_lookup_by_email_is_counted_without_keeping_the_email(client):
    import hashlib

    ticket = _ticket(client)
    body = {"number": ticket["number"], "conversation_id": "conv-someone", "email": EMAIL}
    assert client.post("/api/v1/ticket-lookup", json=body, headers=AUTH).status_code == 200
    counters = client.app.state.limits.counters  # in Redis when shared: the key is what would be stored there
    hashed = hashlib.sha256(EMAIL.lower().encode()).hexdigest()[:32]
    assert counters.peek(f"lookup-email:{hashed}")[0] == 1
    assert counters.peek(f"lookup-email:{EMAIL.lower()}")[0] == 0
