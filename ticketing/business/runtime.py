"""The loaded business: its configuration, calendars and trained ticket classifier, built once per process."""

import hashlib
import os
import pickle
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path

import sklearn

from kb.articles import load_articles
from ticketing.business.config import BusinessConfig, ConfigError, load_business
from ticketing.classification.classifier import TicketClassifier, load_labelled
from ticketing.classification.priority import signals
from ticketing.sla import policy as sla_policy
from ticketing.sla.policy import SlaPromise, SlaRules

LABELLED_TICKETS = Path(__file__).resolve().parent.parent / "data" / "labelled_tickets.jsonl"
KB_DIR = Path(__file__).resolve().parent.parent.parent / "kb_articles"
CLASSIFICATION_CODE = Path(__file__).resolve().parent.parent / "classification"


def classifier_inputs(config: BusinessConfig, kb_dir: Path = KB_DIR) -> tuple[dict[str, str], list, Callable]:
    """What the ticket classifier learns from besides the labelled tickets, as production trains it: each
    subcategory's category, the KB's titles and sample questions labelled with their article's category (they teach
    each category's vocabulary: +16 points held out), and the priority rules' signals as features."""
    to_category = {sub: key for key, cat in config.categories.items() for sub in cat.subcategories}
    articles, _ = load_articles(kb_dir)
    kb_examples = [
        (text, a.category) for a in articles if a.category in config.categories for text in (a.title, *a.questions)
    ]
    return to_category, kb_examples, partial(signals, config.priority_rules)


def classifier_cache_file(cache_dir: Path, learned_from: tuple, code_dir: Path = CLASSIFICATION_CODE) -> Path:
    """Where the classifier trained on `learned_from` by the code in `code_dir` is kept.

    A change to the data, to scikit-learn or to the classifier's code is a new file: a model pickled by other code
    may lack, or mean something else by, what this code reads.
    """
    code = [f.read_bytes() for f in sorted(Path(code_dir).glob("*.py"))]
    key = repr((learned_from, sklearn.__version__, code))
    return Path(cache_dir) / f"classifier-{hashlib.sha256(key.encode()).hexdigest()[:16]}.pickle"


class Business:
    def __init__(self, config: BusinessConfig, classifier: TicketClassifier):
        self.config = config
        self.classifier = classifier
        self.calendars = config.calendar_objects
        self.sla = SlaRules(
            policies=tuple(config.sla.policies),
            calendars=self.calendars,
            vip_first_response_factor=config.sla.vip_first_response_factor,
            at_risk_fraction=config.sla.at_risk_fraction,
        )

    @classmethod
    def load(
        cls,
        config_path: Path,
        labelled_path: Path | None = None,
        kb_dir: Path = KB_DIR,
        cache_dir: Path | None = None,
    ) -> "Business":
        config = load_business(config_path)
        labelled_path = labelled_path or Path(config_path).parent / config.labelled_tickets
        try:
            examples = load_labelled(labelled_path)
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{labelled_path}: {exc}") from None
        to_category, kb_examples, rule_signals = classifier_inputs(config, kb_dir)
        unknown = sorted({e.subcategory for e in examples} - to_category.keys())
        if unknown:
            raise ConfigError(f"{labelled_path}: subcategories not in {config_path}: {', '.join(unknown)}")

        def train() -> TicketClassifier:
            return TicketClassifier(examples, to_category, kb_examples, rule_signals)

        if cache_dir is None:
            return cls(config, train())
        # Training takes seconds; every process (and every uvicorn worker) reuses the same trained model.
        learned_from = (examples, sorted(kb_examples), sorted(to_category.items()), config.priority_rules)
        path = classifier_cache_file(cache_dir, learned_from)
        try:
            classifier = pickle.loads(path.read_bytes())
        except (OSError, pickle.UnpicklingError, EOFError, AttributeError):
            classifier = train()
            path.parent.mkdir(parents=True, exist_ok=True)
            partial_path = path.with_suffix(f".{os.getpid()}.tmp")
            partial_path.write_bytes(pickle.dumps(classifier))
            partial_path.replace(path)
        return cls(config, classifier)

    def team_of(self, category: str) -> str:
        return self.config.categories[category].team

    def sla_promise(self, priority: str, vip: bool, received_at: datetime) -> SlaPromise:
        """Due dates for a ticket of this priority and plan received at `received_at` (rules: `sla/policy.py`)."""
        return sla_policy.promise(self.sla, priority, vip, received_at)

    def repeat_window(self) -> timedelta:
        return timedelta(days=self.config.priority.repeat_contact_days)
