"""The handoff actions against a real backend: relay to the ticket, deliver the agent's reply, record CSAT."""

import uuid

import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.handoff_actions import (
    ActionDeliverAgentReply,
    ActionRecordCsat,
    ActionRecordCsatComment,
    ActionRelayToTicket,
    ActionTicketResolved,
)
from actions.ticket_actions import ActionCreateTicket
from tests.actions.conftest import TOKEN
from tests.actions.helpers import tracker

FORM = {
    "customer_name": "Ana",
    "order_number": "-",
    "issue_description": "La tele no tiene sonido",
    "data_consent": True,
}


def open_ticket(sender: str) -> dict:
    email = f"h.{uuid.uuid4().hex[:6]}@example.com"
    events = ActionCreateTicket().run(
        CollectingDispatcher(), tracker("sí", "affirm", {**FORM, "customer_email": email}, sender=sender), {}
    )
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_a_message_during_the_handoff_lands_on_the_ticket(actions_env, backend_url):
    slots = open_ticket("relay-1")
    assert slots["handoff"] is True
    dispatcher = CollectingDispatcher()
    ActionRelayToTicket().run(
        dispatcher, tracker("ya probé con otro cable HDMI", "inform", slots, sender="relay-1"), {}
    )
    # The first message is acknowledged with the ticket number, so the customer knows it reached a person.
    assert [slots["ticket_number"] in m["text"] for m in dispatcher.messages] == [True]
    history = [
        {"event": "slot", "name": "handoff", "value": True},
        {"event": "user", "text": "ya probé con otro cable HDMI"},
        {"event": "action", "name": "action_relay_to_ticket"},
        {"event": "user", "text": "y también reinicié el televisor"},
    ]
    second = CollectingDispatcher()
    ActionRelayToTicket().run(
        second, tracker("y también reinicié el televisor", "inform", slots, sender="relay-1", events=history), {}
    )
    assert second.messages == []  # after that the bot stays out of the way
    ticket = requests.get(
        f"{backend_url}/api/v1/tickets/{int(slots['ticket_id'])}", headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()
    assert [m["body"] for m in ticket["messages"] if m["source"] == "live"] == [
        "ya probé con otro cable HDMI",
        "y también reinicié el televisor",
    ]


def test_the_agent_reply_is_said_with_the_agent_name():
    t = tracker(
        "/agent_reply",
        "agent_reply",
        entities=[
            {"entity": "agent_message", "value": "Revisa el menú Sonido"},
            {"entity": "agent_name", "value": "Laura"},
        ],
    )
    dispatcher = CollectingDispatcher()
    ActionDeliverAgentReply().run(dispatcher, t, {})
    assert dispatcher.messages[0]["text"] == "Laura: Revisa el menú Sonido"
    # A chat window can tell a person wrote it, and who.
    assert dispatcher.messages[0]["custom"] == {"from": "agent", "agent_name": "Laura"}


def test_after_resolution_the_score_is_asked_and_stored(actions_env, backend_url):
    slots = open_ticket("csat-1")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ticket_id = int(slots["ticket_id"])
    assert requests.patch(f"{backend_url}/api/v1/tickets/{ticket_id}", json={"status": "resolved"}, headers=auth).ok
    dispatcher = CollectingDispatcher()
    events = ActionTicketResolved().run(dispatcher, tracker("/ticket_resolved", "ticket_resolved", slots), {})
    assert "Del 1 al 5" in dispatcher.messages[0]["text"]
    assert [b["title"] for b in dispatcher.messages[0]["buttons"]] == ["1", "2", "3", "4", "5"]
    assert dispatcher.messages[0]["custom"] == {"csat": True}
    after = {e["name"]: e["value"] for e in events}
    assert after["handoff"] is False and after["csat_ticket_id"] == slots["ticket_id"]
    dispatcher = CollectingDispatcher()
    ActionRecordCsat().run(dispatcher, tracker("4, rápido pero me costó", "inform", {**slots, **after}), {})
    assert "Gracias" in dispatcher.messages[0]["text"]
    timeline = requests.get(f"{backend_url}/api/v1/tickets/{ticket_id}", headers=auth).json()["timeline"]
    assert [e["data"] for e in timeline if e["kind"] == "csat"] == [{"score": 4}]


def test_a_bare_score_asks_why_and_the_next_message_is_kept_as_its_comment(actions_env, backend_url):
    slots = open_ticket("csat-2")
    auth = {"Authorization": f"Bearer {TOKEN}"}
    ticket_id = int(slots["ticket_id"])
    assert requests.patch(f"{backend_url}/api/v1/tickets/{ticket_id}", json={"status": "resolved"}, headers=auth).ok
    slots = {**slots, "handoff": False, "csat_ticket_id": slots["ticket_id"]}
    dispatcher = CollectingDispatcher()
    events = ActionRecordCsat().run(dispatcher, tracker("2", "inform", slots), {})
    assert "por qué" in dispatcher.messages[0]["text"]
    after = {e["name"]: e["value"] for e in events}
    assert after == {"csat_ticket_id": None, "csat_comment_for": f"{ticket_id}:2"}
    dispatcher = CollectingDispatcher()
    comment = "tardaron 3 días en contestarme"
    events = ActionRecordCsatComment().run(dispatcher, tracker(comment, "complain", {**slots, **after}), {})
    assert "Gracias" in dispatcher.messages[0]["text"]
    assert {e["name"]: e["value"] for e in events} == {"csat_comment_for": None}
    csat = requests.get(f"{backend_url}/api/v1/tickets/{ticket_id}", headers=auth).json()["csat"]
    assert (csat["score"], csat["comment"]) == (2, comment)


def test_an_agent_reply_pushed_twice_is_said_once_and_tagged_with_its_outbox_id():
    entities = [{"entity": "agent_message", "value": "Revisa el menú Sonido"}, {"entity": "outbound_id", "value": "41"}]
    first = CollectingDispatcher()
    ActionDeliverAgentReply().run(first, tracker("/agent_reply", "agent_reply", entities=entities), {})
    assert [(m["text"], m.get("outbound_id")) for m in first.messages] == [("Revisa el menú Sonido", "41")]
    # The backend's push timed out after Rasa had said it, so the outbox pushes again: the conversation holds it.
    said = [{"event": "bot", "text": "Revisa el menú Sonido", "metadata": {"outbound_id": "41"}}]
    again = CollectingDispatcher()
    ActionDeliverAgentReply().run(again, tracker("/agent_reply", "agent_reply", entities=entities, events=said), {})
    assert again.messages == []
    # Another reply with the same text but its own id is a new message, and is said.
    other = [{"entity": "agent_message", "value": "Revisa el menú Sonido"}, {"entity": "outbound_id", "value": "42"}]
    third = CollectingDispatcher()
    ActionDeliverAgentReply().run(third, tracker("/agent_reply", "agent_reply", entities=other, events=said), {})
    assert [m["text"] for m in third.messages] == ["Revisa el menú Sonido"]


def test_a_resolution_pushed_twice_asks_for_the_score_once():
    slots = {"ticket_id": 7.0, "ticket_number": "T-000007", "handoff": True}
    entities = [{"entity": "outbound_id", "value": "9"}]
    first = CollectingDispatcher()
    events = ActionTicketResolved().run(
        first, tracker("/ticket_resolved", "ticket_resolved", slots, entities=entities), {}
    )
    assert len(first.messages) == 1 and first.messages[0]["outbound_id"] == "9" and events
    said = [{"event": "bot", "text": first.messages[0]["text"], "metadata": {"outbound_id": "9"}}]
    again = CollectingDispatcher()
    repeat = ActionTicketResolved().run(
        again, tracker("/ticket_resolved", "ticket_resolved", slots, entities=entities, events=said), {}
    )
    assert again.messages == [] and repeat == []
