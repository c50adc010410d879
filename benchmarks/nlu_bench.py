"""`make bench-nlu`: the bot's own NLU pipeline on public intent data sets no one here wrote.

The NLU components of bot/config.yml are trained from scratch with Rasa's own training API
(`rasa.model_training.train_nlu`) on each data set's training split, loaded with `rasa.core.agent.Agent` and asked
every test message one at a time, as the Rasa server would:

- CLINC150 ("full"): train + oos_train -> test + oos_test. The 100 out-of-scope training queries are one more intent
  (`oos`); a query counts as out of scope when the pipeline says `oos` or `nlu_fallback` (the FallbackClassifier).
  In-scope accuracy (4,500 queries), out-of-scope recall (1,000) and macro F1 over the 151 labels.
- BANKING77: 10,003 training rows -> 3,080 test rows, accuracy (a fallback is a wrong answer).
- HWU64: fold 1 of the ten folds the DIET paper used (about 10k -> 1,076), accuracy; entity annotations are dropped.

Training time (wall clock, Rasa's training cache off) and inference p50 per message are reported. Results go to
var/nlu-bench/<data set>.json; the section of docs/benchmarks.md and the chart docs/nlu-bench.png are written from
all the results there, so data sets can be run one at a time.

Run with the bot environment (Python 3.10, rasa 3.6.21):
  .venv/bot/bin/python benchmarks/nlu_bench.py [clinc150 banking77 hwu64] [--config bot/config.yml]
The data sets are read from $MOSTRADOR_DATASETS or ../shared/datasets beside the checkout.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import logging
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "bot"), str(ROOT / "benchmarks")]
# Training must be measured from scratch: Rasa would otherwise reuse featurizers cached by an earlier run.
os.environ["RASA_MAX_CACHE_SIZE"] = "0"
os.environ.setdefault("RASA_TELEMETRY_ENABLED", "false")

OOS = "oos"
FALLBACK = "nlu_fallback"
RESULTS = ROOT / "var" / "nlu-bench"
CHART = ROOT / "docs" / "nlu-bench.png"

# Figures to stand beside ours (issue 16, ../shared/design/ANCHORS.md). Minutes are training time on this 2-core
# machine; the papers trained on GPUs and give no comparable time.
STOCK = {  # Rasa 3.6.21's `rasa init` pipeline (DIET 100 epochs, FallbackClassifier 0.3), trained here
    "clinc150": {"accuracy": 0.902, "oos_recall": 0.085, "minutes": 40},
    "banking77": {"accuracy": 0.903, "minutes": 63},
}
PAPERS = {
    "clinc150": {"accuracy": 0.969, "oos_recall": 0.403, "who": "BERT, Larson et al. 2019"},
    "banking77": {"accuracy": 0.9366, "who": "BERT, Casanueva et al. 2020"},
}
GOALS = {"clinc150": {"accuracy": 0.93, "oos_recall": 0.70}, "banking77": {"accuracy": 0.92}, "minutes": 15}


def datasets_dir() -> Path:
    env = os.environ.get("MOSTRADOR_DATASETS")
    if env:
        return Path(env)
    for base in (ROOT.parent, ROOT.parent.parent):
        if (base / "shared" / "datasets").is_dir():
            return base / "shared" / "datasets"
    return ROOT.parent / "shared" / "datasets"


Examples = list[tuple[str, str]]  # (text, intent)


def load_clinc150(directory: Path) -> tuple[Examples, Examples]:
    data = json.loads((directory / "clinc150" / "data_full.json").read_text())
    train = [(t, i) for t, i in data["train"] + data["oos_train"]]
    test = [(t, i) for t, i in data["test"] + data["oos_test"]]
    return train, test


def load_banking77(directory: Path) -> tuple[Examples, Examples]:
    def read(name: str) -> Examples:
        with (directory / "banking77" / name).open(newline="") as f:
            return [(row["text"], row["category"]) for row in csv.DictReader(f)]

    return read("train.csv"), read("test.csv")


def read_rasa_markdown(path: Path) -> Examples:
    """Intent examples of a Rasa 1.x Markdown file; `[value](entity)` becomes `value`; regex sections are skipped."""
    out, intent = [], None
    for line in path.read_text().splitlines():
        if line.startswith("## "):
            intent = line[3:].split(":", 1)[1].strip() if line.startswith("## intent:") else None
        elif intent and line.startswith("- "):
            text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", line[2:]).strip()
            if text:
                out.append((text, intent))
    return out


def load_hwu64(directory: Path, fold: int = 1) -> tuple[Examples, Examples]:
    base = directory / "hwu64_nlu_evaluation_data" / f"KFold_{fold}"
    return read_rasa_markdown(base / "train.md"), read_rasa_markdown(base / "test.md")


LOADERS = {"clinc150": load_clinc150, "banking77": load_banking77, "hwu64": load_hwu64}


def take_slice(train_set: Examples, test_set: Examples, intents: int, per_intent: int) -> tuple[Examples, Examples]:
    """The first `intents` intents (and out of scope, when there is one) with `per_intent` examples each:
    a quick run of the harness, not a figure to quote."""
    chosen = sorted({i for _, i in train_set} - {OOS})[:intents] + [OOS]

    def cut(examples: Examples, limit: int) -> Examples:
        seen: Counter = Counter()
        out = []
        for text, intent in examples:
            if intent in chosen and seen[intent] < limit:
                seen[intent] += 1
                out.append((text, intent))
        return out

    return cut(train_set, per_intent), cut(test_set, max(5, per_intent // 2))


def nlu_config(config: Path, out: Path) -> Path:
    """bot/config.yml without its dialogue policies: the NLU pipeline exactly as the bot trains it."""
    import yaml

    data = yaml.safe_load(config.read_text())
    data.pop("policies", None)
    out.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    return out


def write_training_data(examples: Examples, path: Path) -> Path:
    from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
    from rasa.shared.nlu.training_data.message import Message
    from rasa.shared.nlu.training_data.training_data import TrainingData

    messages = [Message(data={"text": text, "intent": intent}) for text, intent in examples]
    RasaYAMLWriter().dump(path, TrainingData(training_examples=messages))
    return path


class _Progress(logging.Handler):
    """Prints each component as Rasa starts training it, and a heartbeat while one runs."""

    def __init__(self, started: float) -> None:
        super().__init__(logging.INFO)
        self.started, self.current = started, "reading the data"
        self.done = threading.Event()
        threading.Thread(target=self._heartbeat, daemon=True).start()

    def emit(self, record: logging.LogRecord) -> None:
        match = re.search(r"Starting to train component '(\w+)'", record.getMessage())
        if match:
            self.current = match.group(1)
            print(f"    {time.monotonic() - self.started:6.0f} s  training {self.current}", flush=True)

    def _heartbeat(self) -> None:
        while not self.done.wait(30):
            print(f"    {time.monotonic() - self.started:6.0f} s  still training {self.current}…", flush=True)


def train(config: Path, examples: Examples, workdir: Path) -> tuple[Path, float]:
    """Trains the pipeline of `config` on `examples` with Rasa's API; returns the model and the seconds it took."""
    from rasa.model_training import train_nlu

    data = write_training_data(examples, workdir / "nlu.yml")
    cfg = nlu_config(config, workdir / "config.yml")
    hooks = logging.getLogger("rasa.engine.training.hooks")
    started = time.monotonic()
    progress = _Progress(started)
    hooks.addHandler(progress)
    hooks.setLevel(logging.INFO)
    hooks.propagate = False
    try:
        model = train_nlu(str(cfg), str(data), str(workdir / "models"), fixed_model_name="bench")
    finally:
        progress.done.set()
        hooks.removeHandler(progress)
    seconds = time.monotonic() - started
    if not model:
        raise RuntimeError("Rasa trained no model")
    return Path(model), seconds


def predict(model: Path, texts: list[str]) -> tuple[list[str], list[float], list[tuple[str, float, float]]]:
    """Parses each text alone through the loaded model, as the server does; returns the intents, the milliseconds
    and, for each message, the classifier's own best intent with the two best confidences (before any fallback)."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    predictions, latencies, rankings = [], [], []

    async def run() -> None:
        for i, text in enumerate(texts):
            started = time.perf_counter()
            parsed = await agent.parse_message(text)
            latencies.append((time.perf_counter() - started) * 1000)
            predictions.append((parsed.get("intent") or {}).get("name") or FALLBACK)
            ranking = [r for r in parsed.get("intent_ranking") or [] if r["name"] != FALLBACK] + [
                {"name": FALLBACK, "confidence": 0.0}
            ] * 2
            rankings.append((ranking[0]["name"], ranking[0]["confidence"], ranking[1]["confidence"]))
            if (i + 1) % 1000 == 0:
                print(f"    {i + 1}/{len(texts)} test messages", flush=True)

    asyncio.run(run())
    return predictions, latencies, rankings


def fallback_tradeoff(
    truth: list[str], rankings: list[tuple[str, float, float]], ambiguity: float, oos_label: str
) -> list[dict[str, float]]:
    """What other FallbackClassifier thresholds would give on the same predictions: the fallback fires when the best
    confidence is below the threshold or within `ambiguity` of the second (Rasa's rule), and counts as out of scope
    (a wrong answer on a data set without out-of-scope queries)."""
    rows = []
    for threshold in (0.1, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.7):
        predicted = [
            (oos_label or FALLBACK) if top < threshold or top - second < ambiguity else name
            for name, top, second in rankings
        ]
        m = metrics(truth, predicted, oos_label)
        rows.append({"threshold": threshold, **{k: m[k] for k in ("accuracy", "oos_recall") if k in m}})
    return rows


def fallback_settings(config: Path) -> tuple[float, float]:
    import yaml

    for component in yaml.safe_load(config.read_text()).get("pipeline", []):
        if str(component.get("name", "")).endswith("FallbackClassifier"):
            return float(component.get("threshold", 0.3)), float(component.get("ambiguity_threshold", 0.1))
    return 0.0, 0.0


def metrics(truth: list[str], predicted: list[str], oos_label: str | None = None) -> dict[str, float]:
    """Accuracy (over in-scope messages when there is an out-of-scope label), out-of-scope recall and precision,
    macro F1 over the true labels, and how often the FallbackClassifier answered."""
    if oos_label:
        # The bot declines with either its out-of-scope intent or the fallback: both are an out-of-scope answer.
        predicted = [oos_label if p == FALLBACK else p for p in predicted]
    pairs = list(zip(truth, predicted, strict=True))
    inscope = [(t, p) for t, p in pairs if t != oos_label]
    out: dict[str, float] = {"n_test": len(pairs), "accuracy": sum(t == p for t, p in inscope) / len(inscope)}
    if oos_label:
        oos = [(t, p) for t, p in pairs if t == oos_label]
        said_oos = [(t, p) for t, p in pairs if p == oos_label]
        out["oos_recall"] = sum(p == oos_label for _, p in oos) / len(oos) if oos else 0.0
        out["oos_precision"] = sum(t == oos_label for t, _ in said_oos) / len(said_oos) if said_oos else 0.0
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])  # tp, fp, fn
    for t, p in pairs:
        if t == p:
            counts[t][0] += 1
        else:
            counts[t][2] += 1
            counts[p][1] += 1
    f1 = []
    for label in set(truth):
        tp, fp, fn = counts[label]
        f1.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    out["macro_f1"] = sum(f1) / len(f1)
    return out


def check(report: dict) -> list[str]:
    """What is wrong with a report: a missing metric, or accuracy no better than three times chance."""
    required = ["accuracy", "macro_f1", "train_seconds", "p50_ms", "n_train", "n_test", "n_intents"]
    if report.get("oos"):
        required += ["oos_recall", "oos_precision"]
    problems = [f"missing {key}" for key in required if not isinstance(report.get(key), (int, float))]
    if not problems:
        chance = 1 / report["n_intents"]
        if report["accuracy"] < min(0.9, 3 * chance):
            problems.append(f"accuracy {report['accuracy']:.3f} is near chance ({chance:.3f})")
        if not 0 < report["p50_ms"] < 10_000:
            problems.append(f"inference p50 {report['p50_ms']} ms is not plausible")
    return problems


def run(name: str, train_set: Examples, test_set: Examples, config: Path, oos_label: str | None) -> dict:
    intents = Counter(i for _, i in train_set)
    print(f"{name}: {len(train_set)} training examples, {len(intents)} intents, {len(test_set)} test", flush=True)
    with tempfile.TemporaryDirectory(prefix=f"nlu-bench-{name}-") as tmp:
        model, seconds = train(config, train_set, Path(tmp))
        load = os.getloadavg()[0]  # the machine is shared: a loaded one trains slower
        print(f"  trained in {seconds:.0f} s (load average {load:.1f}); parsing the test set…", flush=True)
        predicted, latencies, rankings = predict(model, [t for t, _ in test_set])
    truth = [i for _, i in test_set]
    threshold, ambiguity = fallback_settings(config)
    report = {
        "dataset": name,
        "config": str(config.relative_to(ROOT)) if config.is_relative_to(ROOT) else str(config),
        "n_train": len(train_set),
        "n_intents": len(intents),
        "oos": bool(oos_label),
        **metrics(truth, predicted, oos_label),
        "fallback_rate": predicted.count(FALLBACK) / len(predicted),
        "train_seconds": round(seconds, 1),
        "load_average": round(load, 1),
        "p50_ms": round(statistics.median(latencies), 2),
        "p95_ms": round(sorted(latencies)[int(0.95 * (len(latencies) - 1))], 2),
        "fallback_threshold": threshold,
    }
    report["fallback_tradeoff"] = fallback_tradeoff(truth, rankings, ambiguity, oos_label)
    # Every test message's truth, best intent and the two best confidences: other thresholds can be studied later.
    report["answers"] = [
        [t, name, round(top, 4), round(second, 4)] for t, (name, top, second) in zip(truth, rankings, strict=True)
    ]
    return report


def describe(report: dict) -> str:
    text = f"accuracy {report['accuracy']:.1%}"
    if report.get("oos"):
        text = f"in-scope accuracy {report['accuracy']:.1%}, out-of-scope recall {report['oos_recall']:.1%}"
    return (
        f"{report['dataset']}: {text}, macro F1 {report['macro_f1']:.3f}, trained in {report['train_seconds']:.0f} s, "
        f"p50 {report['p50_ms']:.1f} ms/message"
    )


NAMES = {"clinc150": "CLINC150", "banking77": "BANKING77", "hwu64": "HWU64 (fold 1)"}


def chart(reports: dict[str, dict], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.8), dpi=110)
    colours = {"clinc150": "tab:blue", "banking77": "tab:orange", "hwu64": "tab:green"}
    for name, colour in colours.items():
        label = NAMES[name]
        if name in reports:
            r = reports[name]
            ax.scatter(r["train_seconds"] / 60, r["accuracy"] * 100, color=colour, marker="o", s=70, zorder=3)
            ax.annotate(
                f"ours, {label}",
                (r["train_seconds"] / 60, r["accuracy"] * 100),
                textcoords="offset points",
                xytext=(8, -4),
                fontsize=8,
            )
        if name in STOCK:
            s = STOCK[name]
            ax.scatter(s["minutes"], s["accuracy"] * 100, color=colour, marker="s", s=60, zorder=3)
            ax.annotate(
                f"stock rasa init, {label}",
                (s["minutes"], s["accuracy"] * 100),
                textcoords="offset points",
                xytext=(-10, 8),
                fontsize=8,
                ha="right",
            )
        if name in PAPERS:
            p = PAPERS[name]
            ax.axhline(p["accuracy"] * 100, color=colour, linestyle="--", linewidth=1)
            ax.text(70, p["accuracy"] * 100 + 0.15, f"{p['who']} ({label}, GPU)", fontsize=7, ha="right", color=colour)
    ax.axvline(GOALS["minutes"], color="grey", linestyle=":", linewidth=1)
    ax.text(GOALS["minutes"] + 0.5, sum(ax.get_ylim()) / 2, "15 min goal", fontsize=7, color="grey")
    ax.set_xlim(0, 72)
    ax.set_xlabel("training minutes on this 2-core machine")
    ax.set_ylabel("accuracy, % (CLINC150: in-scope)")
    ax.set_title("Intent accuracy vs training time: Mostrador's pipeline, stock Rasa, papers", fontsize=10)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


def table(reports: dict[str, dict]) -> str:
    rows = [
        "| data set | pipeline | accuracy | out-of-scope recall | macro F1 | training | inference p50 |",
        "|---|---|---|---|---|---|---|",
    ]
    for name in ("clinc150", "banking77", "hwu64"):
        if name in reports:
            r = reports[name]
            oos = f"{r['oos_recall']:.1%}" if r.get("oos") else "–"
            rows.append(
                f"| {NAMES[name]} | Mostrador (`{r['config']}`) | **{r['accuracy']:.1%}** | {oos} | "
                f"{r['macro_f1']:.3f} | {r['train_seconds'] / 60:.1f} min | {r['p50_ms']:.1f} ms |"
            )
        if name in STOCK:
            s = STOCK[name]
            oos = f"{s['oos_recall']:.1%}" if "oos_recall" in s else "–"
            rows.append(
                f"| {NAMES[name]} | stock `rasa init` (DIET) | {s['accuracy']:.1%} | {oos} | – | {s['minutes']} min | – |"
            )
        if name in PAPERS:
            p = PAPERS[name]
            oos = f"{p['oos_recall']:.1%}" if "oos_recall" in p else "–"
            rows.append(f"| {NAMES[name]} | {p['who']} | {p['accuracy']:.1%} | {oos} | – | GPU | – |")
    return "\n".join(rows)


def tradeoff(reports: dict[str, dict]) -> str:
    """One table: each data set's figures with other FallbackClassifier thresholds, from the same trained models."""
    shown = [name for name in ("clinc150", "banking77", "hwu64") if "fallback_tradeoff" in reports.get(name, {})]
    if not shown:
        return ""
    threshold = reports[shown[0]]["fallback_threshold"]
    heads = []
    for name in shown:
        heads += (
            [f"{NAMES[name]} in-scope", f"{NAMES[name]} out-of-scope recall"]
            if name == "clinc150"
            else [f"{NAMES[name]} accuracy"]
        )
    rows = [
        f"The same trained models with other confidence thresholds (the bot's is {threshold}; computed from each "
        "message's confidences, Rasa's ambiguity rule kept; a fallback is a wrong answer where there is no "
        "out-of-scope class). These figures leave out the novelty fallback (a message unlike every training "
        "example), which the table above includes:",
        "",
        "| threshold | " + " | ".join(heads) + " |",
        "|---" * (len(heads) + 1) + "|",
    ]
    by_threshold: dict[float, list[str]] = {}
    for name in shown:
        for row in reports[name]["fallback_tradeoff"]:
            cells = by_threshold.setdefault(row["threshold"], [])
            cells.append(f"{row['accuracy']:.1%}")
            if "oos_recall" in row:
                cells.append(f"{row['oos_recall']:.1%}")
    for value, cells in by_threshold.items():
        mark = "**" if value == threshold else ""
        rows.append(f"| {mark}{value}{mark} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def write_docs(reports: dict[str, dict]) -> None:
    from common import write_section

    chart(reports, CHART)
    goals = []
    if "clinc150" in reports:
        r = reports["clinc150"]
        goals.append(
            f"CLINC150 in-scope ≥ 93%: {r['accuracy']:.1%}; out-of-scope recall ≥ 70%: {r['oos_recall']:.1%}; "
            f"≤ 15 min: {r['train_seconds'] / 60:.1f} min"
        )
    if "banking77" in reports:
        r = reports["banking77"]
        goals.append(f"BANKING77 ≥ 92%: {r['accuracy']:.1%}; ≤ 15 min: {r['train_seconds'] / 60:.1f} min")
    body = "\n".join(
        [
            "`make bench-nlu` (benchmarks/nlu_bench.py): the NLU components of the bot's own `bot/config.yml`, trained "
            "from scratch with Rasa's training API on each public data set's training split and asked every test "
            "message one at a time through `Agent.parse_message`. A CLINC150 query counts as out of scope when the "
            "pipeline answers `oos` (the 100 out-of-scope training queries are one more intent) or `nlu_fallback`; "
            "on BANKING77 and HWU64 a fallback is a wrong answer. Training is wall clock with Rasa's cache off; "
            "the stock and paper figures are quoted (../shared/design/ANCHORS.md), not re-run.",
            "",
            table(reports),
            "",
            "Training times are on a machine shared with other work; the 1-minute load average at the end of each "
            "run: "
            + ", ".join(f"{NAMES[n]} {r['load_average']}" for n, r in reports.items() if "load_average" in r)
            + " (2 cores)."
            if any("load_average" in r for r in reports.values())
            else "",
            "",
            tradeoff(reports),
            "",
            "![accuracy vs training minutes](nlu-bench.png)",
            "",
            "Goals (issue 16): " + "; ".join(goals) + "." if goals else "",
        ]
    )
    write_section("Bot NLU on public data sets", body)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    # No `choices`: Python 3.10's argparse checks an empty list against them and refuses to run with none named.
    parser.add_argument("datasets", nargs="*", help=f"any of {', '.join(LOADERS)}; all of them when none is named")
    parser.add_argument("--config", type=Path, default=ROOT / "bot" / "config.yml")
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite docs/benchmarks.md and the chart")
    parser.add_argument(
        "--slice",
        nargs=2,
        type=int,
        metavar=("INTENTS", "PER_INTENT"),
        help="a quick run on a few intents and examples (implies --no-docs)",
    )
    parser.add_argument("--results", type=Path, default=RESULTS, help="where the per-data-set JSON goes")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    # Rasa warns that the public data sets have no regexes for its regex components, and about its own imports.
    warnings.filterwarnings("ignore", category=UserWarning)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    import structlog

    # Rasa's structured log prints every parsed message at debug level: only warnings here.
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    for noisy in ("rasa", "tensorflow", "absl"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    if unknown := [name for name in args.datasets if name not in LOADERS]:
        parser.error(f"unknown data set {', '.join(unknown)}: choose from {', '.join(LOADERS)}")
    args.results.mkdir(parents=True, exist_ok=True)
    directory = datasets_dir()
    failed = False
    for name in args.datasets or list(LOADERS):
        train_set, test_set = LOADERS[name](directory)
        if args.slice:
            train_set, test_set = take_slice(train_set, test_set, *args.slice)
        report = run(name, train_set, test_set, args.config.resolve(), OOS if name == "clinc150" else None)
        problems = check(report)
        print(describe(report), flush=True)
        if problems:
            print(f"  {name}: {'; '.join(problems)}", flush=True)
            failed = True
        (args.results / f"{name}.json").write_text(json.dumps(report, indent=2) + "\n")
    if not (args.no_docs or args.slice):
        reports = {p.stem: json.loads(p.read_text()) for p in sorted(args.results.glob("*.json")) if p.stem in LOADERS}
        write_docs(reports)
        print(f"wrote docs/benchmarks.md and {CHART.relative_to(ROOT)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
