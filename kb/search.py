"""Search the knowledge base the way customers write: typos, no accents, chat shorthand, two languages.

Two signals, each measured on eval/kb_dev.yml (docs/kb.md has the numbers):
 - ranking: a classifier trained on the articles' own sample questions, titles and tags (TF-IDF words and
   character n-grams, logistic regression); its probability is the answer's confidence. Knowledge bases over
   LEARNED_MAX_ARTICLES per language rank by retrieval instead: cosine similarity of the query with each
   article's best passage (stemmed words, typos corrected; character 3-grams) and with the whole article;
 - coverage: the share of the question's meaning (IDF-weighted terms) that the article's text knows about.
   A question about something the KB never mentions ("bitcoin", "weather") has low coverage everywhere.
Decision: answer when confident and covered; suggest the closest articles when covered but unsure; else decline.
"""

import logging
import math
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
import sklearn
import yaml
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from threadpoolctl import threadpool_limits

from kb.articles import Article, article_files, load_articles
from kb.linear import FastLinear
from kb.text import fold, terms, tokens

log = logging.getLogger(__name__)

# Calibrated on eval/kb_dev.yml (make eval-kb); see docs/kb.md.
ANSWER_CONFIDENCE = 0.10  # classifier probability of the top article
RETRIEVAL_ANSWER_SCORE = 0.30  # the same role when ranking by retrieval
MIN_COVERAGE = 0.40
# The bar for an article ranked by retrieval (few sample questions, or just added) when every word of the question
# is known to the KB: the words it lacks are then everyday words its author did not happen to use ("pilas gastadas",
# "discounted display models"), which other articles do; a word no article knows still counts double against it
# ("arriendan autos?"). Chosen on eval/kb_new: 0.35 answered 3 more, 0.30 declined one uncovered question less.
KNOWN_WORDS_MIN_COVERAGE = 0.35
# And for a question longer than this many meaningful words, the bar of such an article falls in proportion (bar x
# LONG_QUESTION / words): a customer who tells the story ("me cambié de depto y les compré una tele de 65 pulgadas,
# pero no tengo taladro...") adds words no article has reason to use, and its author wrote one or two sample questions,
# not the hundreds of words customers bring. Articles with many sample questions keep their bar: their samples have
# seen such words. Chosen on eval/kb_new_c: 32.5 -> 42.5% answered, no uncovered question answered on any set.
LONG_QUESTION = 5
# A question of at most this many words ("mi cuenta", "order?") with one meaningful word, which the titles or tags
# of several articles name, gets those articles to choose from rather than the ranker's guess (bare_word_articles).
BARE_WORD_TOKENS = 2
# A word no article uses weighs this much of the rarest known word: it is probably what the question is about.
UNKNOWN_TERM_FACTOR = 2.0
LEARNED_MAX_ARTICLES = 300
# An article with fewer sample questions than this (one an editor has just written) is not judged by the ranker,
# which learns from sample questions and gives it next to nothing: its score is its retrieval probability (a softmax
# of the retrieval score, whole article and body included, RETRIEVAL_SHARPNESS), and the ranker also learns from its
# body's sentences. Articles with more samples keep the ranker's probability. Measured on eval/kb_new (docs/kb.md).
FEW_QUESTIONS = 5
RETRIEVAL_SHARPNESS = 20.0
# With the learned ranker, the answer is the article with the best probability x coverage ** COVERAGE_RERANK: a
# close second that covers the question's words beats a first that does not ("me cobraron 2 veces": duplicate charge,
# not refunds). Whether to decline is still judged on the ranker's own first choice.
COVERAGE_RERANK = 2.0
SYNONYMS_FILE = "synonyms.yml"
LEXICON_FILE = "lexicon.yml"
# After a brand ("galaxy", "xiaomi"), this many following words that the KB does not know are the model's name.
MODEL_NAME_WORDS = 3
# Words that name a model's variant after a product was named ("iphone 15 pro max", "galaxy s24 ultra", "ps5 slim"):
# part of its name, neutral for coverage.
MODEL_WORDS = frozenset("pro max ultra plus mini lite slim air fe".split())
WORD_WEIGHT = 0.6
RETRIEVAL_WEIGHTS = {"word": 0.1, "char": 0.2, "article": 0.6, "coverage": 0.1}
PASSAGE_WEIGHTS = {"title": 1.0, "question": 1.0, "tags": 0.8, "summary": 0.8}


@dataclass(frozen=True)
class Hit:
    article: Article
    score: float  # confidence in [0, 1]
    passage: str  # which passage matched best: what the bot "thought" the customer asked
    coverage: float = 0.0


@dataclass(frozen=True)
class Decision:
    action: str  # "answer" | "suggest" | "decline"
    hits: list[Hit]
    language: str
    # Why a decline has no article even when one looks close (decline_reason): "handoff" (fraud or account
    # takeover: the bot opens the ticket form at once), "elsewhere", "not_offered"; for a suggestion, "bare_word"
    # (a word several articles are about: the bot offers them whatever NLU made of the word); "" otherwise.
    reason: str = ""

    @property
    def best(self) -> Hit | None:
        return self.hits[0] if self.hits else None


def load_synonyms(path: Path) -> tuple[dict[str, dict[str, list[str]]], list[str]]:
    """Per language, folded word (or phrase) -> the words it should also search for."""
    if not path.exists():
        return {}, []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        return {
            language: {fold(str(key)).strip(): [fold(str(v)) for v in values] for key, values in entries.items()}
            for language, entries in raw.items()
        }, []
    except (yaml.YAMLError, AttributeError, TypeError) as exc:
        return {}, [f"{path}: ignored, not a mapping of language -> word -> [words]: {exc}"]


def expand(query: str, synonyms: dict[str, list[str]]) -> str:
    """The query plus the words its colloquial terms stand for ("celu" also searches "celular")."""
    if not synonyms:
        return query
    padded = " " + " ".join(tokens(query)) + " "
    extra = [word for key, words in synonyms.items() if f" {key} " in padded for word in words]
    return query + (" " + " ".join(extra) if extra else "")


@dataclass(frozen=True)
class Lexicon:
    """kb_articles/lexicon.yml: product words (neutral for coverage) and the cues that need a person."""

    products: dict[str, frozenset[str]]  # language -> folded brand and product words
    handoff: dict[str, list[re.Pattern]]  # language -> patterns on the folded question
    # language -> words added to a question that names a product and nothing else ("tienen la play 5?")
    only_a_product: dict[str, str] = field(default_factory=dict)
    # language -> patterns of a question about another company's purchase or site ("un pedido de paris.cl")
    elsewhere: dict[str, list[re.Pattern]] = field(default_factory=dict)
    # language -> patterns of a service the store does not offer (trade-ins, wholesale, franchises, jobs)
    not_offered: dict[str, list[re.Pattern]] = field(default_factory=dict)
    # language -> patterns by which an article's body says the store takes what was bought elsewhere
    # ("si la traes de otra parte"): such an article claims every `elsewhere` cue
    from_elsewhere: dict[str, list[re.Pattern]] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> "Lexicon":
        return cls({}, {})


def load_lexicon(path: Path) -> tuple[Lexicon, list[str]]:
    if not path.exists():
        return Lexicon.empty(), []
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        products_raw = raw.get("products") or {}
        shared = {fold(str(w)).strip() for w in products_raw.get("any") or []}
        products = {
            language: frozenset(shared | {fold(str(w)).strip() for w in products_raw.get(language) or []})
            for language in ("es", "en")
        }
        handoff = {}
        for language, cues in (raw.get("handoff") or {}).items():
            handoff[language] = [_cue_pattern(str(cue)) for cue in cues]
        only = {language: str(words) for language, words in (raw.get("only_a_product") or {}).items()}
        elsewhere = {
            language: [_cue_pattern(str(cue)) for cue in cues]
            for language, cues in (raw.get("elsewhere") or {}).items()
        }
        not_offered = {
            language: [_cue_pattern(str(cue)) for cue in cues]
            for language, cues in (raw.get("not_offered") or {}).items()
        }
        from_elsewhere = {
            language: [_cue_pattern(str(cue)) for cue in cues]
            for language, cues in (raw.get("from_elsewhere") or {}).items()
        }
        return Lexicon(products, handoff, only, elsewhere, not_offered, from_elsewhere), []
    except (yaml.YAMLError, AttributeError, TypeError, re.error) as exc:
        return Lexicon.empty(), [f"{path}: ignored, not products/handoff lists per language: {exc}"]


def cue_text(text: str) -> str:
    """Text as the lexicon's cues read it: folded words, "ñ" as "n" (cues are written without it, and customers type
    "contraseña" or "contrasena")."""
    return " ".join(tokens(text)).replace("ñ", "n")


def _cue_pattern(cue: str) -> re.Pattern:
    """ "re:..." is a regular expression on the question's cue_text; anything else a whole word or phrase."""
    if cue.startswith("re:"):
        return re.compile(cue[3:])
    words = cue_text(cue)
    return re.compile(r"\b" + re.escape(words).replace(r"\ ", r"\s+") + r"\b")


def decline_reason(
    query: str, lexicon: Lexicon, language: str, claimed: Callable[[str, re.Pattern], bool] = lambda _r, _cue: False
) -> str:
    """Why no article may answer the question, from the lexicon's cues (its language's first, then the other's):
    "handoff" (fraud or account takeover: a person must take it), "elsewhere" (another company's purchase or site),
    "not_offered" (a service the store does not offer); "" when none applies.

    An "elsewhere" or "not_offered" cue that the best article's own text matches is `claimed`: the store has
    written about it (a trade-in article once it offers trade-ins), so it no longer declines. Fraud cues always do."""
    text = cue_text(query)
    for reason, cues_by_language in (
        ("handoff", lexicon.handoff),
        ("elsewhere", lexicon.elsewhere),
        ("not_offered", lexicon.not_offered),
    ):
        cues = cues_by_language.get(language, []) + [
            p for other, ps in cues_by_language.items() if other != language for p in ps
        ]
        if any(p.search(text) and (reason == "handoff" or not claimed(reason, p)) for p in cues):
            return reason
    return ""


def synonyms_by_first_word(synonyms: dict[str, list[str]]) -> dict[str, list[tuple[list[str], list[str]]]]:
    """The synonym keys grouped by their first word, so a query looks up only its own words."""
    index: dict[str, list[tuple[list[str], list[str]]]] = {}
    for key, values in synonyms.items():
        key_words = key.split()
        if key_words:
            index.setdefault(key_words[0], []).append((key_words, values))
    return index


def concepts(
    query: str,
    language: str,
    by_first: dict[str, list[tuple[list[str], list[str]]]],
    products: frozenset[str],
    known: set[str],
) -> tuple[list[set[str]], bool]:
    """The question's meaningful terms for coverage, each a set of alternative stems; and whether it names a product.

    A word with synonyms is covered by any of them ("celu": celular, telefono). Product words, brands, model codes
    ("s24", "m3"), variants after them ("pro max") and the unknown words right after a brand ("galaxy z flip") say which product, not what about
    it: they neither count for nor against an article.
    """
    words = tokens(query)
    extra: dict[int, list[str]] = {}  # word position -> the synonyms it also stands for (by_first: see above)
    for i, word in enumerate(words):
        for key_words, values in by_first.get(word, ()):
            if words[i : i + len(key_words)] == key_words:
                for j in range(i, i + len(key_words)):
                    extra.setdefault(j, []).extend(values)
    out: list[set[str]] = []
    named_product = False
    after_brand = 0
    for i, word in enumerate(words):
        is_code = any(c.isdigit() for c in word) and any(c.isalpha() for c in word)
        if word in products or is_code:
            named_product = True
            # A model code ends the name, as a model number does: "galaxy s24 water resistant" is about water.
            after_brand = 0 if is_code else MODEL_NAME_WORDS
            continue
        if word.isdigit():
            after_brand = 0  # a model number ends the name: "pixel 8 waterproof" is about being waterproof
            continue
        if named_product and word in MODEL_WORDS:
            continue  # "iphone 15 pro max", "s24 ultra", "ps5 slim"
        analysed = terms(word, language)
        if not analysed:
            after_brand = 0
            continue
        term = analysed[0]
        if after_brand and (term not in known or len(word) <= 2) and i not in extra:
            after_brand -= 1
            continue
        after_brand = 0
        alternatives = {term}
        for value in extra.get(i, []):
            alternatives.update(terms(value, language))
        out.append(alternatives)
    return out, named_product


def char_grams(text: str) -> list[str]:
    padded = " " + " ".join(re.findall(r"[a-z0-9ñ]+", fold(text))) + " "
    return [padded[i : i + 3] for i in range(len(padded) - 2)]


# A reload re-indexes every passage of the language that changed, though only one article did: each passage's
# terms and character 3-grams (stemming, folding: a fifth of a rebuild) are worked out once and remembered.
@lru_cache(maxsize=50_000)
def _passage_terms(text: str, language: str) -> tuple[str, ...]:
    return tuple(terms(text, language))


@lru_cache(maxsize=4096)
def _article_text(article: Article) -> str:
    """An article's title, sample questions and body as the lexicon's cues read a question: folded words."""
    return cue_text(" ".join([article.title, *article.questions, article.body]))


@lru_cache(maxsize=50_000)
def _passage_grams(text: str) -> tuple[str, ...]:
    return tuple(char_grams(text))


class _Vectoriser:
    """A TF-IDF space fitted on the passages of one language."""

    def __init__(self, docs: list[tuple[str, ...]]):
        df = Counter(t for doc in docs for t in set(doc))
        self.vocab = {t: i for i, t in enumerate(sorted(df))}
        n = len(docs)
        self.idf = np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in sorted(df)])
        self.matrix = self.transform_many(docs)
        self.by_term = sparse.csr_matrix(self.matrix.T)  # one row per term: a query reads only its own terms

    def transform_many(self, docs: list[tuple[str, ...]]) -> sparse.csr_matrix:
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
        """Cosine similarity of one document with every fitted one (a fast path: no sparse matrix for the query)."""
        cols, weights = [], []
        for term, count in Counter(doc).items():
            col = self.vocab.get(term)
            if col is not None:
                cols.append(col)
                weights.append((1 + math.log(count)) * self.idf[col])
        if not cols:
            return np.zeros(self.matrix.shape[0])
        vector = np.array(weights)
        vector /= np.linalg.norm(vector)
        return self.by_term[cols].T @ vector


# scikit-learn before 1.2 (the bot's environment, where the action server searches) minimises the summed loss of
# a logistic regression, later ones (the backend's, where make eval-kb measures) its mean; lbfgs stops on the size
# of the gradient, so the same tolerance made the bot's ranker take 43 steps instead of 13 (a reload of 7 s instead
# of 3 s on the loaded machine) and stop at another point, with other probabilities than the ones measured.
# Scaled by the number of samples there, both stop after the same steps with the same probabilities.
_SUMMED_LOSS = tuple(int(part) for part in sklearn.__version__.split(".")[:2]) < (1, 2)
RANKER_TOLERANCE = 1e-3


def body_sentences(body: str) -> list[str]:
    """The body's sentences, list items and headings of two words or more: what the article says, in its words."""
    out = []
    for line in body.splitlines():
        line = line.strip().lstrip("#-*>0123456789. ").strip()
        if line:
            out += [part for part in re.split(r"(?<=[.!?:;])\s+", line) if len(tokens(part)) >= 2]
    return out


def _train_ranker(articles: list[Article], synonyms: dict[str, list[str]] | None = None) -> Pipeline:
    """Learn which article a question belongs to from the articles' own sample questions.

    Each sample is expanded with synonyms, as questions are when searched, so both sides use the same words. An
    article with fewer than FEW_QUESTIONS samples also lends the ranker its body's sentences.
    """
    texts, labels = [], []
    for i, article in enumerate(articles):
        few = len(article.questions) < FEW_QUESTIONS
        for text in (
            article.title,
            *article.questions,
            " ".join(article.tags),
            *(body_sentences(article.body) if few else ()),
        ):
            texts.append(expand(text, synonyms or {}))
            labels.append(i)
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(preprocessor=fold, ngram_range=(1, 2), sublinear_tf=True)),
            ("chars", TfidfVectorizer(preprocessor=fold, analyzer="char_wb", ngram_range=(2, 5), sublinear_tf=True)),
        ]
    )
    tolerance = RANKER_TOLERANCE * (len(texts) if _SUMMED_LOSS else 1)
    ranker = Pipeline([("features", features), ("model", LogisticRegression(C=20, max_iter=500, tol=tolerance))])
    # One BLAS thread: on a busy two-core machine, threads fighting over the solver's small matrices made the fit
    # 4-6 times slower (3-4 s instead of 0.7 s for 31 articles), which delayed hot reload.
    with threadpool_limits(1):
        ranker.fit(texts, labels)
    return ranker


# Spanish stem-changing verbs: the stressed vowel of "devuelvo" and "quiebro" against "devolver" and "quebrar" (and
# the other way round).
_STEM_CHANGES = (("ue", "o"), ("ie", "e"), ("o", "ue"), ("e", "ie"))


class _LanguageIndex:
    def __init__(
        self,
        articles: list[Article],
        language: str,
        synonyms: dict[str, list[str]] | None = None,
        previous: "_LanguageIndex | None" = None,
    ):
        """The language's index. Given the `previous` index, its ranker is kept instead of fitted again: the articles
        it learned, unchanged, keep their column; new and changed ones rank by retrieval (as articles with few sample
        questions do) until the index is built again without it (`provisional`)."""
        self.language = language
        self.articles = articles
        self.synonyms = synonyms or {}
        self.synonyms_by_first_word = synonyms_by_first_word(self.synonyms)
        passages: list[tuple[int, str, str]] = []  # (article index, kind, text)
        for i, a in enumerate(articles):
            passages.append((i, "title", a.title))
            passages += [(i, "question", q) for q in a.questions]
            if a.tags:
                passages.append((i, "tags", " ".join(a.tags)))
            passages.append((i, "summary", a.summary))
        self.owner = np.array([p[0] for p in passages])
        # Passages of an article are contiguous: per-article maxima are one reduceat over these offsets.
        self.starts = np.searchsorted(self.owner, np.arange(len(articles)))
        self.texts = [p[2] for p in passages]
        self.weight = np.array([PASSAGE_WEIGHTS[p[1]] for p in passages])
        self.words = _Vectoriser([_passage_terms(t, language) for t in self.texts])
        self.chars = _Vectoriser([_passage_grams(t) for t in self.texts])
        # The whole article as one document: for words spread over several passages, and for coverage.
        self.article_words = _Vectoriser(
            [_passage_terms(" ".join([a.title, *a.questions, *a.tags, a.body]), language) for a in articles]
        )
        self.has_term = (self.article_words.matrix > 0).astype(np.float64).tocsc()
        self.max_idf = float(self.article_words.idf.max()) if len(self.article_words.idf) else 1.0
        self.known_terms = list(self.article_words.vocab)
        self._known = set(self.known_terms)
        self._by_initial: dict[str, list[str]] = {}
        self._corrections: dict[str, str] = {}  # unknown term -> what `correct` makes of it
        for term in self.known_terms:
            self._by_initial.setdefault(term[0], []).append(term)
        self.few_questions = np.array([len(a.questions) < FEW_QUESTIONS for a in articles])
        # What each article says it is about: its title and tags (a bare word naming several is ambiguous).
        self.headline = [frozenset(_passage_terms(" ".join([a.title, *a.tags]), language)) for a in articles]
        learned = 1 < len(articles) <= LEARNED_MAX_ARTICLES
        self.provisional = False
        if learned and previous is not None and previous.ranker is not None and previous.synonyms == self.synonyms:
            column_of = {
                a.id: (a, int(c)) for a, c in zip(previous.articles, previous.ranker_columns, strict=True) if c >= 0
            }
            self.ranker, self._rank_one = previous.ranker, previous._rank_one
            self.ranker_columns = np.array(
                [column_of[a.id][1] if a.id in column_of and column_of[a.id][0] == a else -1 for a in articles]
            )
            self.provisional = True
        else:
            self.ranker = _train_ranker(articles, self.synonyms) if learned else None
            self._rank_one = self._fast_ranker()
            self.ranker_columns = np.arange(len(articles))
        # Ranked by retrieval, not by the ranker: few sample questions (FEW_QUESTIONS), or new to a kept ranker.
        self.by_retrieval = self.few_questions | (self.ranker_columns < 0)

    def _fast_ranker(self):
        """One question's article probabilities, without scikit-learn's per-call input checks (kb/linear.py)."""
        if self.ranker is None:
            return None
        vectorisers = [v for _, v in self.ranker.named_steps["features"].transformer_list]
        try:
            fast = FastLinear(vectorisers, [self.ranker.named_steps["model"]], lambda _text: [])
        except ValueError:  # two articles: a binary model, left to scikit-learn
            return lambda query: self.ranker.predict_proba([query])[0]
        return lambda query: fast.probabilities(query)[0]

    def correct(self, query_terms: list[str]) -> list[str]:
        """Replace a term we have never seen by the known one it is a form of (see `_other_form`), or else by the
        closest known one (one edit, two for long words)."""
        return [self._corrected(term) for term in query_terms]

    def _corrected(self, term: str) -> str:
        if term in self._known or term.isdigit():
            return term
        if (fixed := self._corrections.get(term)) is not None:
            return fixed
        fixed = self._other_form(term)
        if fixed is None and len(term) >= 5:
            limit = 1 if len(term) < 8 else 2
            # Same first letter: people rarely mistype it, and it keeps "hire" from becoming "here".
            candidates = self._by_initial.get(term[0], [])
            match = process.extractOne(term, candidates, scorer=Levenshtein.distance, score_cutoff=limit)
            fixed = match[0] if match else None
        if len(self._corrections) < 100_000:
            self._corrections[term] = fixed or term
        return fixed or term

    def _other_form(self, term: str) -> str | None:
        """The known stem of another form of the same word, which the stemmer leaves apart and a typo correction
        would take for another word: a Spanish verb with its stressed vowel changed ("envuelven" and "envolvemos",
        "quiebra" and "quebrar"), an English comparative or superlative ("newer" is "new", not "never"; "bigger",
        "easiest")."""
        if self.language == "es":
            for a, b in _STEM_CHANGES:
                start = term.find(a)
                while start > 0:  # not the first letters: "ueno", "iendo" are not verb stems
                    variant = term[:start] + b + term[start + len(a) :]
                    if variant in self._known:
                        return variant
                    start = term.find(a, start + 1)
        elif self.language == "en":
            for suffix in ("er", "est"):
                if term.endswith(suffix) and len(term) - len(suffix) >= 3:
                    base = term[: -len(suffix)]
                    # "easier" -> "easi" (the stem of "easy"), "bigger" -> "bigg" -> "big"
                    for variant in (base, base[:-1] if base[-1] == base[-2] else ""):
                        if variant in self._known:
                            return variant
        return None

    def features(self, query: str, meaning: list[set[str]], named_product: bool) -> dict[str, np.ndarray]:
        """Per article: best-passage word and character similarity, whole-article similarity, coverage."""
        query_terms = self.correct(terms(query, self.language))
        word_sim = self.words.similarities(query_terms) * self.weight
        char_sim = self.chars.similarities(char_grams(query)) * self.weight
        best_word = np.maximum.reduceat(word_sim, self.starts)
        best_char = np.maximum.reduceat(char_sim, self.starts)
        return {
            "word": best_word,
            "char": best_char,
            "article": self.article_words.similarities(query_terms),
            "coverage": self.coverage(meaning, named_product),
            "passage_score": WORD_WEIGHT * word_sim + (1 - WORD_WEIGHT) * char_sim,
        }

    def coverage(self, meaning: list[set[str]], named_product: bool) -> np.ndarray:
        """Per article: the IDF-weighted share of the question's terms it knows (any alternative of each).

        A term no article knows weighs UNKNOWN_TERM_FACTOR times the rarest known one: it is probably what the
        question is about ("bitcoin", "Perú"). A question that only names a product ("tienen la play 5?") leaves
        the decision to the ranker.
        """
        n = len(self.articles)
        unique = list(dict.fromkeys(frozenset(self.correct(sorted(alternatives))) for alternatives in meaning))
        if not unique:
            return np.full(n, 1.0 if named_product else 0.0)
        total, cols, groups, known_weights = 0.0, [], [], []
        for alternatives in unique:
            known = [self.article_words.vocab[t] for t in alternatives if t in self._known]
            if known:
                weight = float(np.mean([self.article_words.idf[c] for c in known]))
                groups.append(len(cols))
                cols += known
                known_weights.append(weight)
            else:
                weight = self.max_idf * UNKNOWN_TERM_FACTOR
            total += weight
        if not cols:
            return np.zeros(n)
        present = self.has_term[:, cols].toarray()
        per_concept = np.maximum.reduceat(present, groups, axis=1)  # one column per known concept
        return per_concept @ np.array(known_weights) / total

    def bare_word_articles(self, query: str, meaning: list[set[str]]) -> list[int] | None:
        """The articles a question of one bare word is about, when several are ("cuenta": deleting it, updating its
        data; "order": tracking, cancelling): the ranker would pick one of them however unsure the customer's
        intent (it answered "account" with how to delete it, at 0.99). None for any other question."""
        if len(meaning) != 1 or len(tokens(query)) > BARE_WORD_TOKENS:
            return None
        alternatives = set(self.correct(sorted(meaning[0])))
        about = [i for i, headline in enumerate(self.headline) if alternatives & headline]
        return about if len(about) > 1 else None

    def best_passage(self, article: int, passage_score: np.ndarray) -> str:
        """The passage of the article closest to the query: what the bot "thought" was asked."""
        start = self.starts[article]
        end = self.starts[article + 1] if article + 1 < len(self.starts) else len(self.owner)
        return self.texts[start + int(np.argmax(passage_score[start:end]))]

    def score(
        self, query: str, meaning: list[set[str]], named_product: bool = False
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per article: the ranking score (in [0, 1]) and the coverage; per passage: its similarity."""
        f = self.features(query, meaning, named_product)
        retrieval = sum(RETRIEVAL_WEIGHTS[name] * f[name] for name in RETRIEVAL_WEIGHTS)
        if self.ranker is None:
            return retrieval, f["coverage"], f["passage_score"]
        probabilities = self._rank_one(query)
        ranking = np.where(self.ranker_columns >= 0, probabilities[np.maximum(self.ranker_columns, 0)], 0.0)
        if self.by_retrieval.any():
            # Articles with few sample questions, or that the ranker has not learned yet: the retrieval probability.
            exp = np.exp(RETRIEVAL_SHARPNESS * (retrieval - retrieval.max()))
            ranking = np.where(self.by_retrieval, exp / exp.sum(), ranking)
        return ranking, f["coverage"], f["passage_score"]


@dataclass(frozen=True)
class _Found:
    hits: list[Hit]
    confidence: float  # the probability of the ranker's own first choice (see COVERAGE_RERANK)
    coverage: float  # and its coverage
    bar: float  # the coverage it needs: MIN_COVERAGE, or KNOWN_WORDS_MIN_COVERAGE, lower for a long question
    bare_word: bool = False  # a bare word several articles are about: the hits are those, to choose from


class KnowledgeBase:
    """The published articles of a folder, searchable, reloaded when the folder changes."""

    def __init__(self, root: Path, categories: Collection[str] | None = None):
        """The articles under `root`; given the business's categories, an article of another one is an error."""
        self.root = Path(root)
        self.categories = tuple(categories) if categories is not None else None
        self.errors: list[str] = []
        self._lock = threading.Lock()
        self._signature: tuple = ()
        self._parsed: dict = {}  # path -> ((mtime, size), its Article or error): see load_articles
        self._refitting = False
        self._indexes: dict[str, _LanguageIndex] = {}
        self.articles: list[Article] = []
        self.reload()

    @classmethod
    def from_articles(cls, articles: list[Article]) -> "KnowledgeBase":
        kb = cls.__new__(cls)
        kb.root, kb.categories, kb.errors, kb._lock, kb._signature = Path("."), None, [], threading.Lock(), ()
        kb._parsed, kb._refitting = {}, False
        kb.synonyms, kb.lexicon = {}, Lexicon.empty()
        kb._build(articles)
        return kb

    def _folder_signature(self) -> tuple:
        out = []
        for path in [*article_files(self.root), self.root / SYNONYMS_FILE, self.root / LEXICON_FILE]:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            out.append((str(path), st.st_mtime_ns, st.st_size))
        return tuple(out)

    def reload_if_changed(self, background: bool = False) -> bool:
        signature = self._folder_signature()
        if signature == self._signature:
            return False
        self.reload(signature, background=background)
        return True

    def reload(self, signature: tuple | None = None, background: bool = False) -> None:
        """Read the folder again and answer from it at once; the ranker is fitted again before this returns, or with
        `background` in a thread of its own (a watcher then sees the next change while the fit runs)."""
        signature = signature if signature is not None else self._folder_signature()
        articles, errors = load_articles(self.root, self.categories, self._parsed)
        synonyms, synonym_errors = load_synonyms(self.root / SYNONYMS_FILE)
        lexicon, lexicon_errors = load_lexicon(self.root / LEXICON_FILE)
        self.synonyms, self.lexicon = synonyms, lexicon
        self._build(articles, quick=True)
        self.errors = errors + synonym_errors + lexicon_errors
        self._signature = signature
        if background:
            self._refit_in_background()
        else:
            self._refit()

    def _build(self, articles: list[Article], quick: bool = False) -> None:
        """Index the published articles. Only a language whose articles changed is indexed again, and `quick` keeps
        its ranker (a few hundredths of a second instead of a second or more): what changed answers at once."""
        published = [a for a in articles if a.status == "published"]
        previous = getattr(self, "_indexes", {})
        indexes = {}
        for language in sorted({a.language for a in published}):
            mine = [a for a in published if a.language == language]
            synonyms = self.synonyms.get(language, {})
            before = previous.get(language)
            if before is not None and before.articles == mine and before.synonyms == synonyms:
                indexes[language] = before
            else:
                indexes[language] = _LanguageIndex(mine, language, synonyms, previous=before if quick else None)
        with self._lock:
            self.articles = published
            self._indexes = indexes

    def _refit_in_background(self) -> None:
        """One fitting thread at a time; it goes on while a language is still provisional (a change came meanwhile)."""
        with self._lock:
            if self._refitting:
                return
            self._refitting = True

        def loop() -> None:
            while True:
                failed = False
                try:
                    self._refit()
                except Exception:  # answers go on from the provisional index; the next change tries again
                    log.exception("fitting the KB ranker failed")
                    failed = True
                with self._lock:
                    if failed or not any(index.provisional for index in self._indexes.values()):
                        self._refitting = False
                        return

        threading.Thread(target=loop, name="kb-refit", daemon=True).start()

    def _refit(self) -> None:
        """Fit the ranker again for the languages a quick build left provisional; answers keep coming meanwhile."""
        with self._lock:
            provisional = [index for index in self._indexes.values() if index.provisional]
        for index in provisional:
            fitted = _LanguageIndex(index.articles, index.language, index.synonyms)
            with self._lock:
                if self._indexes.get(index.language) is index:  # not replaced by a newer change meanwhile
                    self._indexes = {**self._indexes, index.language: fitted}

    def watch(self, interval: float = 0.25) -> threading.Thread:
        """Poll the folder in a daemon thread and reload on any change."""

        def loop() -> None:
            while True:
                time.sleep(interval)
                try:
                    self.reload_if_changed(background=True)
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
        """The best articles for the query, best first, each with its confidence and coverage."""
        return self._search(query, language, limit).hits

    def _search(self, query: str, language: str, limit: int) -> "_Found":
        with self._lock:
            index = self._indexes.get(language) or next(iter(self._indexes.values()), None)
        if index is None or not query.strip():
            return _Found([], 0.0, 0.0, MIN_COVERAGE)
        query = query[:1000]
        synonyms = self.synonyms.get(index.language, {})
        products = self.lexicon.products.get(index.language, frozenset())
        meaning, named_product = concepts(query, index.language, index.synonyms_by_first_word, products, index._known)
        if named_product and not meaning:
            query += " " + self.lexicon.only_a_product.get(index.language, "")
        ranking, coverage, passage_score = index.score(expand(query, synonyms), meaning, named_product)
        order = ranking * coverage**COVERAGE_RERANK if index.ranker is not None else ranking
        top = np.argpartition(-order, min(limit, len(order) - 1))[:limit]
        top = top[np.argsort(-order[top])]
        first = int(np.argmax(ranking))
        if (headlined := index.bare_word_articles(query, meaning)) is not None:
            # A bare word that several articles are about ("cuenta", "order"): those articles, to choose from.
            top = np.array(sorted(headlined, key=lambda i: -order[i])[:limit])
        hits = [
            Hit(
                index.articles[i],
                round(float(ranking[i]), 4),
                index.best_passage(i, passage_score),
                round(float(coverage[i]), 4),
            )
            for i in top
            if ranking[i] > 0
        ]
        bar = MIN_COVERAGE
        if index.by_retrieval[first] and all(set(index.correct(sorted(a))) & index._known for a in meaning):
            bar = KNOWN_WORDS_MIN_COVERAGE
        if index.by_retrieval[first] and len(meaning) > LONG_QUESTION:
            bar *= LONG_QUESTION / len(meaning)
        return _Found(hits, float(ranking[first]), float(coverage[first]), bar, headlined is not None)

    def decide(self, query: str, language: str) -> Decision:
        """Answer with the top article, suggest the closest few, or decline: the calibrated thresholds decide."""
        found = self._search(query, language, limit=3)
        hits, confidence, coverage, bar = found.hits, found.confidence, found.coverage, found.bar
        # A cue the best article's own text matches is claimed by it (decline_reason), and so are the `elsewhere`
        # cues when its body says the store takes what was bought elsewhere.
        best = hits[0].article if hits else None

        def claimed(reason: str, cue: re.Pattern) -> bool:  # asked only when a cue matches the question
            if best is None:
                return False
            if reason == "elsewhere":
                body = cue_text(best.body)
                if any(p.search(body) for p in self.lexicon.from_elsewhere.get(language, [])):
                    return True
            return bool(cue.search(_article_text(best)))

        if reason := decline_reason(query, self.lexicon, language, claimed):
            return Decision("decline", [], language, reason=reason)
        if not hits or coverage < bar:
            return Decision("decline", hits, language)
        if found.bare_word:
            return Decision("suggest", hits, language, reason="bare_word")
        with self._lock:
            index = self._indexes.get(language) or next(iter(self._indexes.values()))
        threshold = ANSWER_CONFIDENCE if index.ranker is not None else RETRIEVAL_ANSWER_SCORE
        if confidence >= threshold:
            return Decision("answer", hits[:1], language)
        # Only articles that cover the question as well as an answer must: when none does, there is nothing to offer.
        if suggestions := [h for h in hits if h.coverage >= bar]:
            return Decision("suggest", suggestions, language)
        return Decision("decline", hits, language)
