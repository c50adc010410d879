"""`make eval-tickets`: the ticket classifier on its held-out split, and the priority rules on every ticket.

Category and subcategory accuracy are measured on the 20% held-out split (the classifier is trained on the
other 80% here, exactly as in production but without the held-out rows). Priority is checked against the
labels a person gave each ticket (urgent wording, negative tone, fraud) with the true category.
"""

import json
import sys
from collections import Counter
from functools import partial
from pathlib import Path

from kb.articles import load_articles
from ticketing.business.config import load_business
from ticketing.business.runtime import KB_DIR, LABELLED_TICKETS
from ticketing.classification.classifier import TicketClassifier
from ticketing.classification.priority import LEVELS, TicketFacts, decide_priority, signals
from ticketing.settings import REPO_ROOT


def expected_priority(row: dict, base: str) -> str:
    if row["fraud"]:
        return "urgent"
    raises = int(row["urgent_wording"] or row["subcategory"] == "duplicate_charge") + int(row["negative_tone"])
    return LEVELS[min(LEVELS.index(base) + raises, len(LEVELS) - 1)]


def main() -> int:
    config = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml")
    rows = [
        json.loads(line) for line in Path(LABELLED_TICKETS).read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    to_category = {sub: key for key, cat in config.categories.items() for sub in cat.subcategories}
    from ticketing.classification.classifier import LabelledTicket

    tickets = [LabelledTicket(r["text"], r["language"], r["category"], r["subcategory"]) for r in rows]
    train = [t for t in tickets if t.split == "train"]
    heldout = [t for t in tickets if t.split == "heldout"]
    articles, _ = load_articles(KB_DIR)
    kb_examples = [(text, a.category) for a in articles for text in (a.title, *a.questions)]
    classifier = TicketClassifier(train, to_category, kb_examples, partial(signals, config.priority_rules))
    per_language: dict[str, Counter] = {}
    confusions = Counter()
    for t in heldout:
        verdict = classifier.classify(t.text)
        c = per_language.setdefault(t.language, Counter())
        c["n"] += 1
        c["category"] += verdict.category == t.category
        c["subcategory"] += verdict.subcategory == t.subcategory
        if verdict.category != t.category:
            confusions[(t.category, verdict.category)] += 1
    print(f"classifier: trained on {len(train)} tickets, held out {len(heldout)}")
    for language, c in sorted(per_language.items()):
        print(
            f"  {language}: category {c['category'] / c['n']:.1%}, subcategory {c['subcategory'] / c['n']:.1%} (n={c['n']})"
        )
    total = sum((c for c in per_language.values()), Counter())
    print(f"  all: category {total['category'] / total['n']:.1%}, subcategory {total['subcategory'] / total['n']:.1%}")
    for (truth, got), count in confusions.most_common(5):
        print(f"    {count}× {truth} taken for {got}")

    rules = config.priority_rules
    right, misses = 0, []
    for r in rows:
        base = config.categories[r["category"]].base_priority
        got, reasons = decide_priority(TicketFacts(r["text"], r["category"], r["subcategory"], "web", False, 0), rules)
        want = expected_priority(r, base)
        right += got == want
        if got != want:
            misses.append((want, got, r["text"][:90], reasons[1:]))
    print(f"priority rules: {right / len(rows):.1%} exactly right on {len(rows)} labelled tickets")
    for want, got, text, reasons in misses[: int(sys.argv[1]) if len(sys.argv) > 1 else 0]:
        print(f"    want {want}, got {got}: {text!r} {reasons}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
