"""One text at a time through fitted TF-IDF features and softmax linear heads, without scikit-learn's checks.

scikit-learn validates its input on every call: for a single ticket that was 3.5 ms, nearly all of it checks, the
largest share of the cost of creating a ticket (and 3 of the 5 ms of a KB answer). This computes the same numbers
from the fitted vocabularies, idf weights and coefficients in a fraction of that. A head is anything with
`coef_`, `intercept_` and `classes_` whose probabilities are the softmax of its scores: a multinomial logistic
regression (the KB's ranker) or the ticket classifier's SoftmaxHead. tests/ticketing/test_fast_inference.py and
tests/kb/test_search.py hold it to the models' own predict_proba.
"""

import re
from collections import Counter
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

# scikit-learn's char_wb analyser first turns each run of white space into one space.
_WHITE_SPACES = re.compile(r"\s\s+")


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
        self._columns = self._all_columns
        if vectoriser.analyzer == "char_wb" and vectoriser.input == "content" and vectoriser.decode_error == "strict":
            # Character n-grams never cross a word: a text's are its words' together. Words repeat from one text to
            # the next, so each word's columns are worked out once (two thirds of a ticket's classification before).
            self._preprocess = vectoriser.build_preprocessor()
            self._ngram_range = vectoriser.ngram_range
            self._word_columns = lru_cache(maxsize=50_000)(self._char_wb_columns)
            self._columns = self._columns_by_word

    def _all_columns(self, text: str) -> list[int]:
        vocabulary = self._vocabulary
        return [vocabulary[term] for term in self._analyse(text) if term in vocabulary]

    def _columns_by_word(self, text: str) -> list[int]:
        words = _WHITE_SPACES.sub(" ", self._preprocess(text)).split()
        return [column for word in words for column in self._word_columns(word)]

    def _char_wb_columns(self, word: str) -> tuple[int, ...]:
        """The vocabulary columns of a word's character n-grams, as scikit-learn's char_wb analyser makes them:
        the word padded with a space each side, every n-gram of each length, a word shorter than n once."""
        vocabulary, padded = self._vocabulary, f" {word} "
        min_n, max_n = self._ngram_range
        columns = []
        for n in range(min_n, max_n + 1):
            for offset in range(max(len(padded) - n + 1, 1)):
                if (column := vocabulary.get(padded[offset : offset + n])) is not None:
                    columns.append(column)
            if len(padded) <= n:  # the whole word was the one n-gram: longer ones would repeat it
                break
        return tuple(columns)

    def row(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        counts = Counter(self._columns(text))
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
