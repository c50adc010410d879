"""Smoke test of `make bench-nlu` (benchmarks/nlu_bench.py) on a tiny, easy slice written here in CLINC150's format.

The harness trains the bot's real pipeline (bot/config.yml) with Rasa, so each run takes a few seconds; the full
benchmark is not part of `make test`.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "benchmarks"))
import nlu_bench  # noqa: E402

TOPICS = {
    "weather": ["rain", "sunny", "forecast", "umbrella", "temperature", "snow", "windy", "cloudy"],
    "music": ["song", "playlist", "album", "guitar", "singer", "volume", "radio", "concert"],
    "banking": ["account", "transfer", "balance", "deposit", "loan", "card", "bank", "savings"],
    "cooking": ["recipe", "oven", "bake", "pasta", "soup", "dinner", "chicken", "salad"],
}
FRAMES = ["tell me about the {}", "what is the {} like", "i need help with my {}", "show me the {} please"]
OUT_OF_SCOPE = [
    "who won the football match",
    "how tall is mount everest",
    "what is the capital of peru",
    "translate hello into french",
    "how many legs does a spider have",
    "when was the moon landing",
]


def write_slice(directory: Path, wrong_labels: bool = False) -> None:
    train, test = [], []
    for intent, words in TOPICS.items():
        for i, word in enumerate(words):
            for j, frame in enumerate(FRAMES):
                (test if (i + j) % 4 == 0 else train).append([frame.format(word), intent])
    if wrong_labels:  # every test message carries the next topic's label: no pipeline can get these right
        names = list(TOPICS)
        test = [[text, names[(names.index(intent) + 1) % len(names)]] for text, intent in test]
    data = {
        "train": train,
        "oos_train": [[t, "oos"] for t in OUT_OF_SCOPE[:3]],
        "test": test,
        "oos_test": [[t, "oos"] for t in OUT_OF_SCOPE[3:]],
    }
    (directory / "clinc150").mkdir(parents=True)
    (directory / "clinc150" / "data_full.json").write_text(json.dumps(data))


def run_harness(data: Path, results: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MOSTRADOR_DATASETS": str(data), "PYTHONPATH": f"{ROOT}:{ROOT / 'bot'}"}
    return subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "nlu_bench.py"), "clinc150", "--no-docs", "--results", str(results)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )


def test_easy_slice_gives_every_metric_well_above_chance(tmp_path):
    write_slice(tmp_path / "data")
    done = run_harness(tmp_path / "data", tmp_path / "results")
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "training LogisticRegressionClassifier" in done.stdout  # progress while it trains
    report = json.loads((tmp_path / "results" / "clinc150.json").read_text())
    assert nlu_bench.check(report) == []
    assert report["n_intents"] == 5 and report["n_test"] == 32 + 3
    assert report["accuracy"] >= 0.8  # chance is 0.2
    assert 0 <= report["oos_recall"] <= 1 and 0 < report["macro_f1"] <= 1
    assert 0 < report["train_seconds"] < 300 and 0 < report["p50_ms"] < 1000
    # The threshold trade-off, recomputed from the confidences, agrees with what the pipeline answered.
    row = next(r for r in report["fallback_tradeoff"] if r["threshold"] == report["fallback_threshold"])
    assert row["accuracy"] == pytest.approx(report["accuracy"])
    assert row["oos_recall"] == pytest.approx(report["oos_recall"])


def test_harness_fails_when_the_answers_are_no_better_than_chance(tmp_path):
    write_slice(tmp_path / "data", wrong_labels=True)
    done = run_harness(tmp_path / "data", tmp_path / "results")
    assert done.returncode == 1
    assert "near chance" in done.stdout
    assert json.loads((tmp_path / "results" / "clinc150.json").read_text())["accuracy"] < 0.2


def test_metrics_count_the_fallback_as_out_of_scope():
    truth = ["a", "a", "b", "oos", "oos"]
    predicted = ["a", "nlu_fallback", "b", "nlu_fallback", "b"]
    m = nlu_bench.metrics(truth, predicted, "oos")
    assert m["accuracy"] == pytest.approx(2 / 3)
    assert m["oos_recall"] == pytest.approx(1 / 2)
    assert m["oos_precision"] == pytest.approx(1 / 2)
    # F1: a = 2/3 (tp 1, fn 1), b = 2/3 (tp 1, fp 1), oos = 1/2 (tp 1, fp 1, fn 1)
    assert m["macro_f1"] == pytest.approx((2 / 3 + 2 / 3 + 1 / 2) / 3)


def test_check_names_a_missing_metric():
    report = {
        "accuracy": 0.9,
        "macro_f1": 0.9,
        "train_seconds": 3.0,
        "p50_ms": 2.0,
        "n_train": 10,
        "n_test": 5,
        "n_intents": 3,
        "oos": True,
        "oos_recall": 0.5,
    }
    assert nlu_bench.check(report) == ["missing oos_precision"]


def test_hwu64_markdown_drops_entity_annotations_and_regex_sections(tmp_path):
    path = tmp_path / "train.md"
    path.write_text("## intent:alarm_set\n- wake me at [six am](time)\n- set an alarm\n\n## regex:time\n- [0-9]+ am\n")
    assert nlu_bench.read_rasa_markdown(path) == [("wake me at six am", "alarm_set"), ("set an alarm", "alarm_set")]


def test_a_higher_threshold_costs_accuracy_where_there_is_no_out_of_scope_class():
    truth = ["a", "b", "a"]
    rankings = [("a", 0.9, 0.05), ("b", 0.35, 0.3), ("b", 0.45, 0.2)]  # right and sure, right but unsure, wrong
    rows = {r["threshold"]: r for r in nlu_bench.fallback_tradeoff(truth, rankings, 0.0, None)}
    assert rows[0.3]["accuracy"] == pytest.approx(2 / 3)
    assert rows[0.4]["accuracy"] == pytest.approx(1 / 3)  # the unsure right answer became a fallback
    assert "oos_recall" not in rows[0.4]
