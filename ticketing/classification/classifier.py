"""Category and subcategory of a ticket from its text, trained at start-up from the business's labelled tickets."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.pipeline import FeatureUnion
from sklearn.svm import LinearSVC

from kb.linear import FastLinear
from ticketing.classification.text import fold

# Below this confidence the text is ambiguous and the bot's category hint, when given, decides.
HINT_THRESHOLD = 0.45

# The heads are linear SVMs (C=1); their scores times these temperatures, through a softmax, are probabilities.
# The temperatures minimise the log loss of 5-fold out-of-fold scores on the labelled tickets, and leave the
# confidence calibrated: tickets at about 0.5 are right about 2 times in 3, at 0.95 about 97 times in 100.
CATEGORY_TEMPERATURE = 6.0
SUBCATEGORY_TEMPERATURE = 8.0
# A category's probability is this share of the subcategory head's (summed over the category's subcategories)
# and the rest the category head's: the finer head knows more about each boundary (5-fold: +1.2 points).
SUBCATEGORY_SHARE = 0.5


@dataclass(frozen=True)
class LabelledTicket:
    text: str
    language: str
    category: str
    subcategory: str

    @property
    def split(self) -> str:
        """A stable 80/20 train/held-out split by a hash of the text."""
        digest = hashlib.sha1(self.text.encode("utf-8")).digest()
        return "heldout" if digest[0] % 5 == 0 else "train"


@dataclass(frozen=True)
class Classification:
    category: str
    subcategory: str | None
    confidence: float
    used_hint: bool


def load_labelled(path: Path) -> list[LabelledTicket]:
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            rows.append(LabelledTicket(item["text"], item["language"], item["category"], item["subcategory"]))
        except (ValueError, KeyError) as exc:
            raise ValueError(f"{path}:{number}: bad labelled ticket: {exc}") from None
    return rows


def _text_features() -> FeatureUnion:
    return FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True, min_df=2),
            ),
        ]
    )


class SoftmaxHead:
    """A linear SVM's scores, times a temperature, through a softmax: class probabilities with a linear model's shape.

    It keeps `coef_`, `intercept_` and `classes_` like scikit-learn's LogisticRegression, so the single-ticket path
    (linear.py) reads it the same way. A linear SVM trains in a fraction of a second where the logistic regression
    took tens of seconds, and generalises as well or better on these tickets.
    """

    def __init__(self, temperature: float):
        self.temperature = temperature

    def fit(self, matrix: sparse.csr_matrix, labels: list[str]) -> "SoftmaxHead":
        svm = LinearSVC(C=1.0, random_state=0).fit(matrix, labels)
        self.classes_ = svm.classes_
        self.coef_ = svm.coef_ * self.temperature
        self.intercept_ = svm.intercept_ * self.temperature
        return self

    def predict_proba(self, matrix: sparse.csr_matrix) -> np.ndarray:
        scores = np.asarray(matrix @ self.coef_.T) + self.intercept_
        scores = np.exp(scores - scores.max(axis=1, keepdims=True))
        return scores / scores.sum(axis=1, keepdims=True)


class TicketClassifier:
    """Category and subcategory of a ticket.

    Features: TF-IDF words and character n-grams, plus the priority rules' signals (fraud, angry tone, urgency),
    which carry category evidence of their own (an angry message with no request is usually a complaint).
    The category head learns from the tickets and from the KB's sample questions (each labelled with its
    article's category); the subcategory head from the tickets alone. A category's probability blends the category
    head's with the sum of its subcategories'; the subcategory is then read within the chosen category.
    Both heads share one vectorisation, so classifying costs one pass over the text.
    """

    def __init__(
        self,
        examples: list[LabelledTicket],
        subcategory_to_category: dict[str, str],
        kb_examples: list[tuple[str, str]] = (),
        signals: Callable[[str], list[float]] | None = None,
    ):
        self._to_category = subcategory_to_category
        self._signals = signals or (lambda _text: [])
        texts = [e.text for e in examples] + [text for text, _ in kb_examples]
        self._features = _text_features().fit(texts)
        matrix = self._vectorise(texts)
        self._category_model = SoftmaxHead(CATEGORY_TEMPERATURE)
        self._category_model.fit(matrix, [e.category for e in examples] + [c for _, c in kb_examples])
        self._categories = list(self._category_model.classes_)
        self._subcategory_model = SoftmaxHead(SUBCATEGORY_TEMPERATURE)
        self._subcategory_model.fit(matrix[: len(examples)], [e.subcategory for e in examples])
        self._subcategories = list(self._subcategory_model.classes_)
        # Which category each subcategory column adds to (a subcategory of no category adds to none).
        self._subcategory_columns = np.array(
            [[subcategory_to_category.get(s) == c for s in self._subcategories] for c in self._categories], dtype=float
        )

    def _vectorise(self, texts: list[str]) -> sparse.csr_matrix:
        signals = sparse.csr_matrix(np.array([self._signals(t) for t in texts], dtype=float).reshape(len(texts), -1))
        # The vectorisers are called directly: FeatureUnion's parallel machinery costs more than it saves here.
        parts = [vectoriser.transform(texts) for _, vectoriser in self._features.transformer_list]
        return sparse.hstack([*parts, signals], format="csr")

    def _fast_heads(self) -> FastLinear:
        # Built on first use, not pickled (see __getstate__).
        if getattr(self, "_fast", None) is None:
            vectorisers = [vectoriser for _, vectoriser in self._features.transformer_list]
            self._fast = FastLinear(vectorisers, [self._category_model, self._subcategory_model], self._signals)
        return self._fast

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fast": None}  # rebuilt from the heads on first use

    def classify(self, text: str, hint: str | None = None) -> Classification:
        category_probs, sub_probs = self._fast_heads().probabilities(text)
        summed = self._subcategory_columns @ sub_probs
        category_probs = (1 - SUBCATEGORY_SHARE) * category_probs + SUBCATEGORY_SHARE * summed
        best = int(np.argmax(category_probs))
        category, confidence = self._categories[best], float(category_probs[best])
        if hint in self._categories and hint != category and confidence < HINT_THRESHOLD:
            category, used_hint = hint, True
        else:
            used_hint = False
        in_category = [
            (p, s) for p, s in zip(sub_probs, self._subcategories, strict=True) if self._to_category.get(s) == category
        ]
        subcategory = max(in_category)[1] if in_category else None
        return Classification(category, subcategory, confidence, used_hint)
