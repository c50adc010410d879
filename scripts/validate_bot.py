"""`rasa data validate`, with the warnings Rasa 3.6 gives for things it cannot see checked here instead.

Rasa warns about every response not used in a story or rule and every intent with no NLU examples. Three kinds
are correct by design, and each is verified here rather than ignored:
- `utter_ask_<slot>`: the form asks with it; the slot must be one the form requires.
- responses a custom action sends (`response="utter_…"` in bot/actions) and `utter_default`, which Rasa's own
  fallback action sends;
- intents pushed with trigger_intent (agent replies, ticket created, ticket resolved) and the one a customer who
  types them gets instead: they must never be learned from customer text. Each must be listed in
  mostrador/pushed_intents.py (so the check that customers cannot type them knows it) and appear in a rule.
Any other warning, or any error, fails.

Run with the bot environment, from the repository root: .venv/bot/bin/python scripts/validate_bot.py
"""

import re
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from mostrador.pushed_intents import PUSHED_INTENTS, TYPED_INTERNAL_INTENT  # noqa: E402

BOT = ROOT / "bot"
RASA = Path(sys.executable).parent / "rasa"
WARNING = re.compile(r"UserWarning: (.*)")


def accepted(message: str, domain: dict, actions_source: str, rules_source: str) -> bool:
    if m := re.match(r"The utterance '(utter_\w+)' is not used in any story or rule\.", message):
        name = m.group(1)
        required = {slot for form in (domain.get("forms") or {}).values() for slot in form["required_slots"]}
        return name == "utter_default" or name.removeprefix("utter_ask_") in required or f'"{name}"' in actions_source
    if m := re.match(r"The intent '(\w+)' is listed in the domain file, but is not found in the NLU", message):
        name = m.group(1)
        return name in PUSHED_INTENTS | {TYPED_INTERNAL_INTENT} and f"intent: {name}" in rules_source
    return False


def main() -> int:
    run = subprocess.run([str(RASA), "data", "validate"], cwd=BOT, capture_output=True, text=True)
    output = run.stdout + run.stderr
    domain = yaml.safe_load((BOT / "domain.yml").read_text())
    actions_source = "\n".join(p.read_text() for p in (BOT / "actions").glob("*.py"))
    rules_source = "\n".join(p.read_text() for p in (BOT / "data" / "rules").glob("*.yml"))
    problems = [m for m in WARNING.findall(output) if not accepted(m, domain, actions_source, rules_source)]
    for problem in problems:
        print(f"bot data: {problem}")
    if run.returncode != 0:
        print(output[-3000:])
        print("bot data: rasa data validate failed")
        return 1
    if problems:
        return 1
    print("bot data: valid (rasa data validate, with form prompts, action responses and pushed intents checked)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
