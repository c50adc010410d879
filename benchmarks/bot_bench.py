"""`make bench-bot`: our bot's latency and throughput next to a stock `rasa init` bot, same machine, same run.

Both are served by Rasa 3.6.21 over the REST channel. Our bot answers KB questions (action server + search)
and runs form steps; the stock bot answers its own greeting/mood messages. 1 and 20 concurrent conversations,
each sending messages back to back. Goal: KB answers at p50 no more than 1.5x the stock bot's latency, and
throughput at least 0.8x the stock bot's.
"""

import argparse
import asyncio
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid

import httpx
from common import ROOT, summary, write_section

sys.path.insert(0, str(ROOT / "scripts"))
from stack import BOT_BIN, Ports, Stack, free_port

KB_QUESTIONS = [
    "cuánto demora el envío a regiones?",
    "how can I reset my password?",
    "me cobraron dos veces la compra",
    "do you have stores in Viña del Mar?",
    "cuáles son los medios de pago",
    "how long do refunds take?",
]
FORM_STEPS = ["quiero hablar con una persona", "Ana Pérez", "ana@example.com", "saltar", "la tele no tiene sonido"]
STOCK_MESSAGES = ["hello", "I am feeling sad", "yes", "great", "bye", "are you a bot?"]


def stock_bot(workdir) -> tuple[subprocess.Popen, str]:
    project = workdir / "stock"
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}
    if not (project / "models").exists() or not any((project / "models").glob("*.tar.gz")):
        shutil.rmtree(project, ignore_errors=True)
        project.mkdir(parents=True)
        print("training a stock `rasa init` bot (about a minute)…", flush=True)
        subprocess.run(
            [str(BOT_BIN / "rasa"), "init", "--no-prompt", "--init-dir", str(project)],
            env=env,
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    port = free_port()
    process = subprocess.Popen(
        [str(BOT_BIN / "rasa"), "run", "--port", str(port), "--enable-api"],
        cwd=project,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if '"model_id"' in httpx.get(f"{url}/status", timeout=2).text:
                return process, url
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    process.kill()
    raise SystemExit("the stock bot did not start")


async def conversations(url: str, concurrency: int, seconds: float, script: list[str], restart_after: int) -> dict:
    latencies: list[float] = []
    stop_at = time.perf_counter() + seconds

    async def one(n: int) -> None:
        async with httpx.AsyncClient(timeout=60) as http:
            sender, i = f"bench-{n}-{uuid.uuid4().hex[:6]}", 0
            while time.perf_counter() < stop_at:
                if i and i % restart_after == 0:
                    sender = f"bench-{n}-{uuid.uuid4().hex[:6]}"
                started = time.perf_counter()
                response = await http.post(
                    f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": script[i % len(script)]}
                )
                if response.status_code == 200:
                    latencies.append((time.perf_counter() - started) * 1000)
                i += 1

    began = time.perf_counter()
    await asyncio.gather(*(one(n) for n in range(concurrency)))
    return summary(latencies, time.perf_counter() - began)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=20)
    args = parser.parse_args()
    work = ROOT / "var" / "bench-bot"
    work.mkdir(parents=True, exist_ok=True)
    stock, stock_url = stock_bot(work)
    env = {
        "TICKETING_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "BOT_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_DATABASE_URL": f"sqlite:///{work / 'ticketing.db'}",
    }
    env["ACTIONS_TICKETING_TOKEN"] = env["TICKETING_API_TOKEN"]
    run_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    for command in ("migrate", "load-demo"):
        subprocess.run(
            [str(ROOT / ".venv" / "backend" / "bin" / "python"), "-m", "ticketing.cli", command],
            env=run_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    ours = Stack(env, Ports(free_port(), free_port(), free_port()), work)
    ours.start()
    rows = []
    try:
        ours.wait_healthy(timeout=240)
        ours_url = f"http://127.0.0.1:{ours.ports.rasa}"
        for concurrency in (1, 20):
            for label, url, script, restart in (
                ("stock rasa init bot", stock_url, STOCK_MESSAGES, 6),
                ("Mostrador: KB answers", ours_url, KB_QUESTIONS, 6),
                ("Mostrador: form steps", ours_url, FORM_STEPS, 5),
            ):
                print(f"{label}, {concurrency} conversation(s), {args.seconds:.0f} s…", flush=True)
                r = asyncio.run(conversations(url, concurrency, args.seconds, script, restart))
                rows.append((label, concurrency, r))
                print(f"  {r['per_second']:.1f} msg/s, p50 {r['p50_ms']:.0f} ms, p95 {r['p95_ms']:.0f} ms", flush=True)
    finally:
        ours.stop()
        stock.terminate()
        stock.wait(timeout=20)
    lines = [
        f"`make bench-bot` (`cd benchmarks && ../.venv/backend/bin/python bot_bench.py --seconds {args.seconds:.0f}`): "
        "REST channel, messages back to back per conversation; the stock bot is `rasa init` trained and served here "
        "in the same run. Ratios are against the stock bot at the same concurrency.",
        "",
        "| bot | conversations | msg/s | p50 ms | p95 ms | p50 ÷ stock | msg/s ÷ stock |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, concurrency, r in rows:
        base = next(x[2] for x in rows if x[0].startswith("stock") and x[1] == concurrency)
        lines.append(
            f"| {label} | {concurrency} | {r['per_second']:.1f} | {r['p50_ms']:.0f} | {r['p95_ms']:.0f} | "
            f"{r['p50_ms'] / base['p50_ms']:.2f} | {r['per_second'] / base['per_second']:.2f} |"
        )
    write_section("Bot: messages per second and latency", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
