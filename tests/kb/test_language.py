"""Which language a chat message is in: from its words, never from an email, an address or a code."""

import pytest

from kb.text import detect_language


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("quiero hablar con una persona", "es"),
        ("I want to talk to a person", "en"),
        ("¿dónde está mi pedido?", "es"),
        ("where is my order", "en"),
    ],
)
def test_the_words_say_the_language(text, expected):
    assert detect_language(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "ana.be12cd@example.com",  # "be" is an English word: a Spanish form went on in English
        "john.de45@example.com",  # "de" is a Spanish one
        "CS-4821937",
        "T-000123",
        "https://www.example.com/be/the/order",
        "+56 9 8765 4321",
    ],
)
def test_an_email_an_address_or_a_code_says_nothing(text):
    assert detect_language(text) is None


def test_words_around_an_email_still_count():
    assert detect_language("mi correo es ana.be12@example.com") == "es"
    assert detect_language("my email is juan.de12@example.com") == "en"
