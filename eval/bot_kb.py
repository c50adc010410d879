"""How the whole bot (NLU intent first, then the KB) treats the KB check sets.

Every set of make eval-kb: dev and fresh (with --verbose, the questions NLU routes away from the KB), the two
blind sets (totals only), and the new-article checks with their articles added (eval/kb_new_blind: totals only).

A question reaches the KB when NLU gives one of the intents the bot tries against the KB first (TO_KB: the rules send
them to action_answer_from_kb when nothing is pending); any other intent gets that
intent's answer and no article. Run with the bot environment: .venv/bot/bin/python eval/bot_kb.py
"""

import asyncio
import logging
import sys
import tempfile
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bot")]

from rasa.core.agent import Agent  # noqa: E402
from rasa.utils.log_utils import configure_structlog  # noqa: E402

from actions.kb_actions import UNSURE_REQUEST, asks_about_hours  # noqa: E402
from kb.evaluate import NEW, NEW_BLIND, NEW_C, load_cases, with_new_articles  # noqa: E402
from kb.search import KnowledgeBase  # noqa: E402

TO_KB = (
    set(sys.argv[1].split(","))
    if len(sys.argv) > 1 and not sys.argv[1].startswith("--")
    else {"faq", "nlu_fallback", "inform", "complain", "out_of_scope", "chitchat", "greet", "affirm", "deny", "cancel"}
)


UNSURE_TO_KB = {"request_human", "open_ticket", "ticket_status"}


async def main() -> int:
    # Rasa logs every parsed message at debug level unless told otherwise: that would print the blind sets' questions.
    configure_structlog(logging.WARNING)
    agent = Agent.load(str(ROOT / "bot" / "models" / "mostrador.tar.gz"))
    kb = KnowledgeBase(ROOT / "kb_articles")
    for name in ("kb_dev.yml", "kb_fresh.yml", "kb_probe.yml", "kb_holdout.yml", "kb_blind_b.yml"):
        blind = name in ("kb_holdout.yml", "kb_blind_b.yml")
        print(f"{name}:")
        await evaluate(agent, kb, load_cases(ROOT / "eval" / name), verbose="--verbose" in sys.argv and not blind)
    # The new-article checks, each with its articles added to a copy of the KB (kb_new_blind: totals only).
    for check, blind in ((NEW, False), (NEW_C, False), (NEW_BLIND, True)):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"{check.name}/questions.yml (its articles added):")
            kb = KnowledgeBase(with_new_articles(ROOT / "kb_articles", Path(tmp), check))
            cases = load_cases(check / "questions.yml")
            await evaluate(agent, kb, cases, verbose="--verbose" in sys.argv and not blind)
    return 0


async def evaluate(agent, kb: KnowledgeBase, cases, verbose: bool) -> None:
    stats: dict[str, Counter] = {}
    for case in cases:
        parsed = await agent.parse_message(case.text)
        intent = parsed["intent"]["name"]
        answer = None
        # As the actions do: a request to act that NLU is unsure of is tried against the KB first.
        unsure = intent in UNSURE_TO_KB and (
            parsed["intent"]["confidence"] < UNSURE_REQUEST or asks_about_hours(case.text)
        )
        if intent in TO_KB or unsure:
            decision = kb.decide(case.text, case.language)
            answer = decision.best.article.id if decision.action == "answer" else None
        c = stats.setdefault(case.language, Counter())
        if case.expected and intent not in TO_KB and not unsure:
            c[f"routed:{intent}"] += 1
            if verbose:
                print(f"  routed to {intent}: {case.text}")
        if case.expected:
            c["answerable"] += 1
            c["right"] += answer == case.expected
        else:
            c["unanswerable"] += 1
            c["declined"] += answer is None
    total = sum(stats.values(), Counter())
    print(" ", {k: v for k, v in total.items() if k.startswith("routed:")})
    for language, c in [*sorted(stats.items()), ("all", total)]:
        parts = []
        if c["answerable"]:
            parts.append(f"answered right {c['right'] / c['answerable']:.1%} of {c['answerable']} answerable")
        if c["unanswerable"]:
            parts.append(
                f"declined {c['declined'] / c['unanswerable']:.1%} of {c['unanswerable']} the KB does not cover"
            )
        print(f"  {language}: " + "; ".join(parts))


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
