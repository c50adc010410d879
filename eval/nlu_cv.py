"""`make eval-nlu`: 5-fold cross-validation of the bot's NLU, per language, for one bilingual model and for one
model per language, with Rasa's own `rasa test nlu --cross-validation`. Writes docs/nlu.md.

Run with the bot environment (Python 3.10, rasa): .venv/bot/bin/python eval/nlu_cv.py
"""

import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
RASA = Path(sys.executable).parent / "rasa"


NOTES = """
## How to read it

- One bilingual model against one model per language, on the same data: the bilingual model is at least as good
  in both languages (it sees twice the examples of every shared intent, and the entity patterns are
  language-neutral), and Rasa serves one model per server, so the bot keeps one model (docs/conversation.md).
- The closest intents are `faq`, `out_of_scope`, `inform` and `complain`: a question about another company, a
  problem told as a statement, an angry question. The bot tries all four against the knowledge base first, so a
  confusion between them still reaches the right article (eval/bot_kb.py, docs/kb.md).
- Logistic regression on word and character n-grams trains in about a minute on two cores; DIET (40 epochs) gave no
  gain through the bot for four times the training time.
"""


def examples(language: str) -> dict[str, str]:
    """text -> intent of the NLU examples of one language."""
    out = {}
    for path in (BOT / "data" / "nlu" / language).glob("*.yml"):
        for block in yaml.safe_load(path.read_text()).get("nlu", []):
            for line in (block.get("examples") or "").splitlines():
                text = line.strip().removeprefix("- ").strip()
                if text:
                    # Entity annotations: [value](entity) -> value, as Rasa reports the text.
                    import re

                    out[re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", text)] = block["intent"]
    return out


def cross_validate(data_dirs: list[Path], out: Path, folds: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "nlu"
        data.mkdir()
        for i, directory in enumerate(data_dirs):
            for path in directory.glob("*.yml"):
                shutil.copy(path, data / f"{i}-{path.name}")
        shutil.copy(BOT / "data" / "nlu" / "regex.yml", data / "regex.yml")
        subprocess.run(
            [
                str(RASA),
                "test",
                "nlu",
                "--nlu",
                str(data),
                "--config",
                "config.yml",
                "--cross-validation",
                "--folds",
                str(folds),
                "--out",
                str(out),
                "--successes",
                "--quiet",
            ],
            cwd=BOT,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )


def per_intent_f1(out: Path, texts: dict[str, str]) -> tuple[float, dict[str, float], int]:
    """Macro F1 over intents, from the per-example predictions, restricted to `texts`."""
    pairs = []
    for name in ("intent_successes.json", "intent_errors.json"):
        path = out / name
        if path.exists():
            for item in json.loads(path.read_text()):
                if item["text"] in texts:
                    predicted = (item.get("intent_prediction") or {}).get("name")
                    pairs.append((item["intent"], predicted))
    counts = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for truth, predicted in pairs:
        if truth == predicted:
            counts[truth][0] += 1
        else:
            counts[truth][2] += 1
            counts[predicted][1] += 1
    f1 = {}
    for intent in {t for t, _ in pairs}:
        tp, fp, fn = counts[intent]
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1[intent] = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return sum(f1.values()) / len(f1), f1, len(pairs)


def main() -> int:
    folds = int(sys.argv[1]) if len(sys.argv) > 1 else 5
    results = ROOT / "var" / "nlu-cv"
    shutil.rmtree(results, ignore_errors=True)
    texts = {lang: examples(lang) for lang in ("es", "en")}
    runs = {}
    print("bilingual model…", flush=True)
    cross_validate([BOT / "data" / "nlu" / "es", BOT / "data" / "nlu" / "en"], results / "bilingual", folds)
    for lang in ("es", "en"):
        runs[("bilingual", lang)] = per_intent_f1(results / "bilingual", texts[lang])
        print(f"{lang} only…", flush=True)
        cross_validate([BOT / "data" / "nlu" / lang], results / lang, folds)
        runs[("per-language", lang)] = per_intent_f1(results / lang, texts[lang])
    lines = [
        "# Bot NLU: cross-validation",
        "",
        f"`make eval-nlu` ({folds}-fold `rasa test nlu --cross-validation` with bot/config.yml; "
        "F1 is the macro average over intents, per language).",
        "",
        "| model | language | examples | intent macro F1 |",
        "|---|---|---|---|",
    ]
    for (model, lang), (macro, _, n) in runs.items():
        lines.append(f"| {model} | {lang} | {n} | {macro:.3f} |")
    lines += ["", "Per intent (bilingual model):", "", "| intent | es F1 | en F1 |", "|---|---|---|"]
    for intent in sorted(runs[("bilingual", "es")][1]):
        es = runs[("bilingual", "es")][1].get(intent, 0)
        en = runs[("bilingual", "en")][1].get(intent, 0)
        lines.append(f"| {intent} | {es:.3f} | {en:.3f} |")
    lines += ["", *NOTES.strip().splitlines()]
    (ROOT / "docs" / "nlu.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
