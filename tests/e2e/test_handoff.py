"""The handoff loop on a channel that receives pushed messages (Rasa's callback channel, not REST)."""

import uuid

import httpx


def test_agent_replies_reach_the_customer_and_the_bot_resumes_with_a_survey(stack, rasa_url, api):
    inbox = stack.inbox
    sender = f"cb-{uuid.uuid4().hex[:8]}"
    email = f"sofia.{uuid.uuid4().hex[:6]}@example.com"

    def say(text: str) -> None:
        response = httpx.post(
            f"{rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        assert response.status_code == 200

    for message in (
        "I want to talk to a person",
        "Sofia Reyes",
        email,
        "skip",
        "My smart TV has no sound since yesterday",
        "yes",
    ):
        say(message)
    texts = inbox.wait_for(sender, lambda t: any("Your ticket is T-" in x for x in t))
    number = next(x for x in texts if "Your ticket is T-" in x).split("Your ticket is ")[1][:8]

    # The customer keeps writing: it lands on the ticket, the bot does not answer it.
    before = len(inbox.texts_for(sender))
    say("I already tried another HDMI cable")
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    detail = api.get(f"/api/v1/tickets/{ticket['id']}").json()
    assert ticket["number"] == number
    assert [m["body"] for m in detail["messages"] if m["source"] == "live"] == ["I already tried another HDMI cable"]

    # The agent answers from the console: it reaches the same conversation.
    reply = "Hi Sofia, please check Settings > Sound > Output and choose TV speakers."
    sent = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply})
    assert sent.status_code == 201
    texts = inbox.wait_for(sender, lambda t: any(reply in x for x in t))
    assert len(texts) > before
    messages = api.get(f"/api/v1/tickets/{ticket['id']}").json()["messages"]
    assert any(m["body"] == reply and m["author"] == "agent" for m in messages)

    # Resolved: the bot takes over again and asks for a score, which is stored.
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).status_code == 200
    inbox.wait_for(sender, lambda t: any("From 1 to 5" in x for x in t))
    say("5")
    inbox.wait_for(sender, lambda t: any("If you'd like to tell us why" in x for x in t))
    timeline = api.get(f"/api/v1/tickets/{ticket['id']}").json()["timeline"]
    assert [e["data"] for e in timeline if e["kind"] == "csat"] == [{"score": 5}]

    # The next message is the score's comment; the one after it is a question again, answered by the bot.
    say("The agent was very patient with me")
    inbox.wait_for(sender, lambda t: any("passed it on to our team with your rating" in x for x in t))
    csat = api.get(f"/api/v1/tickets/{ticket['id']}").json()["csat"]
    assert (csat["score"], csat["comment"]) == (5, "The agent was very patient with me")
    said = len(inbox.texts_for(sender))
    say("how long does a refund take?")
    texts = inbox.wait_for(sender, lambda t: len(t) > said)
    assert not any("passed it on to our team" in x for x in texts[said:])
    assert api.get(f"/api/v1/tickets/{ticket['id']}").json()["csat"]["comment"] == "The agent was very patient with me"
