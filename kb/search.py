"""Search the knowledge base the way customers write: typos, no accents, chat shorthand, two languages.

Each article is indexed as passages: its title, each sample question, its tags and its first paragraph.
A query is scored against every passage with two cosine similarities, and an article takes its best passage:
 - words: TF-IDF over stemmed terms (typos corrected to the nearest known term first);
 - characters: TF-IDF over character 3-grams of the folded text, which tolerates what stemming misses.
The score is in [0, 1] and comparable across queries, so one calibrated pair of thresholds decides:
answer (top score high and clear of the runner-up), suggest the top few, or decline.
"""

import math
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy import sparse

from kb.articles import Article, article_files, load_articles
from kb.text import fold, terms

# Calibrated on eval/kb_dev.yml (make eval-kb); see docs/kb.md.
ANSWER_THRESHOLD = 0.42
SUGGEST_THRESHOLD = 0.30
ANSWER_MARGIN = 0.04
WORD_WEIGHT = 0.6
PASSAGE_WEIGHTS = {"title": 1.0, "question": 1.0, "tags": 0.8, "summary": 0.8}


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float
    passage: str  # which passage matched best: what the bot "thought" the customer asked


@dataclass(frozen=True)
class Decision:
    action: str  # "answer" | "suggest" | "decline"
    hits: list[Hit]
    language: str

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def char_grams(text: str) -> list[str]:
    padded = " " + " ".join(re.findall(r"[a-z0-9ñ]+", fold(text))) + " "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


class _Vectoriser:
    """A TF-IDF space fitted on the passages of one language."""

    def __init__(self, docs: list[list[str]]):
        df = Counter(t for doc in docs for t in set(doc))
        self.vocab = {t: i for i, t in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in sorted(df)])
        self.matrix = self.transform_many(docs)

    def transform_many(self, docs: list[list[str]]) -> sparse.csr_matrix:
        rows, cols, vals = [], [], []
        for r, doc in enumerate(docs):
            for term, count in Counter(doc).items():
                col = self.vocab.get(term)
                if col is not None:
                    rows.append(r)
                    cols.append(col)
                    vals.append((1 + math.log(count)) * self.idf[col])
        m = sparse.csr_matrix((vals, (rows, cols)), shape=(len(docs), len(self.vocab)), dtype=np.float64)
        norms = np.sqrt(m.multiply(m).sum(axis=1)).A1
        norms[norms == 0] = 1
        return sparse.csr_matrix(sparse.diags(1 / norms) @ m)

    def similarities(self, doc: list[str]) -> np.ndarray:
        q = self.transform_many([doc])
        return (self.matrix @ q.T).toarray().ravel()


class _LanguageIndex:
    def __init__(self, articles: list[Article], language: str):
        self.language = language
        self.articles = articles
        passages: list[tuple[int, str, str]] = []  # (article index, kind, text)
        for i, a in enumerate(articles):
            passages.append((i, "title", a.title))
            passages += [(i, "question", q) for q in a.questions]
            if a.tags:
                passages.append((i, "tags", " ".join(a.tags)))
            passages.append((i, "summary", a.summary))
        self.owner = np.array([p[0] for p in passages])
        self.texts = [p[2] for p in passages]
        self.weight = np.array([PASSAGE_WEIGHTS[p[1]] for p in passages])
        self.words = _Vectoriser([terms(t, language) for t in self.texts])
        self.chars = _Vectoriser([char_grams(t) for t in self.texts])
        self.known_terms = list(self.words.vocab)
        self._known = set(self.known_terms)

    def correct(self, query_terms: list[str]) -> list[str]:
        """Replace a term we have never seen by the closest known one (one edit, two for long words)."""
        fixed = []
        for term in query_terms:
            if term in self._known or len(term) < 4:
                fixed.append(term)
                continue
            limit = 1 if len(term) < 8 else 2
            match = process.extractOne(term, self.known_terms, scorer=Levenshtein.distance, score_cutoff=limit)
            fixed.append(match[0] if match else term)
        return fixed

    def score(self, query: str) -> tuple[np.ndarray, np.ndarray]:
        """Per article: the best passage score and that passage's index."""
        word_sim = self.words.similarities(self.correct(terms(query, self.language)))
        char_sim = self.chars.similarities(char_grams(query))
        passage_score = (WORD_WEIGHT * word_sim + (1 - WORD_WEIGHT) * char_sim) * self.weight
        best = np.zeros(len(self.articles))
        best_passage = np.zeros(len(self.articles), dtype=int)
        order = np.argsort(passage_score)  # ascending: later (higher) scores overwrite
        best[self.owner[order]] = passage_score[order]
        best_passage[self.owner[order]] = order
        return best, best_passage


class KnowledgeBase:
    """The published articles of a folder, searchable, reloaded when the folder changes."""

    def __init__(self, root: Path):
        self.root = Path(root)
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._indexes: dict[str, _LanguageIndex] = {}
        self.articles: list[Article] = []
        self.reload()

    @classmethod
    def from_articles(cls, articles: list[Article]) -> "KnowledgeBase":
        kb = cls.__new__(cls)
        kb.root, kb.errors, kb._lock, kb._signature = Path("."), [], threading.Lock(), ()
        kb._build(articles)
        return kb

    def _folder_signature(self) -> tuple:
        out = []
        for path in article_files(self.root):
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def reload_if_changed(self) -> bool:
        signature = self._folder_signature()
        if signature == self._signature:
            return False
        self.reload(signature)
        return True

    def reload(self, signature: tuple | None = None) -> None:
        signature = signature if signature is not None else self._folder_signature()
        articles, errors = load_articles(self.root)
        self._build(articles)
        self.errors = errors
        self._signature = signature

    def _build(self, articles: list[Article]) -> None:
        published = [a for a in articles if a.status == "published"]
        indexes = {}
        for language in sorted({a.language for a in published}):
            indexes[language] = _LanguageIndex([a for a in published if a.language == language], language)
        with self._lock:
            self.articles = published
            self._indexes = indexes

    def watch(self, interval: float = 0.5) -> threading.Thread:
        """Poll the folder in a daemon thread and reload on any change."""

        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.reload_if_changed()
                except Exception:
                    continue

        thread = threading.Thread(target=loop, name="kb-watch", daemon=True)
        thread.start()
        return thread

    def get(self, article_id: str, language: str) -> Article | None:
        with self._lock:
            for a in self.articles:
                if a.id == article_id and a.language == language:
                    return a
        return None

    def search(self, query: str, language: str, limit: int = 3) -> list[Hit]:
        with self._lock:
            index = self._indexes.get(language) or next(iter(self._indexes.values()), None)
        if index is None or not query.strip():
            return []
        scores, passages = index.score(query[:1000])
        top = np.argsort(-scores)[:limit]
        return [
            Hit(index.articles[i], round(float(scores[i]), 4), index.texts[passages[i]]) for i in top if scores[i] > 0
        ]

    def decide(self, query: str, language: str) -> Decision:
        """Answer with the top article, suggest the top few, or decline: the calibrated thresholds decide."""
        hits = self.search(query, language, limit=3)
        if not hits or hits[0].score < SUGGEST_THRESHOLD:
            return Decision("decline", hits, language)
        runner_up = hits[1].score if len(hits) > 1 else 0.0
        if hits[0].score >= ANSWER_THRESHOLD and hits[0].score - runner_up >= ANSWER_MARGIN:
            return Decision("answer", hits[:1], language)
        return Decision("suggest", [h for h in hits if h.score >= SUGGEST_THRESHOLD * 0.8], language)
