"""Durable delivery with the real processes: agent replies written while Rasa is down, and across a backend crash,
reach the customer's conversation exactly once, in order, when Rasa is back.

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


def test_replies_sent_while_the_bot_is_down_and_across_a_backend_crash_arrive_once_in_order(stack, rasa_url, api):
    sender, ticket = open_ticket_on_callback(stack, rasa_url, api)
    replies = [f"Reply {n} for Rita ({uuid.uuid4().hex[:4]})" for n in range(3)]

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

    # The backend crashes with those replies pending, comes back, and one more reply is written.
    stack.stop_service("ticketing", sig=signal.SIGKILL)
    stack.start_service("ticketing")
    stack.wait_service_healthy("ticketing", timeout=120)
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": replies[2]}).is_success
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).is_success
    time.sleep(max(0.0, 15 - (time.monotonic() - outage_started)))  # a 15 s outage at least
    assert {d["status"] for d in deliveries(api, ticket["id"]).values()} == {"pending"}
    assert not any(r in t for t in stack.inbox.texts_for(sender) for r in replies)

    stack.start_service("rasa")
    stack.wait_service_healthy("rasa", timeout=240)
    wait_until(
        lambda: all(d["status"] == "delivered" for d in deliveries(api, ticket["id"]).values()),
        timeout=60,
        what="every reply delivered",
        detail=lambda: (deliveries(api, ticket["id"]), stack.service("ticketing").log[-20:]),
    )
    texts = stack.inbox.wait_for(sender, lambda t: any("From 1 to 5" in x for x in t), timeout=30)
    time.sleep(2)  # anything sent twice would have arrived by now
    texts = stack.inbox.texts_for(sender)
    said = [next(r for r in replies if r in t) for t in texts if any(r in t for r in replies)]
    assert said == replies  # each once, in the order written
    assert sum("From 1 to 5" in t for t in texts) == 1
    assert said and texts.index(next(t for t in texts if "From 1 to 5" in t)) > texts.index(
        next(t for t in texts if replies[2] in t)
    )


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
