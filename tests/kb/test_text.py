"""Folding text: what every search and every ticket classification sees first."""

import pytest

from kb.text import _fold_thoroughly, fold


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
