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


GIFT_WRAP = """---
id: envoltura-regalos
title: Envoltura de regalos
language: es
category: sales
questions:
  - ¿hacen paquetes de regalo?
---
En cualquier tienda envolvemos tus compras con papel y cinta de la temporada, sin costo, mientras esperas. En la web,
marca "es para regalo" al pagar: la boleta no irá en la caja.
"""

FURNITURE = """---
id: armado-muebles
title: Armado de muebles a domicilio
language: es
category: technical_support
questions:
  - ¿arman muebles?
---
Nuestros técnicos arman en tu casa escritorios, sillas gamer y racks de TV. Si el mueble lo compraste con nosotros, el
armado cuesta $9.990; si lo compraste en otra parte, $14.990. Agenda la visita en la web o en cualquier tienda.
"""

PARKING = """---
id: parking
title: Parking at our stores
language: en
category: other
questions:
  - is there parking at the store
---
Every store has free parking for customers for the first two hours; validate your ticket at the checkout. Bike racks
are next to the main entrance.
"""

UMBRELLAS = """---
id: umbrella-rental
title: Umbrella rental
language: en
category: other
questions:
  - can I rent an umbrella
---
On rainy days every store lends umbrellas for $1,000 a day. Return it to any store; an umbrella kept for more than a
week, or broken, is charged at $8,000.
"""


@pytest.fixture(scope="module")
def services_kb(tmp_path_factory):
    """The demo KB with three more services an editor has just written up, one sample question each."""
    root = tmp_path_factory.mktemp("kb") / "kb"
    shutil.copytree(REPO_ROOT / "kb_articles", root)
    for language, name, text in (
        ("es", "regalos", GIFT_WRAP),
        ("es", "muebles", FURNITURE),
        ("en", "parking", PARKING),
        ("en", "umbrellas", UMBRELLAS),
    ):
        (root / language / f"{name}.md").write_text(text, encoding="utf-8")
    return KnowledgeBase(root)


@pytest.mark.parametrize("question", ["me lo envuelven?", "me envuelven el regalo en la tienda?"])
def test_a_spanish_verb_with_its_vowel_changed_is_the_same_word(services_kb, question):
    """ "envuelven" and the article's "envolvemos" stem apart ("envuelv", "envolv"): the question was declined."""
    decision = services_kb.decide(question, "es")
    assert (decision.action, decision.best.article.id) == ("answer", "envoltura-regalos")


def test_an_english_comparative_is_its_word_not_a_typo_of_another():
    english = KnowledgeBase(REPO_ROOT / "kb_articles")
    english.decide("warm up", "en")  # loads the index
    index = english._indexes["en"]
    assert "never" in index._known and "new" in index._known
    assert index.correct(["newer", "biggest", "safer"]) == ["new", "big", "safe"]


@pytest.mark.parametrize(
    "question",
    ["compré un escritorio en otro lado, me lo arman?", "mi silla la compre en otra parte, me la pueden armar?"],
)
def test_an_article_that_says_it_takes_what_was_bought_elsewhere_answers_such_a_purchase(services_kb, question):
    """Without that article the lexicon's elsewhere cue declines ("compré ... en otro lado": another company's)."""
    assert KnowledgeBase(REPO_ROOT / "kb_articles").decide(question, "es").reason == "elsewhere"
    decision = services_kb.decide(question, "es")
    assert (decision.action, decision.best.article.id) == ("answer", "armado-muebles")


def test_a_new_article_lacking_only_everyday_words_the_kb_knows_still_answers(services_kb):
    """ "somewhere" and "lock" are known to other articles, not to this one: coverage 0.36, under the usual 0.40."""
    decision = services_kb.decide("is there somewhere to lock my bike", "en")
    assert (decision.action, decision.best.article.id) == ("answer", "parking")
    assert decision.best.coverage < 0.40


@pytest.mark.parametrize(
    "language, question",
    [("en", "is there somewhere to moor my boat"), ("es", "envuelven bicicletas?"), ("es", "arman piscinas?")],
)
def test_a_word_no_article_knows_still_declines_near_a_new_article(services_kb, language, question):
    assert services_kb.decide(question, language).action == "decline"


def test_a_verb_in_another_form_than_the_articles_is_the_same_word(services_kb):
    """ "breaks" is "broken" in the article: the stemmer leaves them apart (kb/text.py WORD_FORMS)."""
    decision = services_kb.decide("what if the umbrella breaks", "en")
    assert (decision.action, decision.best.article.id) == ("answer", "umbrella-rental")


@pytest.mark.parametrize(
    "question, article",
    [
        (
            "me cambié de casa y compré un escritorio gamer enorme pero no tengo herramientas ni paciencia, ustedes "
            "mandan a alguien que lo deje listo?",
            "armado-muebles",
        ),
        (
            "para el cumpleaños de mi sobrina compré unos audífonos y no sé envolver nada, me lo dejan bonito con "
            "papel y cinta?",
            "envoltura-regalos",
        ),
    ],
)
def test_a_customer_who_tells_the_story_still_gets_the_new_article(services_kb, question, article):
    """A long question brings words a one-sample article has no reason to use: its coverage bar falls with length
    (LONG_QUESTION). Both were declined at the usual bar (coverage 0.22 and 0.35 under 0.40)."""
    decision = services_kb.decide(question, "es")
    assert (decision.action, decision.best.article.id) == ("answer", article)


def test_a_long_question_on_no_article_s_topic_is_still_declined(services_kb):
    question = "my husband drives us to the mall on weekends and hates looking for a spot, is the cinema open late"
    assert services_kb.decide(question, "en").action == "decline"
