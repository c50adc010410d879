"""Shared helpers for the benchmarks: latency percentiles, the machine, and writing results to docs."""

import os
import platform
import re
import statistics
import subprocess
from datetime import datetime, timezone
from pathlib import Path

UTC = timezone.utc  # datetime.UTC is Python 3.11+; nlu_bench.py runs in the bot environment (3.10)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "docs" / "benchmarks.md"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def summary(latencies_ms: list[float], seconds: float) -> dict[str, float]:
    return {
        "n": len(latencies_ms),
        "per_second": len(latencies_ms) / seconds if seconds else 0.0,
        "p50_ms": statistics.median(latencies_ms) if latencies_ms else 0.0,
        "p95_ms": percentile(latencies_ms, 95) if latencies_ms else 0.0,
    }


def machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        memory = f", {kb / 1024 / 1024:.0f} GiB"
    except (OSError, AttributeError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){memory}, {platform.system()} {platform.release()}, Python {platform.python_version()}"


def write_section(title: str, body: str) -> None:
    """Replace (or add) the section `## title` of docs/benchmarks.md."""
    text = (
        RESULTS.read_text()
        if RESULTS.exists()
        else "# Benchmarks\n\nEvery figure here is written by `make bench` (or one of its parts) on the machine it names.\n"
    )
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
    ).stdout.strip()
    section = f"## {title}\n\n_{stamp}, commit {commit or '?'}, {machine()}_\n\n{body.strip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)
