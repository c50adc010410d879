"""One text at a time through fitted TF-IDF features and softmax linear heads, without scikit-learn's checks.

scikit-learn validates its input on every call: for a single ticket that was 3.5 ms, nearly all of it checks, the
largest share of the cost of creating a ticket (and 3 of the 5 ms of a KB answer). This computes the same numbers
from the fitted vocabularies, idf weights and coefficients in a fraction of that. A head is anything with
`coef_`, `intercept_` and `classes_` whose probabilities are the softmax of its scores: a multinomial logistic
regression (the KB's ranker) or the ticket classifier's SoftmaxHead. tests/ticketing/test_fast_inference.py and
tests/kb/test_search.py hold it to the models' own predict_proba.
"""

from collections import Counter
from collections.abc import Callable, Sequence

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression


class _Tfidf:
    """The row a fitted TfidfVectorizer gives one text, as (column indices, values)."""

    def __init__(self, vectoriser: TfidfVectorizer):
        if vectoriser.norm != "l2" or vectoriser.binary or not vectoriser.use_idf:
            raise ValueError("only l2-normalised, idf-weighted, non-binary TF-IDF features are supported")
        self._analyse = vectoriser.build_analyzer()
        self._vocabulary = vectoriser.vocabulary_
        self._idf = vectoriser.idf_
        self._sublinear = vectoriser.sublinear_tf
        self.width = len(self._vocabulary)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        vocabulary = self._vocabulary
        counts = Counter(vocabulary[term] for term in self._analyse(text) if term in vocabulary)
        columns = np.fromiter(counts.keys(), dtype=np.intp, count=len(counts))
        values = np.fromiter(counts.values(), dtype=float, count=len(counts))
        if self._sublinear:
            values = np.log(values) + 1
        values *= self._idf[columns]
        norm = np.sqrt(values @ values)
        return columns, values / norm if norm else values


class _Softmax:
    """A softmax linear head (multinomial logistic regression, or alike): class probabilities of one sparse row."""

    def __init__(self, model: LogisticRegression):
        if len(model.classes_) < 3:
            raise ValueError("a head needs three classes or more (binary models are not multinomial)")
        self._columns = np.ascontiguousarray(model.coef_.T)  # one feature's weights for every class, together
        self._intercept = model.intercept_

    def probabilities(self, columns: np.ndarray, values: np.ndarray) -> np.ndarray:
        scores = values @ self._columns[columns] + self._intercept
        scores = np.exp(scores - scores.max())
        return scores / scores.sum()


class FastLinear:
    """Probabilities of several heads for one text whose features are TF-IDF blocks followed by dense signals."""

    def __init__(
        self,
        vectorisers: Sequence[TfidfVectorizer],
        heads: Sequence[LogisticRegression],
        signals: Callable[[str], list[float]],
    ):
        self._blocks = [_Tfidf(v) for v in vectorisers]
        self._offsets = np.cumsum([0] + [b.width for b in self._blocks])
        self._signals = signals
        self._heads = [_Softmax(h) for h in heads]

    def probabilities(self, text: str) -> list[np.ndarray]:
        parts_columns, parts_values = [], []
        for offset, block in zip(self._offsets, self._blocks, strict=False):
            columns, values = block.row(text)
            parts_columns.append(columns + offset)
            parts_values.append(values)
        signals = np.asarray(self._signals(text), dtype=float)
        parts_columns.append(np.arange(len(signals), dtype=np.intp) + self._offsets[-1])
        parts_values.append(signals)
        columns, values = np.concatenate(parts_columns), np.concatenate(parts_values)
        return [head.probabilities(columns, values) for head in self._heads]
