"""Folding text: what every search and every ticket classification sees first."""

import pytest

from kb.text import WORD_FORMS, _fold_thoroughly, _stem, fold, terms, tokens


@pytest.mark.parametrize(
    "text, folded",
    [
        ("Envío", "envio"),
        ("NIÑO", "niño"),
        ("¿Cuándo llega?", "¿cuando llega?"),
        ("e\u0301xito", "exito"),  # a separate accent mark after the letter
        ("Ça Ölçü straße", "ca olcu straße"),
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_lowercases_and_strips_accents_but_keeps_n_tilde(text, folded):
    assert fold(text) == folded


def test_the_quick_fold_agrees_with_the_thorough_one_on_every_latin_letter_and_other_scripts():
    letters = "".join(map(chr, range(0x20, 0x250)))
    samples = [letters, letters.upper(), "Ελληνικά 日本語 😀 ﬁ ½", "n\u0303 ñ\u0301 a\u0300\u0301", "¿¡ºª«»"]
    for text in samples:
        assert fold(text) == _fold_thoroughly(text.lower())


@pytest.mark.parametrize(
    "language, one, other",
    [
        ("es", "se me cayó el celular", "se me cae el celular"),
        ("es", "pantalla rota", "pantalla romper"),
        ("es", "abierta la caja", "abrir la caja"),
        ("es", "está cubierto", "lo cubre"),
        ("en", "items left behind", "items leave behind"),
        ("en", "kept for 30 days", "keep for 30 days"),
        ("en", "I forgot my umbrella", "forgotten umbrella"),
    ],
)
def test_forms_of_one_word_the_stemmer_leaves_apart_are_one_term(language, one, other):
    assert terms(one, language) == terms(other, language)


def test_every_word_form_group_stems_apart_without_the_table():
    """Each group earns its place: without it, at least one of its words would be a different term."""
    for language, groups in WORD_FORMS.items():
        for group in groups:
            assert len({_stem(word, language) for word in group.split()}) > 1, group


def test_an_apostrophe_joins_a_word_instead_of_leaving_a_letter_that_counts_as_a_term():
    """ "what's" was "what" and "s", and "s" a term some article had: "what's the dollar rate" looked covered."""
    assert tokens("what's it, won’t it") == ["whats", "it", "wont", "it"]
    assert terms("what's the dollar rate today", "en") == ["dollar", "rate", "today"]
    assert terms("has anyone seen her", "en") == ["anyon", "see"]
