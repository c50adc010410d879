"""`make bench-kb`: search latency over 1,000 and 10,000 generated articles, next to a plain BM25 baseline.

Articles are generated from the demo KB's vocabulary (each a recombination of real titles, questions and
paragraphs with a unique product word), so the index has realistic term statistics. Queries are the dev
questions. Latency is measured in process (what the action server spends per message), after a warm-up.
"""

import argparse
import random
import sys
import time
from pathlib import Path

from common import ROOT, summary, write_section

sys.path.insert(0, str(ROOT))
from kb.articles import Article, load_articles
from kb.evaluate import Bm25Baseline, load_cases
from kb.search import KnowledgeBase


def generate(seed_articles: list[Article], count: int, rng: random.Random) -> list[Article]:
    out = []
    for i in range(count):
        a, b = rng.sample(seed_articles, 2)
        if a.language != b.language:
            b = next(x for x in seed_articles if x.language == a.language and x.id != a.id)
        product = f"modelo{i}"
        out.append(
            Article(
                id=f"gen-{i}",
                title=f"{a.title} {product}",
                language=a.language,
                category=a.category,
                questions=tuple(rng.sample(a.questions, min(4, len(a.questions)))) + tuple(rng.sample(b.questions, 2)),
                body=f"{a.summary} {product}\n\n{b.summary}",
                path=Path(f"/generated/{a.language}/gen-{i}.md"),
                tags=a.tags,
            )
        )
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()
    rng = random.Random(7)
    seeds, _ = load_articles(ROOT / "kb_articles")
    queries = [c for c in load_cases(ROOT / "eval" / "kb_dev.yml")]
    lines = [
        "`make bench-kb` (`cd benchmarks && ../.venv/backend/bin/python kb_bench.py`): one search = fold, expand, rank, "
        f"coverage; {len(queries)} dev questions per size, in process, after a warm-up. Goal: p95 ≤ 5 ms at 1,000 "
        "articles and ≤ 20 ms at 10,000.",
        "",
        "| articles | build s | Mostrador p50 ms | Mostrador p95 ms | BM25 baseline p50 ms | BM25 p95 ms | p95 ÷ baseline |",
        "|---|---|---|---|---|---|---|",
    ]
    for size in [0, *args.sizes]:
        # 0: the demo KB itself (62 articles), which ranks with the learned ranker.
        articles = [a for a in seeds if a.status == "published"] if size == 0 else generate(seeds, size, rng)
        print(f"{size} articles: building the index…", flush=True)
        started = time.perf_counter()
        kb = KnowledgeBase.from_articles(articles)
        build = time.perf_counter() - started
        baseline = Bm25Baseline(articles)
        results = {}
        for name, run in (
            ("ours", lambda q, kb=kb: kb.decide(q.text, q.language)),
            ("bm25", lambda q, baseline=baseline: baseline.best(q.text, q.language)),
        ):
            for q in queries[:20]:
                run(q)
            latencies = []
            for q in queries:
                t = time.perf_counter()
                run(q)
                latencies.append((time.perf_counter() - t) * 1000)
            results[name] = summary(latencies, sum(latencies) / 1000)
            print(f"  {name}: p50 {results[name]['p50_ms']:.2f} ms, p95 {results[name]['p95_ms']:.2f} ms", flush=True)
        ours, bm25 = results["ours"], results["bm25"]
        lines.append(
            f"| {f'{size:,}' if size else f'demo KB ({len(articles)})'} | {build:.1f} | {ours['p50_ms']:.2f} | {ours['p95_ms']:.2f} | {bm25['p50_ms']:.2f} | "
            f"{bm25['p95_ms']:.2f} | {ours['p95_ms'] / bm25['p95_ms']:.2f} |"
        )
    write_section("Knowledge base: search latency", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
