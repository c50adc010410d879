"""Category and subcategory of a ticket from its text, trained at start-up from the business's labelled tickets."""

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion

from ticketing.classification.linear import FastLinear
from ticketing.classification.text import fold

# Below this confidence the text is ambiguous and the bot's category hint, when given, decides.
HINT_THRESHOLD = 0.45


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


class TicketClassifier:
    """Category and subcategory of a ticket.

    Features: TF-IDF words and character n-grams, plus the priority rules' signals (fraud, angry tone, urgency),
    which carry category evidence of their own (an angry message with no request is usually a complaint).
    The category head learns from the tickets and from the KB's sample questions (each labelled with its
    article's category); the subcategory head from the tickets alone, and is read within the chosen category.
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
        self._category_model = LogisticRegression(C=10, max_iter=3000)
        self._category_model.fit(matrix, [e.category for e in examples] + [c for _, c in kb_examples])
        self._categories = list(self._category_model.classes_)
        self._subcategory_model = LogisticRegression(C=10, max_iter=3000)
        self._subcategory_model.fit(matrix[: len(examples)], [e.subcategory for e in examples])
        self._subcategories = list(self._subcategory_model.classes_)

    def _vectorise(self, texts: list[str]) -> sparse.csr_matrix:
        signals = sparse.csr_matrix(np.array([self._signals(t) for t in texts], dtype=float).reshape(len(texts), -1))
        # The vectorisers are called directly: FeatureUnion's parallel machinery costs more than it saves here.
        parts = [vectoriser.transform(texts) for _, vectoriser in self._features.transformer_list]
        return sparse.hstack([*parts, signals], format="csr")

    def _fast_heads(self) -> FastLinear:
        # Built on first use, not pickled: a cached model from before this existed works unchanged.
        if getattr(self, "_fast", None) is None:
            vectorisers = [vectoriser for _, vectoriser in self._features.transformer_list]
            self._fast = FastLinear(vectorisers, [self._category_model, self._subcategory_model], self._signals)
        return self._fast

    def __getstate__(self) -> dict:
        return {**self.__dict__, "_fast": None}

    def classify(self, text: str, hint: str | None = None) -> Classification:
        category_probs, sub_probs = self._fast_heads().probabilities(text)
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
