"""One conversation end to end, in Spanish and in English, through the real bot, actions and backend."""

import uuid

from tests.e2e.conftest import texts


def test_hola_is_answered_in_spanish_and_hello_in_english(customer, rasa_url):
    assert "Hola" in texts(customer.say("hola"))
    from tests.e2e.conftest import Bot

    english = Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}")
    reply = texts(english.say("hello"))
    assert "Hi!" in reply and "Hola" not in reply


def test_a_question_is_answered_from_a_kb_article_with_its_payload(customer):
    replies = customer.say("cuánto demora el envío a regiones?")
    payloads = [r["custom"]["kb_article"] for r in replies if "custom" in r]
    assert [p["id"] for p in payloads] == ["delivery-times"]
    assert payloads[0]["url"].endswith("/help/es/delivery-times")
    assert 0 < payloads[0]["score"] <= 1
    assert "días hábiles" in texts(replies)


def test_an_english_question_gets_the_english_article(customer):
    replies = customer.say("how can I reset my password?")
    payloads = [r["custom"]["kb_article"] for r in replies if "custom" in r]
    assert [p["id"] for p in payloads] == ["reset-password"]
    assert "/help/en/" in payloads[0]["url"]


def test_the_spanish_handoff_ends_with_a_ticket_that_carries_description_and_transcript(customer, api):
    email = f"ana.{uuid.uuid4().hex[:6]}@example.com"
    assert "nombre" in texts(customer.say("quiero hablar con una persona"))
    assert "correo" in texts(customer.say("Ana Pérez"))
    assert "no parece válido" in texts(customer.say("ana.perez@gmail"))
    assert "pedido" in texts(customer.say(email))
    assert "pasó" in texts(customer.say("CS-4821937"))
    assert "autorizas" in texts(customer.say("El notebook que compré llegó con la pantalla rota"))
    final = texts(customer.say("sí"))
    assert "T-" in final

    page = api.get("/api/v1/tickets", params={"customer_email": email}).json()
    assert page["total"] == 1
    summary = page["items"][0]
    assert summary["number"] in final
    assert summary["language"] == "es"
    assert summary["order_number"] == "CS-4821937"
    ticket = api.get(f"/api/v1/tickets/{summary['id']}").json()
    assert ticket["description"] == "El notebook que compré llegó con la pantalla rota"
    transcript = [(m["author"], m["body"]) for m in ticket["messages"] if m["source"] == "transcript"]
    assert ("customer", "quiero hablar con una persona") in transcript
    assert any(author == "bot" and "nombre" in body for author, body in transcript)


def test_the_english_handoff_ends_with_a_ticket_number_and_an_sla_promise(customer, api):
    email = f"john.{uuid.uuid4().hex[:6]}@example.com"
    customer.say("I want to talk to a person")
    customer.say("John Smith")
    customer.say(email)
    customer.say("skip")
    customer.say("My order arrived with a broken screen")
    final = texts(customer.say("yes"))
    assert "Your ticket is T-" in final and "You'll hear from a person by" in final
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    assert ticket["language"] == "en"
    assert ticket["number"] in final
    assert ticket["consent"] is True


def test_the_conversation_is_kept_in_the_tracker_database_in_write_ahead_log_mode(customer, stack):
    """Rasa silently falls back to an in-memory store when a custom tracker store cannot be imported."""
    import sqlite3

    customer.say("hola")
    with sqlite3.connect(stack.var_dir / "tracker.db") as db:
        events = db.execute("SELECT COUNT(*) FROM events WHERE sender_id = ?", (customer.sender,)).fetchone()[0]
        mode = db.execute("PRAGMA journal_mode").fetchone()[0]
    assert events >= 3  # session start, the message, the answer
    assert mode == "wal"
