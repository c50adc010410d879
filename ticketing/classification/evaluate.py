"""`make eval-tickets`: the ticket classifier and the priority rules, on the labelled tickets and on a fresh set.

- held out: the classifier trained on the 80% hash split of ticketing/data/labelled_tickets.jsonl (plus the KB's
  sample questions, as in production) and tested on the other 20%;
- 5-fold (with --cv): the same, five times, each fifth of the labelled tickets held out once (the first fold is
  the held-out split), summed over all of them;
- fresh: trained on all the labelled tickets and the KB's questions, exactly as production trains it, and tested
  on tickets written apart from the training rows and never trained on: ticketing/data/fresh_tickets.jsonl and
  ticketing/data/fresh_tickets_b.jsonl (by another author, who never saw the first fresh set);
- priority: the rules against the labels a person gave each ticket (urgent wording, negative tone, fraud), with
  the true category, on every labelled ticket and every fresh one.

    python -m ticketing.classification.evaluate [N] [--cv]   (N: print that many priority and category misses)
"""

import hashlib
import json
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from ticketing.business.config import BusinessConfig, load_business
from ticketing.business.runtime import LABELLED_TICKETS, classifier_inputs
from ticketing.classification.classifier import LabelledTicket, TicketClassifier
from ticketing.classification.priority import LEVELS, TicketFacts, decide_priority
from ticketing.settings import REPO_ROOT

FRESH_SETS = [LABELLED_TICKETS.parent / "fresh_tickets.jsonl", LABELLED_TICKETS.parent / "fresh_tickets_b.jsonl"]
FOLDS = 5


def expected_priority(row: dict, base: str) -> str:
    if row["fraud"]:
        return "urgent"
    raises = int(row["urgent_wording"] or row["subcategory"] == "duplicate_charge") + int(row["negative_tone"])
    return LEVELS[min(LEVELS.index(base) + raises, len(LEVELS) - 1)]


def read_rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def as_tickets(rows: Iterable[dict]) -> list[LabelledTicket]:
    return [LabelledTicket(r["text"], r["language"], r["category"], r["subcategory"]) for r in rows]


def fold_of(ticket: LabelledTicket) -> int:
    """A stable fold by a hash of the text; fold 0 is exactly the held-out split of LabelledTicket.split."""
    return hashlib.sha1(ticket.text.encode("utf-8")).digest()[0] % FOLDS


class Trainer:
    """Trains the classifier the way production does (ticketing/business/runtime.py) on any set of tickets."""

    def __init__(self, config: BusinessConfig):
        self.to_category, self.kb_examples, self.signals = classifier_inputs(config)
        self.seconds: list[float] = []

    def __call__(self, tickets: list[LabelledTicket]) -> TicketClassifier:
        start = time.perf_counter()
        classifier = TicketClassifier(tickets, self.to_category, self.kb_examples, self.signals)
        self.seconds.append(time.perf_counter() - start)
        return classifier


class Score:
    """Category and subcategory accuracy per language, the commonest confusions, and the misses."""

    def __init__(self) -> None:
        self.counts: dict[str, Counter] = {}
        self.confusions: Counter = Counter()
        self.misses: list[tuple[LabelledTicket, str, str | None]] = []

    def add(self, classifier: TicketClassifier, tickets: list[LabelledTicket]) -> None:
        for t in tickets:
            verdict = classifier.classify(t.text)
            for key in (t.language, "all"):
                c = self.counts.setdefault(key, Counter())
                c["n"] += 1
                c["category"] += verdict.category == t.category
                c["subcategory"] += verdict.subcategory == t.subcategory
            if verdict.category != t.category:
                self.confusions[(t.category, verdict.category)] += 1
                self.misses.append((t, verdict.category, verdict.subcategory))

    def report(self, title: str, shown: int) -> None:
        print(title)
        for key in sorted(self.counts, key=lambda k: (k == "all", k)):
            c = self.counts[key]
            print(
                f"  {key}: category {c['category'] / c['n']:.1%}, subcategory {c['subcategory'] / c['n']:.1%}"
                f" (n={c['n']})"
            )
        for (truth, got), count in self.confusions.most_common(5):
            print(f"    {count}× {truth} taken for {got}")
        for t, category, subcategory in self.misses[:shown]:
            print(f"    want {t.category}/{t.subcategory}, got {category}/{subcategory}: {t.text[:90]!r}")


def priority_report(config: BusinessConfig, rows: list[dict], name: str, shown: int) -> None:
    rules = config.priority_rules
    right: Counter = Counter()
    total: Counter = Counter()
    misses = []
    for r in rows:
        base = config.categories[r["category"]].base_priority
        got, reasons = decide_priority(TicketFacts(r["text"], r["category"], r["subcategory"], "web", False, 0), rules)
        want = expected_priority(r, base)
        for key in (r["language"], "all"):
            total[key] += 1
            right[key] += got == want
        if got != want:
            misses.append((want, got, r["text"][:90], reasons[1:]))
    per_language = ", ".join(f"{k} {right[k] / total[k]:.1%}" for k in sorted(total) if k != "all")
    print(f"priority rules: {right['all'] / total['all']:.1%} exactly right on {total['all']} {name} ({per_language})")
    for want, got, text, reasons in misses[:shown]:
        print(f"    want {want}, got {got}: {text!r} {reasons}")


def main(argv: list[str]) -> int:
    shown = next((int(a) for a in argv if a.isdigit()), 0)
    config = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml")
    train = Trainer(config)
    rows = read_rows(LABELLED_TICKETS)
    tickets = as_tickets(rows)
    fresh_sets = {path.name: read_rows(path) for path in FRESH_SETS}

    heldout = Score()
    folds = range(FOLDS) if "--cv" in argv else range(1)
    cross = Score()
    for k in folds:
        classifier = train([t for t in tickets if fold_of(t) != k])
        test = [t for t in tickets if fold_of(t) == k]
        if k == 0:
            heldout.add(classifier, test)
        cross.add(classifier, test)
    n_heldout = heldout.counts["all"]["n"]
    heldout.report(
        f"classifier, held out: trained on {len(tickets) - n_heldout} tickets, tested on {n_heldout}",
        0 if len(folds) > 1 else shown,
    )
    if len(folds) > 1:
        cross.report(f"classifier, {FOLDS}-fold cross-validation over {len(tickets)} labelled tickets", shown)

    production = train(tickets)
    for name, fresh_rows in fresh_sets.items():
        fresh = as_tickets(fresh_rows)
        fresh_score = Score()
        fresh_score.add(production, fresh)
        fresh_score.report(
            f"classifier, fresh set {name}: trained on all {len(tickets)} labelled tickets, tested on {len(fresh)}",
            shown,
        )
    start = time.perf_counter()
    for t in fresh:
        production.classify(t.text)
    per_ticket_ms = (time.perf_counter() - start) / len(fresh) * 1000
    print(f"  training {train.seconds[-1]:.1f} s; classifying {per_ticket_ms:.2f} ms a ticket")

    priority_report(config, rows, "labelled tickets", shown)
    for name, fresh_rows in fresh_sets.items():
        priority_report(config, fresh_rows, name, shown)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
