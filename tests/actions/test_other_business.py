"""Another business (tests/data/other_business: a bookshop in Mexico City) changes the bot's words without a code
change: team names, order-number format, phone country, the timezone of the times it tells, the KB's categories."""

from datetime import datetime, timezone
from pathlib import Path

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.texts import response_words, say, team_name, when
from actions.ticket_actions import ValidateTicketForm
from actions.validators import clean_phone
from mostrador.business import BusinessFacts
from tests.actions.helpers import tracker

OTHER = Path(__file__).resolve().parents[1] / "data" / "other_business"


@pytest.fixture
def bookshop(monkeypatch):
    monkeypatch.setenv("ACTIONS_BUSINESS_CONFIG", str(OTHER / "business.yml"))
    monkeypatch.setenv("ACTIONS_KB_DIR", str(OTHER / "kb"))
    for cached in (runtime.settings, runtime.business, runtime.knowledge_base):
        cached.cache_clear()
    yield
    runtime.knowledge_base.cache_clear()


def test_the_bot_names_the_other_business_teams(bookshop):
    assert (team_name("es", "shipping"), team_name("en", "cashier")) == ("envíos", "cashier")


def test_the_bot_asks_for_the_other_business_order_numbers_and_reads_them(bookshop):
    assert "LQ-123456" in say("es", "invalid_order")
    t = tracker("mi pedido es lq 654321", slots={"requested_slot": "order_number"})
    result = ValidateTicketForm().validate_order_number(t.latest_message["text"], CollectingDispatcher(), t, {})
    assert result == {"order_number": "LQ-654321"}


def test_a_phone_without_country_code_is_read_as_the_other_business_country(bookshop):
    assert clean_phone("55 1234 5678", runtime.business().phone_region) == "+525512345678"
    assert "55 1234 5678" in say("en", "no_consent")


def test_times_are_told_in_the_other_business_timezone(bookshop):
    due = datetime(2026, 11, 17, 18, 0, tzinfo=timezone.utc)
    assert when("es", due, runtime.business().timezone) == "martes 17 de noviembre a las 12:00"
    assert when("en", due, runtime.business().timezone) == "Tuesday, November 17 at 12:00 (Mexico City time)"


def test_the_other_business_kb_answers_with_its_own_categories(bookshop):
    decision = runtime.knowledge_base().decide("cuánto tarda el envío de los libros", "es")
    assert decision.best.article.id == "shipping-times"
    assert {a.category for a in runtime.knowledge_base().articles} == {"book_orders", "payments"}


def test_the_greeting_names_the_other_business_and_what_it_helps_with(bookshop):
    # The bookshop's file has no `assistant` texts: the bot lists its categories' names, joined as the language does.
    assert response_words("es") == {
        "business": "Librería Quetzal",
        "topics": "pedidos de libros o pagos y facturas",  # not the catch-all "other" ("Sobre la librería")
    }
    assert response_words("en")["topics"] == "book orders or payments and invoices"


def test_the_demo_business_says_its_own_topics():
    facts = BusinessFacts.from_file()
    assert facts.topics("es") == "pedidos, envíos, devoluciones, pagos, tu cuenta o nuestros productos"
