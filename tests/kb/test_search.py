"""What the bot answers from the KB: the right article, in the customer's language, or an honest decline."""

import time

import pytest

from kb.search import KnowledgeBase
from ticketing.settings import REPO_ROOT

KB = KnowledgeBase(REPO_ROOT / "kb_articles")


@pytest.mark.parametrize(
    ("question", "language", "article"),
    [
        ("me cobraron dos veces", "es", "duplicate-charge"),
        ("cuánto demora el envío a regiones", "es", "delivery-times"),
        ("olvide mi contrasena", "es", "reset-password"),
        ("debolucion de un producto", "es", "return-policy"),
        ("how do I reset my pasword", "en", "reset-password"),
        ("where r ur stores", "en", "physical-stores"),
    ],
)
def test_common_questions_are_answered_with_the_right_article(question, language, article):
    decision = KB.decide(question, language)
    assert decision.action == "answer"
    assert decision.best.article.id == article
    assert decision.best.article.language == language


@pytest.mark.parametrize(
    ("question", "language"),
    [("what's the weather in paris tomorrow", "en"), ("quién ganó el partido de ayer", "es"), ("", "es")],
)
def test_questions_the_kb_does_not_cover_are_declined(question, language):
    assert KB.decide(question, language).action == "decline"


def test_a_new_article_is_answered_after_a_reload_without_a_restart(tmp_path):
    (tmp_path / "es").mkdir()
    kb = KnowledgeBase(tmp_path)
    assert kb.decide("hacen envíos a la antártica", "es").action == "decline"
    (tmp_path / "es" / "antarctica.md").write_text(
        "---\nid: antarctica-shipping\ntitle: Envíos a la Antártica\nlanguage: es\ncategory: orders_shipping\n"
        "questions: [hacen envíos a la antártica, despachan a la base antártica]\n---\n"
        "Sí, despachamos a la Antártica chilena una vez al mes.\n",
        encoding="utf-8",
    )
    time.sleep(0.01)
    assert kb.reload_if_changed()
    decision = kb.decide("hacen envíos a la antártica", "es")
    assert decision.action == "answer"
    assert decision.best.article.id == "antarctica-shipping"
