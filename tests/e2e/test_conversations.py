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


def test_a_wrong_answer_in_the_form_is_asked_again_once_and_a_hedge_is_no_consent(customer):
    """The message saying why an answer was not taken asks again itself; the form does not repeat its question."""
    customer.say("quiero hablar con una persona")
    assert "correo" in texts(customer.say("Ana Torres")).lower()
    wrong_email = [r.get("text", "") for r in customer.say("ana@gmail")]
    assert len(wrong_email) == 1 and "dominio.cl" in wrong_email[0]
    assert "pedido" in texts(customer.say(f"ana.{uuid.uuid4().hex[:6]}@example.com")).lower()
    first_miss = customer.say("48213")
    assert len(first_miss) == 1 and "CS-1234567" in first_miss[0]["text"]
    second_miss = customer.say("es el 48213")
    assert len(second_miss) == 1  # the keep-or-skip question and its buttons, nothing under them
    assert [b["title"] for b in second_miss[0]["buttons"]] == ["Guardar así", "Saltar"]
    assert "qué pasó" in texts(customer.say("Saltar")).lower()
    assert "autorizas" in texts(customer.say("me cobraron dos veces la misma compra"))
    hedged = texts(customer.say("quizás"))  # NLU reads it as a yes; it is no consent
    assert "T-" not in hedged and "sí o un no" in hedged and "autorizas" in hedged
    assert "T-" in texts(customer.say("no"))


def test_yes_to_the_offer_of_a_ticket_opens_the_form_and_no_does_not(rasa_url):
    """After "I couldn't find an answer… shall I open a ticket?", "sí" means open it (it once meant "glad it helped")
    and "no" means no (it once opened the form)."""
    question = "mi notebook no enciende desde ayer"
    yes = Bot(rasa_url, f"offer-yes-{uuid.uuid4().hex[:8]}")
    assert "abra un ticket" in texts(yes.say(question))
    assert "nombre" in texts(yes.say("sí")).lower()
    no = Bot(rasa_url, f"offer-no-{uuid.uuid4().hex[:8]}")
    assert "abra un ticket" in texts(no.say(question))
    answer = texts(no.say("no gracias"))
    assert "nombre" not in answer.lower() and "ayudo" in answer


def test_no_after_an_article_opens_the_form_with_the_question_but_no_after_a_greeting_does_not(rasa_url):
    """ "No" answers "did this help?" only when the bot asked it: after "¡Hola!" it once opened the ticket form."""
    unhelped = Bot(rasa_url, f"no-article-{uuid.uuid4().hex[:8]}")
    replies = unhelped.say("puedo pagar en cuotas?")
    assert [r["custom"]["kb_article"]["id"] for r in replies if "custom" in r] and "sirvió" in texts(replies)
    assert "nombre" in texts(unhelped.say("no")).lower()
    helped = Bot(rasa_url, f"yes-article-{uuid.uuid4().hex[:8]}")
    helped.say("puedo pagar en cuotas?")
    assert "nombre" not in texts(helped.say("sí")).lower()
    for opener in ("hola", "qué tal el clima hoy"):
        greeted = Bot(rasa_url, f"no-greeting-{uuid.uuid4().hex[:8]}")
        greeted.say(opener)
        assert "nombre" not in texts(greeted.say("no")).lower(), opener
