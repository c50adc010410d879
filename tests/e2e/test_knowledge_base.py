"""The knowledge base through the real bot: editors' changes show up at once; bad input is handled politely."""

import shutil
import time
import uuid

import yaml

from tests.e2e.conftest import Bot, texts
from ticketing.settings import REPO_ROOT


def kb_payloads(replies):
    return [r["custom"]["kb_article"] for r in replies if "custom" in r and "kb_article" in r["custom"]]


ANTARCTICA = (
    "---\nid: antarctica-shipping\ntitle: Envíos a la Antártica\nlanguage: es\ncategory: orders_shipping\n"
    "questions: [hacen envíos a la antártica, despachan a la base antártica, llegan pedidos a la antártica,\n"
    "  mandan cosas a la antartica, envían a villa las estrellas, se puede despachar a la antártica chilena]\n"
    "---\nSí: despachamos a la Antártica chilena una vez al mes, en el vuelo de abastecimiento de la base.\n"
)

EASTER_ISLAND = (
    "---\nid: easter-island-shipping\ntitle: Envíos a Isla de Pascua\nlanguage: es\ncategory: orders_shipping\n"
    "questions: [hacen envíos a isla de pascua, despachan a isla de pascua, llegan pedidos a rapa nui,\n"
    "  mandan cosas a hanga roa, envían a la isla de pascua, se puede despachar a rapa nui]\n"
    "---\nSí: despachamos a Isla de Pascua por avión, en 7 a 10 días hábiles.\n"
)


def wait_for_article(customer, question: str, article_id: str, seconds: float = 5) -> None:
    written = time.monotonic()
    while True:
        payloads = kb_payloads(customer.say(question))
        if payloads and payloads[0]["id"] == article_id:
            return
        assert time.monotonic() - written < seconds, f"{article_id} was not used within {seconds} seconds"
        time.sleep(0.2)


def test_a_new_article_answers_its_question_within_five_seconds(customer, kb_dir):
    question = "hacen envíos a la base antártica"
    assert kb_payloads(customer.say(question)) == []
    article = kb_dir / "es" / "antarctica-shipping.md"
    try:
        article.write_text(ANTARCTICA, encoding="utf-8")
        wait_for_article(customer, question, "antarctica-shipping")
    finally:
        article.unlink(missing_ok=True)  # the KB folder is the whole session's


def test_a_broken_article_is_skipped_and_the_others_keep_answering(customer, kb_dir):
    broken, article = kb_dir / "es" / "roto.md", kb_dir / "es" / "easter-island-shipping.md"
    try:
        # One change to the folder: a broken file and a new article. The new article answering proves the folder
        # was read again with the broken file in it; the others answer as before.
        broken.write_text("---\nid: [roto\n---\n", encoding="utf-8")
        article.write_text(EASTER_ISLAND, encoding="utf-8")
        # What this test is about is what the reload keeps answering, not how fast (the test above is about that).
        wait_for_article(customer, "despachan a isla de pascua", "easter-island-shipping", seconds=60)
        assert [p["id"] for p in kb_payloads(customer.say("olvidé mi contraseña"))] == ["reset-password"]
    finally:
        broken.unlink(missing_ok=True)
        article.unlink(missing_ok=True)


def test_no_it_did_not_help_opens_the_ticket_form_with_the_question_carried_over(rasa_url, api):
    customer = Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}")
    question = "puedo pagar en cuotas sin interés con tarjeta de débito?"
    assert kb_payloads(customer.say(question))
    assert "nombre" in texts(customer.say("no"))
    email = f"cuotas.{uuid.uuid4().hex[:6]}@example.com"
    customer.say("Marta Díaz")
    customer.say(email)
    # The description is not asked: the question that was not answered is it.
    assert "autorizas" in texts(customer.say("saltar"))
    replies = texts(customer.say("sí"))
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    assert ticket["description"] == question
    assert ticket["number"] in replies


def test_unanswerable_and_odd_messages_get_a_polite_answer_without_a_kb_article(customer):
    for message in ("🙂🙂🙂", "<script>alert(1)</script>", "x" * 10000, "Wie spät ist es in Berlin?"):
        replies = customer.say(message)
        assert replies, message[:20]
        assert kb_payloads(replies) == [], message[:20]
        assert all("<script>" not in r.get("text", "") for r in replies)


# An editor's new article with a single sample question (issue 16): the customer asks in other words.
BIKES = (
    "---\nid: electric-bike-repair\ntitle: Reparación de bicicletas eléctricas\nlanguage: es\n"
    "category: technical_support\nquestions: ['¿reparan bicicletas eléctricas?']\n---\n"
    "Nuestro taller de Maipú repara bicicletas y scooters eléctricos: cambio de batería, motor, frenos y neumáticos.\n"
    "El presupuesto es gratis y la reparación demora de 3 a 7 días hábiles.\n"
)

A_PERSON = (
    "---\nid: talk-to-a-person\ntitle: Cómo hablar con una persona\nlanguage: es\ncategory: other\n"
    "questions: [cómo hablar con una persona]\n---\n"
    'Escribe "quiero hablar con una persona" en este chat y te pasamos con un ejecutivo en horario de atención.\n'
)


def test_a_new_article_with_one_sample_question_answers_other_words_within_five_seconds(customer, kb_dir):
    question = "cuánto demoran en arreglar una bicicleta electrica"
    assert kb_payloads(customer.say(question)) == []
    article = kb_dir / "es" / "electric-bike-repair.md"
    try:
        article.write_text(BIKES, encoding="utf-8")
        wait_for_article(customer, question, "electric-bike-repair")
    finally:
        article.unlink(missing_ok=True)


def test_an_article_titled_like_a_request_to_act_leaves_the_request_to_a_person(rasa_url, kb_dir):
    person, bikes = kb_dir / "es" / "talk-to-a-person.md", kb_dir / "es" / "electric-bike-repair.md"
    try:
        person.write_text(A_PERSON, encoding="utf-8")
        bikes.write_text(BIKES, encoding="utf-8")  # in the same change: once it answers, the folder was read again
        # What this test is about is the request, not how fast the article comes in (the test above is about that).
        wait_for_article(
            Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}"),
            "reparan bicicletas eléctricas?",
            "electric-bike-repair",
            seconds=60,
        )
        replies = Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}").say("quiero hablar con una persona")
        assert kb_payloads(replies) == []
        assert "nombre" in texts(replies).lower()
    finally:
        person.unlink(missing_ok=True)
        bikes.unlink(missing_ok=True)


def test_new_articles_answer_customers_words_through_rest(rasa_url, kb_dir):
    """eval/kb_new through the whole bot (REST, NLU, rules, action server): its ten articles dropped in, each question
    asked in a conversation of its own. The figure is printed (`pytest -s`): 46 of 51 answered right and 18 of 20
    declined alone (2026-12-08); after the other tests here, questions asked while the ranker is still being fitted
    again in the background rank with the previous one, which cost one answer before. The floor leaves that room:
    43 (84%) and 17 (85%)."""
    check = REPO_ROOT / "eval" / "kb_new"
    added = []
    try:
        for article in sorted((check / "articles").glob("*/*.md")):
            target = kb_dir / article.parent.name / article.name
            shutil.copy(article, target)
            added.append(target)
        # A conversation of its own for each try: asked before the reload, a question NLU reads as a complaint goes
        # to the ticket form when the KB has nothing, and the next tries would be answers to the form.
        started = time.monotonic()
        while True:
            replies = Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}").say("hacen mantención a drones DJI")
            if [p["id"] for p in kb_payloads(replies)] == ["servicio-tecnico-drones"]:
                break
            assert time.monotonic() - started < 60, "the new articles were not used within 60 seconds"
            time.sleep(0.5)
        cases = yaml.safe_load((check / "questions.yml").read_text(encoding="utf-8"))["questions"]
        right = declined = answerable = 0
        for case in cases:
            payloads = kb_payloads(Bot(rasa_url, f"e2e-{uuid.uuid4().hex[:8]}").say(case["text"]))
            got = payloads[0]["id"] if payloads else None
            if case["expected"]:
                answerable += 1
                right += got == case["expected"]
            else:
                declined += got is None
        unanswerable = len(cases) - answerable
        print(f"kb_new through REST: {right}/{answerable} answered right, {declined}/{unanswerable} declined")
        assert right >= 43 and declined >= 17
    finally:
        for target in added:
            target.unlink(missing_ok=True)
