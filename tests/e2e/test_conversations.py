"""Multi-turn conversations a customer has through the REST channel, against the three real processes."""

import uuid

from tests.e2e.conftest import Bot, texts


def test_a_spanish_question_then_thanks(customer):
    replies = customer.say("cuanto sale el despacho a regiones?")
    assert [r["custom"]["kb_article"]["id"] for r in replies if "custom" in r] == ["shipping-costs"]
    assert "De nada" in texts(customer.say("muchas gracias!"))


def test_the_greeting_names_the_business_and_its_topics_from_the_business_file(rasa_url):
    hola = texts(Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:10]}").say("hola"))
    assert "Soy el asistente de Cóndor Store. Pregúntame por pedidos, envíos, devoluciones" in hola
    hello = texts(Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:10]}").say("hello there"))
    assert "I'm the Cóndor Store assistant. Ask me about orders, shipping, returns" in hello and "{" not in hello


def test_the_owner_gets_the_status_of_the_ticket_and_a_stranger_learns_nothing(customer, rasa_url):
    customer.say("I want to talk to a person")
    customer.say("Mary Jones")
    customer.say(f"mary.{uuid.uuid4().hex[:6]}@example.com")
    customer.say("skip")
    customer.say("The blender I bought stopped working after two days")
    final = texts(customer.say("yes"))
    number = final.split("Your ticket is ")[1][:8]
    assert number.startswith("T-")

    owner = texts(customer.say(f"what's the status of my ticket {number}?"))
    assert f"Your ticket {number} is" in owner

    stranger = texts(Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}").say(f"how is ticket {number} going?"))
    assert "For your security" in stranger
    assert "team" not in stranger and number not in stranger


def test_a_cancelled_form_creates_no_ticket(customer, api):
    email = f"pedro.{uuid.uuid4().hex[:6]}@example.com"
    assert "nombre" in texts(customer.say("quiero abrir un ticket"))
    customer.say("Pedro Soto")
    customer.say(email)
    assert "nada" in texts(customer.say("cancelar"))
    assert api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"] == []


def test_a_fraud_report_skips_the_articles_and_ends_in_an_urgent_ticket_with_the_customers_words(customer, api):
    report = "me robaron la clave y alguien compró con mi cuenta!!"
    first = texts(customer.say(report))
    assert "persona" in first and "nombre" in first  # no article: straight to the form
    email = f"rosa.{uuid.uuid4().hex[:6]}@example.com"
    customer.say("Rosa Díaz")
    customer.say(email)
    assert "autorizas" in texts(customer.say("omitir"))  # the order number skipped; the description is not asked
    assert "Tu ticket es el T-" in texts(customer.say("sí"))
    (ticket,) = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"]
    assert ticket["description"] == report
    assert ticket["priority"] == "urgent"


def test_a_question_asked_instead_of_the_name_is_answered_and_the_form_goes_on(customer):
    assert "nombre" in texts(customer.say("quiero hablar con una persona")).lower()
    replies = customer.say("olvidé mi clave, cómo la cambio")
    assert [r["custom"]["kb_article"]["id"] for r in replies if "custom" in r] == ["reset-password"]
    assert "nombre" in texts(replies).lower()  # asked again
    assert "correo" in texts(customer.say("Marta Díaz")).lower()
