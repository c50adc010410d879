"""The editors' command.

kb lint                       check every article (schema, ids, translations, related, questions, drafts)
kb search "question" [--lang es] [--json]   what the bot would answer, and why
kb gaps [--lang es] [--json]  questions the bot could not answer, grouped and counted, newest first
"""

import argparse
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path

from kb.articles import LANGUAGES, load_articles
from kb.search import FEW_QUESTIONS, KnowledgeBase, load_lexicon, load_synonyms
from kb.text import detect_language
from mostrador.business import DEMO_BUSINESS, BusinessFacts

ROOT = Path(__file__).resolve().parent.parent
MIN_QUESTIONS = 6


def lint(root: Path, business: Path = DEMO_BUSINESS) -> tuple[list[str], list[str]]:
    """(errors, notes) for the articles under root, whose categories are the business file's. Errors fail it."""
    articles, errors = load_articles(root, BusinessFacts.from_file(business).categories)
    notes: list[str] = []
    seen = Counter((a.id, a.language) for a in articles)
    for (article_id, language), count in seen.items():
        if count > 1:
            paths = ", ".join(str(a.path) for a in articles if (a.id, a.language) == (article_id, language))
            errors.append(f"duplicate id {article_id!r} in {language}: {paths}")
    languages_of: dict[str, set[str]] = defaultdict(set)
    for a in articles:
        languages_of[a.id].add(a.language)
    ids = set(languages_of)
    for a in articles:
        for missing in sorted(set(LANGUAGES) - languages_of[a.id]):
            if a.language == LANGUAGES[0] or missing == LANGUAGES[0]:
                errors.append(f"{a.path}: no {missing} translation of {a.id!r}")
        for related in a.related:
            if related not in ids:
                errors.append(f"{a.path}: related {related!r} is not an article id")
        if len(a.questions) < FEW_QUESTIONS:
            # Not an error: such an article is found by its title and body (kb/search.py FEW_QUESTIONS), but the
            # customers' own words as sample questions are what lets the ranker learn it.
            notes.append(
                f"{a.path}: {len(a.questions)} sample question(s): found by its title and body words until it has "
                f"{FEW_QUESTIONS}; {MIN_QUESTIONS} or more in customers' words make it answer more of their questions"
            )
        if a.status == "draft":
            notes.append(f"{a.path}: draft (not shown to customers)")
        wrong = [q for q in a.questions if detect_language(q) not in (None, a.language)]
        if wrong:
            notes.append(f"{a.path}: questions that look like another language: {wrong[:3]}")
    errors += load_synonyms(root / "synonyms.yml")[1]
    errors += load_lexicon(root / "lexicon.yml")[1]
    return sorted(set(errors)), notes


def cmd_lint(args: argparse.Namespace) -> int:
    errors, notes = lint(args.dir, args.business)
    for line in notes:
        print(f"note: {line}")
    for line in errors:
        print(f"error: {line}")
    count = len(load_articles(args.dir)[0])
    print(f"{count} articles, {len(errors)} errors, {len(notes)} notes")
    return 1 if errors else 0


def cmd_search(args: argparse.Namespace) -> int:
    kb = KnowledgeBase(args.dir)
    language = args.lang or detect_language(args.question) or "es"
    decision = kb.decide(args.question, language)
    result = {
        "question": args.question,
        "language": language,
        "decision": decision.action,
        "hits": [
            {
                "id": h.article.id,
                "title": h.article.title,
                "confidence": h.score,
                "coverage": h.coverage,
                "closest_passage": h.passage,
            }
            for h in kb.search(args.question, language, limit=5)
        ],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
        return 0
    verdict = {
        "answer": f"answers with {decision.best.article.id!r}" if decision.best else "",
        "suggest": "is unsure and suggests: " + ", ".join(h.article.id for h in decision.hits),
        "decline": "declines (no article is good enough) and offers a ticket"
        if decision.reason != "handoff"
        else "hands over to a person (fraud or account takeover: never an FAQ answer)",
    }[decision.action]
    print(f"[{language}] the bot {verdict}")
    print(f"{'article':28} {'confidence':>10} {'coverage':>9}  closest passage")
    for h in result["hits"]:
        print(f"{h['id']:28} {h['confidence']:10.3f} {h['coverage']:9.2f}  {h['closest_passage'][:60]}")
    print(
        "confidence: the ranker's probability (an article with fewer than 5 sample questions: its retrieval "
        "probability); coverage: share of the question's words the article knows."
    )
    return 0


def cmd_gaps(args: argparse.Namespace) -> int:
    import httpx

    from_file = {}
    env_path = ROOT / ".env"
    if env_path.exists():
        for line in env_path.read_text().splitlines():
            if "=" in line and not line.startswith("#"):
                key, value = line.split("=", 1)
                from_file[key.strip()] = value.strip()
    token = os.environ.get("TICKETING_API_TOKEN") or from_file.get("TICKETING_API_TOKEN")
    url = (
        args.url
        or os.environ.get("TICKETING_PUBLIC_URL")
        or from_file.get("TICKETING_PUBLIC_URL")
        or "http://localhost:8000"
    )
    if not token:
        print("error: TICKETING_API_TOKEN is not set (make run creates .env with it)", file=sys.stderr)
        return 2
    try:
        response = httpx.get(
            f"{url.rstrip('/')}/api/v1/kb/gaps",
            params={"language": args.lang} if args.lang else None,
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )
        response.raise_for_status()
    except httpx.HTTPError as exc:
        print(f"error: cannot read gaps from {url}: {exc} (is `make run` running?)", file=sys.stderr)
        return 2
    items = response.json()["items"]
    if args.json:
        print(json.dumps(items, ensure_ascii=False, indent=2))
        return 0
    if not items:
        print("no unanswered questions yet")
    for item in items:
        closest = f" (closest: {item['closest_article']})" if item["closest_article"] else ""
        print(
            f"{item['count']:4}× [{item['language']}] {item['question']}{closest}   last {item['last_asked_at'][:16]}"
        )
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kb", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--dir", type=Path, default=Path(os.environ.get("ACTIONS_KB_DIR", ROOT / "kb_articles")))
    parser.add_argument(
        "--business",
        type=Path,
        default=Path(os.environ.get("ACTIONS_BUSINESS_CONFIG", DEMO_BUSINESS)),
        help="the business file (its categories are the articles')",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("lint", help="check every article").set_defaults(run=cmd_lint)
    search = sub.add_parser("search", help="what the bot would answer, and why")
    search.add_argument("question")
    search.add_argument("--lang", choices=LANGUAGES)
    search.add_argument("--json", action="store_true")
    search.set_defaults(run=cmd_search)
    gaps = sub.add_parser("gaps", help="questions the bot could not answer")
    gaps.add_argument("--lang", choices=LANGUAGES)
    gaps.add_argument("--url", help="ticketing backend (default TICKETING_PUBLIC_URL or http://localhost:8000)")
    gaps.add_argument("--json", action="store_true")
    gaps.set_defaults(run=cmd_gaps)
    args = parser.parse_args(argv)
    return args.run(args)
