"""Durable delivery and crashes with the real processes: agent replies written while Rasa is down, and across a
backend crash, reach the customer's conversation exactly once, in order, when Rasa is back; forms survive a Rasa
restart; a ticket confirmed while the backend is down is created once, across an action server crash.

The outage here lasts seconds (retries at most 2 s apart, set in conftest.py); an hour-long one differs only in
how long the rows wait in the database, which is what a restart proves: nothing is kept in memory.
"""

import signal
import time
import uuid

import httpx

from ticketing.channels.bot import BotSender
from ticketing.channels.outbox import Outbound


def open_ticket_on_callback(stack, rasa_url: str, api) -> tuple[str, dict]:
    """A customer on a channel that receives pushed messages opens a ticket; return the sender id and the ticket."""
    sender = f"dl-{uuid.uuid4().hex[:8]}"
    email = f"rita.{uuid.uuid4().hex[:6]}@example.com"
    for text in ("I want to talk to a person", "Rita Soto", email, "skip", "My order never arrived", "yes"):
        response = httpx.post(
            f"{rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        assert response.status_code == 200
    stack.inbox.wait_for(sender, lambda t: any("Your ticket is T-" in x for x in t))
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    return sender, ticket


def deliveries(api, ticket_id: int) -> dict[str, dict]:
    messages = api.get(f"/api/v1/tickets/{ticket_id}").json()["messages"]
    return {m["body"]: m["delivery"] for m in messages if m["author"] == "agent"}


def wait_until(predicate, timeout: float, what: str, detail=lambda: ""):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"{what} within {timeout}s; {detail()}")


def say(rasa_url: str, sender: str, text: str) -> None:
    response = httpx.post(f"{rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": text}, timeout=60)
    assert response.status_code == 200


def test_bot_backend_and_action_server_crashes_lose_no_reply_no_ticket_and_no_form_step(stack, rasa_url, api):
    """One run of faults, each process down in turn (a Rasa restart costs ~40 s, so they share it):

    - Rasa stopped with agent replies written meanwhile: delivered once each, in order, when it is back;
    - the backend killed (SIGKILL) with those replies pending: they survive it;
    - Rasa restarted in the middle of a customer's form: the form goes on where it was (tracker store);
    - the backend down when a customer confirms the form: the action server's outbox keeps the ticket, the action
      server is itself killed and restarted, and when the backend is back the ticket is created once and the
      customer told its number once.
    """
    sender, ticket = open_ticket_on_callback(stack, rasa_url, api)
    replies = [f"Reply {n} for Rita ({uuid.uuid4().hex[:4]})" for n in range(3)]
    # Two more customers, mid-form: Bea at the consent question, Carl at the email question.
    bea, carl = f"bea-{uuid.uuid4().hex[:8]}", f"carl-{uuid.uuid4().hex[:8]}"
    bea_email, carl_email = f"bea.{uuid.uuid4().hex[:6]}@example.com", f"carl.{uuid.uuid4().hex[:6]}@example.com"
    for text in ("I want to talk to a person", "Mary Jones", bea_email, "skip", "The blender I bought stopped working"):
        say(rasa_url, bea, text)
    for text in ("I want to talk to a person", "Mary Jones"):
        say(rasa_url, carl, text)
    stack.inbox.wait_for(carl, lambda t: any("What email" in x for x in t))

    stack.stop_service("rasa")
    outage_started = time.monotonic()
    for reply in replies[:2]:
        assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply}).is_success
    # The agent sees them pending; the first has been tried, with the reason it did not arrive, and the second
    # waits behind it (a conversation's messages go in order).
    first = wait_until(
        lambda: deliveries(api, ticket["id"])[replies[0]]["attempts"] >= 1 and deliveries(api, ticket["id"]),
        timeout=20,
        what="the first reply tried",
        detail=lambda: (deliveries(api, ticket["id"]), stack.service("ticketing").log[-20:]),
    )
    assert [first[r]["status"] for r in replies[:2]] == ["pending", "pending"]
    assert "unreachable" in first[replies[0]]["last_error"]

    # The backend crashes with those replies pending; Rasa comes back while it is down.
    stack.stop_service("ticketing", sig=signal.SIGKILL)
    time.sleep(max(0.0, 15 - (time.monotonic() - outage_started)))  # a 15 s outage at least
    assert not any(r in t for t in stack.inbox.texts_for(sender) for r in replies)
    stack.start_service("rasa")
    stack.wait_service_healthy("rasa", timeout=240)

    # Carl's form goes on where it was before Rasa restarted.
    say(rasa_url, carl, carl_email)
    stack.inbox.wait_for(carl, lambda t: any("order number" in x for x in t))
    # Bea confirms while the backend is down: the action server keeps her ticket in its outbox...
    say(rasa_url, bea, "yes")
    stack.inbox.wait_for(bea, lambda t: len(t) >= 6)
    assert not any("Your ticket is T-" in x for x in stack.inbox.texts_for(bea))
    # ...and is killed and restarted with it there. Carl's conversation goes on through the new action server.
    stack.stop_service("actions", sig=signal.SIGKILL)
    stack.start_service("actions")
    stack.wait_service_healthy("actions", timeout=120)
    say(rasa_url, carl, "skip")
    stack.inbox.wait_for(carl, lambda t: any("Tell me briefly" in x for x in t))

    stack.start_service("ticketing")
    stack.wait_service_healthy("ticketing", timeout=120)
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": replies[2]}).is_success
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).is_success
    wait_until(
        lambda: all(d["status"] == "delivered" for d in deliveries(api, ticket["id"]).values()),
        timeout=60,
        what="every reply delivered",
        detail=lambda: (deliveries(api, ticket["id"]), stack.service("ticketing").log[-20:]),
    )
    stack.inbox.wait_for(sender, lambda t: any("From 1 to 5" in x for x in t), timeout=30)
    bea_texts = stack.inbox.wait_for(bea, lambda t: any("Your ticket is T-" in x for x in t), timeout=90)
    time.sleep(2)  # anything sent twice would have arrived by now
    texts = stack.inbox.texts_for(sender)
    said = [next(r for r in replies if r in t) for t in texts if any(r in t for r in replies)]
    assert said == replies  # each once, in the order written
    assert sum("From 1 to 5" in t for t in texts) == 1
    assert texts.index(next(t for t in texts if "From 1 to 5" in t)) > texts.index(
        next(t for t in texts if replies[2] in t)
    )
    # Bea's ticket exists once, and she heard its number once.
    (bea_ticket,) = api.get("/api/v1/tickets", params={"customer_email": bea_email}).json()["items"]
    bea_texts = stack.inbox.texts_for(bea)
    assert [x for x in bea_texts if "Your ticket is T-" in x] == [
        next(x for x in bea_texts if f"Your ticket is {bea_ticket['number']}" in x)
    ]
    assert bea_ticket["conversation_id"] == bea


def test_a_push_repeated_after_rasa_processed_it_is_said_once_and_confirmed(stack, rasa_url, api):
    """The backend's push timed out after Rasa said the reply: its retry is confirmed, not said again."""
    sender, _ticket = open_ticket_on_callback(stack, rasa_url, api)
    bot = BotSender(rasa_url, stack.env["BOT_API_TOKEN"])
    text = f"Your refund was approved ({uuid.uuid4().hex[:6]})"
    outbound = Outbound(
        id=10**9 + int(uuid.uuid4().int % 10**6),  # an id no row of the backend has
        channel="bot",
        conversation_id=sender,
        kind="agent_reply",
        payload={"text": text, "agent_name": "Laura"},
        attempt=1,
        created_at=None,
    )
    try:
        assert bot.send(outbound).delivered
        assert bot.send(outbound).delivered  # the retry finds it in the conversation
    finally:
        bot.close()
    time.sleep(1)
    assert [t for t in stack.inbox.texts_for(sender) if text in t] == [f"Laura: {text}"]
