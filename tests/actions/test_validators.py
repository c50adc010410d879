"""What the ticket form accepts, and how it normalises it."""

import pytest

from actions.validators import clean_description, clean_email, clean_name, clean_order_number, clean_phone
from mostrador.business import DEMO_BUSINESS, BusinessFacts, OrderNumbers

CONDOR_ORDERS = BusinessFacts.from_file(DEMO_BUSINESS).order_numbers


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ana@example.com", "ana@example.com"),
        ("mi correo es Ana.P@Gmail.COM", "ana.p@gmail.com"),
        ("ana@gmail", None),
        ("no tengo", None),
        ("@@", None),
    ],
)
def test_email(text, expected):
    assert clean_email(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("+56 9 8765 4321", "+56987654321"),
        ("987654321", "+56987654321"),
        ("mi fono es 9 8765 4321", "+56987654321"),
        ("+1 415 555 0199", "+14155550199"),
        ("12345", None),
        ("+56 1 234", None),
    ],
)
def test_phone_chilean_and_international(text, expected):
    assert clean_phone(text, "CL") == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("CS-4821937", "CS-4821937"),
        ("cs4821937", "CS-4821937"),
        ("4821937", "CS-4821937"),
        ("el pedido es #48219370", "CS-48219370"),
        ("123", None),
        ("no sé", None),
    ],
)
def test_order_number(text, expected):
    assert clean_order_number(text, CONDOR_ORDERS) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [("LB-123456", "LB-123456"), ("pedido 123456", "LB-123456"), ("CS-4821937", None), ("12345", None)],
)
def test_another_business_reads_its_own_order_numbers(text, expected):
    assert clean_order_number(text, OrderNumbers("LB", 6, 6)) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Ana Pérez", "Ana Pérez"),
        ("me llamo juan soto", "Juan Soto"),
        ("I'm Tom", "Tom"),
        ("123456", None),
        ("<script>", None),
        ("a", None),
        ("María José de los Ángeles Pérez", "María José de los Ángeles Pérez"),
        ("how is my ticket going?", None),  # a question, typed where the name is asked
        ("¿cómo va mi ticket", None),
        ("hola quería saber si me pueden ayudar con un problema que tengo", None),  # a sentence, not a name
        ("saltar", None),  # the name cannot be skipped
        ("no quiero dar mi nombre", None),
        ("Noé", "Noé"),  # NLU reads it as a no; it is a name
        ("yes", None),  # typed after "What's your name?": not a name
        ("Sí!", None),
        ("ok", None),
        ("no", None),
        ("Simón", "Simón"),
    ],
)
def test_name(text, expected):
    assert clean_name(text) == expected


def test_a_description_needs_some_words():
    assert clean_description("el notebook no prende") == "el notebook no prende"
    assert clean_description("??") is None
    assert len(clean_description("a" * 20000)) == 5000
