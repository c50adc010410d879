"""A ticket's life: status changes, replies, the SLA clock (pauses, stops, warnings, breaches), the timeline."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from tests.ticketing.conftest import AUTH, login, new_ticket
from ticketing.sla.service import sweep

SANTIAGO = ZoneInfo("America/Santiago")


def create(client, **overrides) -> dict:
    response = client.post("/api/v1/tickets", json=new_ticket(**overrides), headers=AUTH)
    assert response.status_code == 201, response.text
    return response.json()


def patch(client, ticket, headers=AUTH, **body):
    return client.patch(f"/api/v1/tickets/{ticket['id']}", json=body, headers=headers)


def detail(client, ticket) -> dict:
    return client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()


def test_the_lifecycle_allows_new_open_pending_resolved_closed_and_reopen(client):
    ticket = create(client)
    for status in ("open", "pending", "open", "resolved", "open", "resolved", "closed"):
        response = patch(client, ticket, status=status)
        assert response.status_code == 200, (status, response.text)
        assert response.json()["status"] == status


@pytest.mark.parametrize(("path", "bad"), [(["resolved", "closed"], "open"), ([], "closed"), (["open"], "new")])
def test_an_invalid_transition_is_a_409_and_changes_nothing(client, path, bad):
    ticket = create(client)
    for status in path:
        patch(client, ticket, status=status)
    before = detail(client, ticket)
    response = patch(client, ticket, status=bad)
    assert response.status_code == 409
    assert response.json()["code"] == "invalid_transition"
    after = detail(client, ticket)
    assert after["status"] == before["status"] and len(after["timeline"]) == len(before["timeline"])


def test_every_change_lands_in_the_timeline_with_actor_and_reason(client):
    ticket = create(client)
    patch(client, ticket, priority="urgent", reason="the customer is travelling tomorrow")
    patch(client, ticket, team="billing", reason="it is a payment problem")
    timeline = detail(client, ticket)["timeline"]
    changes = [(e["kind"], e["actor"], e["reason"], e["data"]) for e in timeline if e["kind"].endswith("_changed")]
    assert changes[0] == (
        "priority_changed",
        "service",
        "the customer is travelling tomorrow",
        {"from": "normal", "to": "urgent"},
    )
    assert changes[1][:2] == ("sla_changed", "system") and changes[1][2].startswith("policy urgent: first response by")
    assert changes[2] == ("team_changed", "service", "it is a payment problem", {"from": "logistics", "to": "billing"})
    assigned = [e for e in timeline if e["kind"] == "assigned"]
    assert "least loaded" in assigned[-1]["reason"]


def test_a_missing_team_or_agent_is_a_clear_4xx(client):
    ticket = create(client)
    assert patch(client, ticket, team="astronauts").status_code == 422
    unknown = patch(client, ticket, assignee="nobody@condorstore.cl")  # the ticket exists: the agent does not
    assert unknown.status_code == 422 and unknown.json()["detail"].startswith("assignee:")
    assert patch(client, ticket, assignee="bruno@condorstore.cl").status_code == 422  # not in logistics


def test_a_public_agent_reply_stops_the_first_response_clock_and_bot_messages_never_do(client, clock):
    ticket = create(client, transcript=[{"sender": "bot", "text": "Hola", "timestamp": "2026-11-20T15:00:00Z"}])
    assert detail(client, ticket)["sla"]["first_responded_at"] is None
    internal = {"author": "agent", "body": "revisar con bodega", "internal": True}
    client.post(f"/api/v1/tickets/{ticket['id']}/messages", json=internal, headers=AUTH)
    assert detail(client, ticket)["sla"]["first_responded_at"] is None
    reply_at = clock.advance(minutes=10)
    laura = login(client, "laura@condorstore.cl")
    sent = client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Hola Ana"}, headers=laura
    )
    assert sent.status_code == 201 and sent.json()["agent"] == "laura@condorstore.cl"
    after = detail(client, ticket)
    assert after["sla"]["first_responded_at"] == reply_at.isoformat().replace("+00:00", "Z")
    assert after["status"] == "open"


def test_pending_pauses_the_clock_and_resolved_stops_it(client, clock):
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=SANTIAGO))  # Monday 10:00
    ticket = create(client)
    due = detail(client, ticket)["sla"]["resolution_due_at"]
    assert due == "2026-11-26T13:00:00Z"  # 27 working hours: Thursday 10:00 Santiago (UTC-3)
    patch(client, ticket, status="pending")
    clock.set(datetime(2026, 11, 23, 15, 0, tzinfo=SANTIAGO))  # five working hours waiting on the customer
    patch(client, ticket, status="open")
    assert detail(client, ticket)["sla"]["resolution_due_at"] == "2026-11-26T18:00:00Z"
    patch(client, ticket, status="resolved")
    listed = client.get("/api/v1/tickets", params={"status": "resolved"}, headers=AUTH).json()["items"]
    assert [t["id"] for t in listed] == [ticket["id"]]


def test_the_sla_watch_warns_at_80_percent_breaches_after_and_escalates_tier_one_tech(
    client, clock, sessions, business
):
    clock.set(datetime(2026, 11, 23, 10, 0, tzinfo=SANTIAGO))
    ticket = create(client, description="My laptop won't connect to the wifi at all", language="en")
    assert ticket["team"] == "tech" and ticket["tier"] == 1
    with sessions() as session:
        assert sweep(session, business, datetime(2026, 11, 23, 13, 0, tzinfo=SANTIAGO)) == {"at_risk": 0, "breached": 0}
        assert sweep(session, business, datetime(2026, 11, 23, 13, 13, tzinfo=SANTIAGO)) == {
            "at_risk": 1,
            "breached": 0,
        }
        assert sweep(session, business, datetime(2026, 11, 23, 13, 30, tzinfo=SANTIAGO)) == {
            "at_risk": 0,
            "breached": 0,
        }
        assert sweep(session, business, datetime(2026, 11, 23, 14, 1, tzinfo=SANTIAGO)) == {"at_risk": 0, "breached": 1}
    after = detail(client, ticket)
    assert after["sla"]["state"] == "breached"
    assert after["tier"] == 2
    kinds = [e["kind"] for e in after["timeline"]]
    assert kinds.count("sla_at_risk") == 1 and kinds.count("sla_breached") == 1 and "tier_changed" in kinds
    assert after["assignee"] == "teo@condorstore.cl" or after["assignee"] == "ana@condorstore.cl"


def test_a_vip_customer_gets_half_the_first_response_target(client, clock):
    clock.set(datetime(2026, 11, 27, 17, 0, tzinfo=SANTIAGO))  # Friday 17:00
    standard = create(
        client, description="Quiero saber dónde está mi pedido", customer={"name": "A", "email": "a@x.cl"}
    )
    vip = create(
        client,
        description="Quiero saber dónde está mi pedido",
        customer={"name": "B", "email": "b@x.cl", "plan": "vip"},
    )
    assert standard["priority"] == "normal" and standard["sla"]["first_response_due_at"] == "2026-11-28T16:00:00Z"
    assert vip["priority"] == "high"  # the VIP plan raises one level…
    assert vip["sla"]["first_response_due_at"] == "2026-11-27T21:00:00Z"  # …and high's 2 h is halved: Fri 18:00


def test_raising_the_priority_to_urgent_brings_the_urgent_targets_and_says_so(client, clock):
    clock.set(datetime(2026, 11, 27, 17, 0, tzinfo=SANTIAGO))  # Friday 17:00
    ticket = create(client, description="Quiero saber dónde está mi pedido", customer={"name": "A", "email": "u@x.cl"})
    assert ticket["sla"]["policy"] == "normal" and ticket["sla"]["first_response_due_at"] == "2026-11-28T16:00:00Z"
    clock.advance(seconds=600)
    changed = patch(client, ticket, priority="urgent", reason="the customer travels tonight").json()
    # Urgent: 30 minutes on the always-open clock, from when the ticket came in (17:00 Santiago, 20:00 UTC).
    assert changed["sla"]["policy"] == "urgent" and changed["sla"]["first_response_due_at"] == "2026-11-27T20:30:00Z"
    assert changed["sla"]["resolution_due_at"] == "2026-11-28T00:00:00Z"
    timeline = [e["kind"] for e in detail(client, ticket)["timeline"]]
    assert timeline[-2:] == ["priority_changed", "sla_changed"]


def test_a_repeat_contact_within_seven_days_raises_the_priority(client):
    first = create(client)
    second = create(client)
    assert first["priority"] == "normal"
    assert second["priority"] == "high"
    assert any(r.startswith("repeat_contact") for r in second["priority_reasons"])


def test_agents_see_only_their_teams_tickets(client):
    logistics = create(client)
    billing = create(client, description="Me cobraron dos veces la compra", customer={"name": "C", "email": "c@x.cl"})
    assert billing["team"] == "billing"
    bruno = login(client, "bruno@condorstore.cl")
    visible = client.get("/api/v1/tickets", headers=bruno).json()["items"]
    assert [t["id"] for t in visible] == [billing["id"]]
    # another team's ticket reads exactly as one that does not exist
    hidden = client.get(f"/api/v1/tickets/{logistics['id']}", headers=bruno)
    missing = client.get("/api/v1/tickets/999999", headers=bruno)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"] == f"ticket {logistics['id']} does not exist"
    assert patch(client, logistics, headers=bruno, status="open").status_code == 404
    ana = login(client, "ana@condorstore.cl")  # supervisor
    assert client.get("/api/v1/tickets", headers=ana).json()["total"] == 2


def test_a_wrong_password_is_a_401(client):
    response = client.post("/api/v1/auth/login", json={"email": "ana@condorstore.cl", "password": "nope"})
    assert response.status_code == 401


def test_the_list_is_ordered_by_urgency(client):
    low = create(client, description="¿Tienen stock del iPhone 15?", customer={"name": "L", "email": "l@x.cl"})
    urgent = create(
        client,
        description="Alguien entró a mi cuenta e hizo compras que no hice",
        customer={"name": "U", "email": "u@x.cl"},
    )
    normal = create(client, description="¿Dónde está mi pedido?", customer={"name": "N", "email": "n@x.cl"})
    order = [t["id"] for t in client.get("/api/v1/tickets", headers=AUTH).json()["items"]]
    assert order.index(urgent["id"]) < order.index(normal["id"]) < order.index(low["id"])


def test_metrics_report_times_compliance_and_volume(client, clock):
    ticket = create(client)
    clock.advance(minutes=30)
    client.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Hola"}, headers=AUTH)
    clock.advance(minutes=30)
    patch(client, ticket, status="resolved")
    assert client.post(f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 5}, headers=AUTH).status_code == 201
    create(client, channel="whatsapp", language="en", description="Where is my order?")
    m = client.get("/api/v1/metrics", headers=AUTH).json()
    assert m["tickets"] == 2
    assert m["first_response"]["median_minutes"] == 30.0
    assert m["resolution"]["median_minutes"] == 60.0
    assert m["sla_compliance"]["first_response"] == {"settled": 1, "met": 1, "rate": 1.0}
    assert m["csat"] == {"answers": 1, "average": 5.0, "satisfied_rate": 1.0, "distribution": {"5": 1}}
    assert m["volume"]["by_channel"] == {"web": 1, "whatsapp": 1}
    assert client.get("/api/v1/metrics", params={"since": "2026-01-01"}, headers=AUTH).status_code == 422


def test_the_customers_rating_and_comment_show_on_the_ticket(client):
    ticket = create(client)
    assert client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["csat"] is None
    patch(client, ticket, status="resolved")
    rated = client.post(
        f"/api/v1/tickets/{ticket['id']}/csat", json={"score": 2, "comment": "tardaron mucho"}, headers=AUTH
    )
    assert rated.status_code == 201
    csat = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["csat"]
    assert (csat["score"], csat["comment"]) == (2, "tardaron mucho") and csat["answered_at"]


def test_a_comment_after_the_score_is_one_event_not_a_second_rating(client):
    """The bot asks why after a bare score and sends the answer with the same score: the timeline shows one rating
    and its comment; a changed score is a new rating; the same answer sent again (a retry) adds nothing."""
    ticket = create(client)
    patch(client, ticket, status="resolved")
    url = f"/api/v1/tickets/{ticket['id']}/csat"
    for body in ({"score": 2}, {"score": 2, "comment": "tardaron mucho"}, {"score": 2, "comment": "tardaron mucho"}):
        assert client.post(url, json=body, headers=AUTH).status_code == 201
    kinds = [e["kind"] for e in client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["timeline"]]
    assert [k for k in kinds if k.startswith("csat")] == ["csat", "csat_comment"]
    assert client.post(url, json={"score": 4, "comment": "al final lo resolvieron"}, headers=AUTH).status_code == 201
    detail = client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()
    assert [e["data"] for e in detail["timeline"] if e["kind"] == "csat"] == [{"score": 2}, {"score": 4}]
    assert (detail["csat"]["score"], detail["csat"]["comment"]) == (4, "al final lo resolvieron")
    m = client.get("/api/v1/metrics", headers=AUTH).json()["csat"]
    assert m["distribution"].get("2") is None  # one answer per ticket: its latest score
