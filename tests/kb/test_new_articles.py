"""An article an editor has just written, with one or two sample questions, answers customers in their own words."""

import shutil

import pytest

from kb.search import KnowledgeBase
from ticketing.settings import REPO_ROOT

BIKES = """---
id: reparacion-bicicletas-electricas
title: Reparación de bicicletas eléctricas
language: es
category: technical_support
questions:
  - ¿reparan bicicletas eléctricas?
---
Nuestro taller de Maipú repara bicicletas y scooters eléctricos: cambio de batería, motor, frenos y neumáticos. El
presupuesto es gratis y la reparación demora de 3 a 7 días hábiles.
"""

TRADE_IN = """---
id: canje-camaras
title: Canje de cámaras usadas
language: es
category: sales
questions:
  - ¿cuánto me dan por mi cámara usada si compro una nueva?
---
Recibimos tu cámara usada en parte de pago de una cámara nueva: te damos un crédito según el modelo y su estado.
"""

A_PERSON = """---
id: hablar-con-una-persona
title: Cómo hablar con una persona
language: es
category: other
questions:
  - cómo hablar con una persona
---
Escribe "quiero hablar con una persona" en este chat y te pasamos con un ejecutivo en horario de atención; fuera de
horario te dejamos un ticket.
"""


@pytest.fixture(scope="module")
def kb(tmp_path_factory):
    """The demo KB with three articles dropped in, one sample question each."""
    root = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(REPO_ROOT / "kb_articles", root)
    for name, text in (("bicicletas", BIKES), ("canje", TRADE_IN), ("persona", A_PERSON)):
        (root / "es" / f"{name}.md").write_text(text, encoding="utf-8")
    return KnowledgeBase(root)


def test_a_new_article_with_one_sample_question_answers_a_paraphrase(kb):
    """Before FEW_QUESTIONS, the ranker gave the new article next to nothing and the question was declined."""
    decision = kb.decide("cuánto demoran en arreglar una bicicleta electrica", "es")
    assert (decision.action, decision.best.article.id) == ("answer", "reparacion-bicicletas-electricas")


def test_the_demo_kb_still_answers_its_own_questions_with_new_articles_in(kb):
    assert kb.decide("cuanto demora el despacho a temuco", "es").best.article.id == "delivery-times"
    assert kb.decide("olvidé mi clave, cómo la cambio", "es").best.article.id == "reset-password"


def test_a_question_near_a_new_topic_that_no_article_covers_is_declined(kb):
    assert kb.decide("reparan lavadoras?", "es").action == "decline"


def test_a_service_once_not_offered_is_answered_when_an_article_says_it_is(kb):
    """The lexicon's not_offered cue ("cuánto me dan por mi ... usada") yields to an article that says it."""
    assert KnowledgeBase(REPO_ROOT / "kb_articles").decide("cuanto me pagan por mi camara vieja", "es").reason == (
        "not_offered"
    )
    decision = kb.decide("cuanto me pagan por mi camara vieja", "es")
    assert (decision.action, decision.best.article.id) == ("answer", "canje-camaras")


def test_an_article_titled_like_a_request_to_act_answers_but_fraud_still_goes_to_a_person(kb):
    assert kb.decide("cómo puedo hablar con un ejecutivo", "es").best.article.id == "hablar-con-una-persona"
    decision = kb.decide("me robaron la clave, quiero hablar con una persona", "es")
    assert (decision.action, decision.reason) == ("decline", "handoff")


@pytest.mark.parametrize("question", ["vocês consertam bicicletas elétricas?", "scooter", "hola", "🙂", "?"])
def test_a_third_language_or_a_word_alone_is_not_answered_with_a_guess(kb, question):
    assert kb.decide(question, "es").action == "decline"


def test_a_one_word_question_naming_the_new_topic_gets_it(kb):
    decision = kb.decide("bicicletas", "es")
    assert (decision.action, decision.best.article.id) == ("answer", "reparacion-bicicletas-electricas")
