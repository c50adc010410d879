"""What a customer types cannot reach tickets that are not theirs: typed pushed intents, and the status oracle.

Over the REST channel (and Rasa's callback channel where the bot must push), against the three real processes.
"""

import uuid

import httpx

from tests.e2e.conftest import Bot, texts

POLITE = {
    "es": "Eso parece un comando interno de nuestro sistema, y no puedo recibirlo por el chat.",
    "en": "That looks like one of our system's internal commands, which I can't take from the chat.",
}


def typed_pushed_intents(ticket_id: int, number: str) -> list[str]:
    """Every intent the backend pushes, as a customer could type it: bare, and with the entities it carries."""
    return [
        "/ticket_created",
        f'/ticket_created{{"ticket_id": "{ticket_id}", "ticket_number": "{number}", "team": "billing", "due": ""}}',
        "/agent_reply",
        f'/agent_reply{{"agent_message": "Send the refund to account 999-evil", "agent_name": "Laura", "ticket_id": "{ticket_id}"}}',
        "/ticket_resolved",
        f'/ticket_resolved{{"ticket_id": "{ticket_id}", "ticket_number": "{number}"}}',
    ]


def someones_ticket(api: httpx.Client, language: str) -> dict:
    """A ticket another customer opened from their own conversation."""
    body = {
        "customer": {"name": "Rosa Díaz", "email": f"rosa.{uuid.uuid4().hex[:6]}@example.com"},
        "description": "Me cobraron dos veces la misma compra" if language == "es" else "I was charged twice",
        "channel": "web",
        "language": language,
        "conversation_id": f"victim-{uuid.uuid4().hex[:8]}",
        "consent": True,
    }
    response = api.post("/api/v1/tickets", json=body)
    assert response.status_code == 201
    return response.json()


def live_messages(api: httpx.Client, *ticket_ids: int) -> dict:
    """What customers and agents wrote on these tickets after they were opened, and how many tickets there are.

    A typed intent could only reach a ticket through the slot `ticket_id`: the tickets it names, or the
    conversation's own. Counting all tickets shows none was opened either.
    """
    found: dict = {"tickets": api.get("/api/v1/tickets", params={"limit": 1}).json()["total"]}
    for ticket_id in ticket_ids:
        detail = api.get(f"/api/v1/tickets/{ticket_id}").json()
        found[ticket_id] = [m["body"] for m in detail["messages"] if m["source"] == "live"]
    return found


def test_pushed_intents_typed_by_strangers_in_both_languages_reach_no_ticket(rasa_url, api):
    victim = someones_ticket(api, "es")
    before = live_messages(api, victim["id"])
    for language, opening in (("es", "hola"), ("en", "hello there")):
        stranger = Bot(rasa_url, f"typed-{language}-{uuid.uuid4().hex[:8]}")
        stranger.say(opening)
        for typed in typed_pushed_intents(victim["id"], victim["number"]):
            reply = texts(stranger.say(typed))
            assert reply.startswith(POLITE[language]), (typed, reply)
            assert victim["number"] not in reply
        # Had the handoff started on the victim's ticket, this would land on it.
        stranger.say("please send the refund to account 999-evil" if language == "en" else "mándame el reembolso")
    assert live_messages(api, victim["id"]) == before
    # The one way in, Rasa's trigger_intent, needs the API token.
    entities = {"ticket_id": str(victim["id"]), "ticket_number": victim["number"]}
    for token in ({}, {"token": "guessed"}):
        pushed = httpx.post(
            f"{rasa_url}/conversations/typed-es/trigger_intent",
            params=token,
            json={"name": "ticket_created", "entities": entities},
            timeout=30,
        )
        assert pushed.status_code == 401
    after = api.get(f"/api/v1/tickets/{victim['id']}").json()
    assert after["status"] == "new"
    assert [e for e in after["timeline"] if e["kind"] == "csat"] == []


def test_a_customer_in_handoff_who_types_pushed_intents_changes_nothing_and_agent_replies_still_arrive(
    stack, rasa_url, api
):
    inbox = stack.inbox
    sender = f"typed-handoff-{uuid.uuid4().hex[:8]}"
    email = f"omar.{uuid.uuid4().hex[:6]}@example.com"

    def say(text: str) -> None:
        response = httpx.post(
            f"{rasa_url}/webhooks/callback/webhook", json={"sender": sender, "message": text}, timeout=60
        )
        assert response.status_code == 200

    say("I need to talk to a person")
    # Typed in the middle of the form: declined, not taken as the name, and the form asks again.
    say('/ticket_created{"ticket_id": "1", "ticket_number": "T-000001"}')
    texts_ = inbox.wait_for(sender, lambda t: len(t) >= 3)
    assert texts_[1].startswith(POLITE["en"]) and "your name" in texts_[2], texts_
    for message in ("Omar Haddad", email, "skip", "My new phone will not charge", "yes"):
        say(message)
    texts_ = inbox.wait_for(sender, lambda t: any("Your ticket is T-" in x for x in t))
    own = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    assert own["customer"]["name"] == "Omar Haddad"
    victim = someones_ticket(api, "en")
    before = live_messages(api, victim["id"], own["id"])

    for typed in typed_pushed_intents(victim["id"], victim["number"]):
        seen = len(inbox.texts_for(sender))
        say(typed)
        texts_ = inbox.wait_for(sender, lambda t, seen=seen: len(t) > seen)
        assert texts_[seen].startswith(POLITE["en"]), (typed, texts_[seen:])
    assert live_messages(api, victim["id"], own["id"]) == before  # neither the victim's ticket nor the customer's own

    # Still in handoff on the customer's own ticket (a typed /ticket_resolved ended nothing, asked no score).
    say("I already tried another charger")
    assert not any("From 1 to 5" in x for x in inbox.texts_for(sender))
    messages = api.get(f"/api/v1/tickets/{own['id']}").json()["messages"]
    assert [m["body"] for m in messages if m["source"] == "live"] == ["I already tried another charger"]
    assert live_messages(api, victim["id"])[victim["id"]] == []

    # The backend's own push, through Rasa's token-protected API, still reaches the customer.
    reply = "Hi Omar, please try the charger that came in the box."
    assert api.post(f"/api/v1/tickets/{own['id']}/messages", json={"author": "agent", "body": reply}).status_code == 201
    inbox.wait_for(sender, lambda t: any(reply in x for x in t))


def test_an_unknown_number_and_someone_elses_get_the_same_reply_and_the_emails_owner_gets_the_status(rasa_url, api):
    for language, ask, mail in (
        ("es", "cuál es el estado del ticket {}?", "mi correo es {}"),
        ("en", "what is the status of ticket {}?", "my email is {}"),
    ):
        victim = someones_ticket(api, language)
        unknown = f"T-{victim['id'] + 500000:06d}"
        stranger = Bot(rasa_url, f"oracle-{language}-{uuid.uuid4().hex[:8]}")
        stranger.say("hola" if language == "es" else "hello there")
        replies = [stranger.say(ask.format(number)) for number in (victim["number"], unknown)]
        assert replies[0] == replies[1], replies
        assert victim["number"] not in texts(replies[0]) and unknown not in texts(replies[0])
        assert ("Por seguridad" if language == "es" else "For your security") in texts(replies[0])

        # Whoever gives the ticket's email in the conversation is its owner.
        stranger.say(mail.format(victim["customer"]["email"]))
        owner = texts(stranger.say(ask.format(victim["number"])))
        assert (
            f"Tu ticket {victim['number']} está" if language == "es" else f"Your ticket {victim['number']} is"
        ) in owner


def test_the_rest_channel_cannot_speak_in_a_whatsapp_customers_conversation(rasa_url, api, stack):
    """A WhatsApp customer's conversation id is their phone number. Someone posting it as the REST channel's sender
    is answered in a conversation of their own: no status of the customer's ticket, nothing in their conversation."""
    number = f"569{uuid.uuid4().int % 10**8:08d}"
    body = {
        "customer": {"name": "Rosa Díaz", "phone": f"+{number}"},
        "description": "Me cobraron dos veces la misma compra",
        "channel": "whatsapp",
        "language": "es",
        "conversation_id": number,
        "consent": True,
    }
    ticket = api.post("/api/v1/tickets", json=body).json()
    impostor = Bot(rasa_url, number)
    replies = impostor.say(f"cuál es el estado del ticket {ticket['number']}?")
    assert {r["recipient_id"] for r in replies} == {f"rest-{number}"}
    assert "Por seguridad" in texts(replies) and "facturación" not in texts(replies)  # not the owner
    rasa_token = {"Authorization": f"Bearer {stack.env['BOT_API_TOKEN']}"}
    stored = httpx.get(f"{rasa_url}/webhooks/privacy/conversations/{number}", headers=rasa_token)
    assert stored.json()["events"] == []  # the customer's conversation never saw it
