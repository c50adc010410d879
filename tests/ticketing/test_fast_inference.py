"""The fast single-ticket path gives exactly the probabilities scikit-learn gives for the same fitted model."""

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from ticketing.business.runtime import LABELLED_TICKETS

ODD_TEXTS = [
    "",
    "🙂🙂🙂",
    "zzzz qqqq xxxx",  # no known word or character n-gram
    "MI PEDIDO NO LLEGA!!! llevo 2 semanas esperando, es urgente",
    "<script>alert(1)</script> refund please",
    "a" * 5000,
]


def _texts() -> list[str]:
    rows = [json.loads(line) for line in LABELLED_TICKETS.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r["text"] for r in rows[::7]] + ODD_TEXTS


@pytest.mark.parametrize("head", ["category", "subcategory"])
def test_each_ticket_gets_the_probabilities_scikit_learn_would_give(business, head):
    classifier = business.classifier
    model = classifier._category_model if head == "category" else classifier._subcategory_model
    texts = _texts()
    # scikit-learn's own linear model with the head's fitted weights: its decision function and its softmax
    # (LogisticRegression.predict_proba, multinomial), on scikit-learn's vectorisers' output; not our arithmetic.
    reference_model = LogisticRegression()
    reference_model.coef_, reference_model.intercept_, reference_model.classes_ = (
        model.coef_,
        model.intercept_,
        model.classes_,
    )
    reference = reference_model.predict_proba(classifier._vectorise(texts))
    assert reference.shape == (len(texts), len(model.classes_)) and len(model.classes_) > 2
    index = 0 if head == "category" else 1
    fast = np.array([classifier._fast_heads().probabilities(t)[index] for t in texts])
    np.testing.assert_allclose(fast, reference, rtol=0, atol=1e-9)


def test_a_classifier_read_back_from_the_cache_classifies_like_the_trained_one(business):
    import pickle

    copy = pickle.loads(pickle.dumps(business.classifier))
    for text in _texts()[:40]:
        assert copy.classify(text) == business.classifier.classify(text)


@pytest.mark.parametrize(
    "text",
    ["Me cobraron  dos\tveces!!", "  a  b\n\nc ", "x", "", "🙂", "ÁÉÍ ñandú e\u0301xito", "wifi wifi wifi no anda"],
)
def test_character_ngrams_worked_out_word_by_word_are_scikit_learns(business, text):
    """The per-word cache gives each text exactly the columns scikit-learn's char_wb analyser gives it."""
    block = next(b for b in business.classifier._fast_heads()._blocks if b._columns == b._columns_by_word)
    assert sorted(block._columns_by_word(text)) == sorted(block._all_columns(text))
