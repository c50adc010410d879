"""`make bench-whatsapp`: the WhatsApp channel's acknowledgement and end-to-end latency, next to the REST channel.

The three real processes, Rasa with the WhatsApp channel pointed at the local fake Graph API (tests/whatsapp).
1 and 20 customers, each sending KB questions back to back: on WhatsApp a signed notification is posted to the
webhook (acknowledgement = the webhook's answer) and the next one goes when the answer reaches the fake Graph
API (end to end = notification posted → first Graph request for that customer); on REST the same questions go to
`/webhooks/rest/webhook`, whose answer carries the bot's reply (end to end = the request's latency).
Goals (issue 15): acknowledgement p99 under 100 ms under load; end to end close to REST.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import secrets
import subprocess
import sys
import time
import uuid

import httpx
from common import ROOT, percentile, write_section

sys.path.insert(0, str(ROOT / "scripts"))
sys.path.insert(0, str(ROOT))
from stack import Ports, Stack, free_port

from tests.whatsapp.fake_graph import FakeGraph
from tests.whatsapp.meta import notification, signed

QUESTIONS = [
    "cuánto demora el envío a regiones?",
    "how can I reset my password?",
    "me cobraron dos veces la compra",
    "do you have stores in Viña del Mar?",
    "cuáles son los medios de pago",
    "how long do refunds take?",
]


def stats(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0, "p50": 0.0, "p95": 0.0, "p99": 0.0, "worst": []}
    return {
        "n": len(values),
        "p50": percentile(values, 50),
        "p95": percentile(values, 95),
        "p99": percentile(values, 99),
        "worst": [round(v) for v in sorted(values)[-5:]],
    }


def probe(url: str, secret: str, seconds: float, interval: float, results) -> None:
    """Meta's side alone, in a process of its own: a signed delivery status every `interval` seconds while the
    customers load the bot, each acknowledgement timed. The customers' process also hosts the fake Graph API and
    twenty clients, whose turns delay its own reading of an acknowledgement; this one waits for nothing else. A status
    goes through the same signature check, parsing and durable write as a message, and costs the bot nothing."""
    times = []
    with httpx.Client(timeout=30) as http:
        stop_at = time.perf_counter() + seconds
        while time.perf_counter() < stop_at:
            payload = notification(
                "status", "56900000000", status="delivered", status_wamid=f"wamid.PROBE{uuid.uuid4().hex}"
            )
            body, headers = signed(payload, secret)
            started = time.perf_counter()
            response = http.post(url, content=body, headers=headers)
            times.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise SystemExit(f"webhook answered {response.status_code} to the probe: {response.text}")
            time.sleep(max(0.0, interval - (time.perf_counter() - started)))
    results.put(times)


async def whatsapp_run(url: str, secret: str, graph: FakeGraph, concurrency: int, seconds: float) -> dict:
    loop = asyncio.get_running_loop()
    waiting: dict[str, asyncio.Future] = {}

    def sent(record) -> None:  # the fake Graph API's thread
        future = waiting.get(record.to)
        if future is not None:
            loop.call_soon_threadsafe(lambda: future.done() or future.set_result(time.perf_counter()))

    graph.on_request = sent
    acks: list[float] = []
    ends: list[float] = []
    lost = 0

    # Clients are made before the clock starts (making one takes the benchmark's own loop ~0.1 s).
    clients = [httpx.AsyncClient(timeout=60) for _ in range(concurrency)]
    stop_at = time.perf_counter() + seconds

    async def customer(n: int) -> None:
        nonlocal lost
        wa_id = "5698" + str(uuid.uuid4().int)[:7]
        async with clients[n] as http:
            i = 0
            while time.perf_counter() < stop_at:
                body, headers = signed(notification("text", wa_id, text=QUESTIONS[(i + n) % len(QUESTIONS)]), secret)
                future = loop.create_future()
                waiting[wa_id] = future
                started = time.perf_counter()
                response = await http.post(url, content=body, headers=headers)
                acked = time.perf_counter()
                if response.status_code != 200:
                    raise SystemExit(f"webhook answered {response.status_code}: {response.text}")
                acks.append((acked - started) * 1000)
                try:
                    out = await asyncio.wait_for(future, timeout=30)
                    ends.append((out - started) * 1000)
                except asyncio.TimeoutError:
                    lost += 1
                await asyncio.sleep(0.3)  # the rest of the answer (the buttons) goes out before the next question
                i += 1

    began = time.perf_counter()
    await asyncio.gather(*(customer(n) for n in range(concurrency)))
    graph.on_request = None
    return {"ack": stats(acks), "end": stats(ends), "lost": lost, "seconds": time.perf_counter() - began}


async def rest_run(url: str, concurrency: int, seconds: float) -> dict:
    ends: list[float] = []
    clients = [httpx.AsyncClient(timeout=60) for _ in range(concurrency)]
    stop_at = time.perf_counter() + seconds

    async def customer(n: int) -> None:
        sender = f"bench-rest-{uuid.uuid4().hex[:8]}"
        async with clients[n] as http:
            i = 0
            while time.perf_counter() < stop_at:
                started = time.perf_counter()
                response = await http.post(url, json={"sender": sender, "message": QUESTIONS[(i + n) % len(QUESTIONS)]})
                if response.status_code == 200:
                    ends.append((time.perf_counter() - started) * 1000)
                await asyncio.sleep(0.3)  # the same pause as the WhatsApp customers
                i += 1

    await asyncio.gather(*(customer(n) for n in range(concurrency)))
    return {"end": stats(ends)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--customers", default="1,20", help="concurrencies to run, e.g. 20")
    parser.add_argument("--no-rest", action="store_true", help="WhatsApp only (comparing two builds of the channel)")
    parser.add_argument("--no-write", action="store_true", help="print the table, leave docs/benchmarks.md alone")
    args = parser.parse_args()
    work = ROOT / "var" / "bench-whatsapp"
    work.mkdir(parents=True, exist_ok=True)
    for stale in ("ticketing.db", "tracker.db", "whatsapp-inbox.db"):
        (work / stale).unlink(missing_ok=True)
    graph = FakeGraph()
    env = {
        "TICKETING_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_SECRET_KEY": secrets.token_urlsafe(16),
        "BOT_API_TOKEN": secrets.token_urlsafe(16),
        "TICKETING_DATABASE_URL": f"sqlite:///{work / 'ticketing.db'}",
        "WHATSAPP_APP_SECRET": secrets.token_hex(16),
        "WHATSAPP_VERIFY_TOKEN": secrets.token_urlsafe(12),
        "WHATSAPP_ACCESS_TOKEN": secrets.token_urlsafe(24),
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_GRAPH_URL": graph.url,
        "WHATSAPP_INBOX_DB": str(work / "whatsapp-inbox.db"),
    }
    env["ACTIONS_TICKETING_TOKEN"] = env["TICKETING_API_TOKEN"]
    credentials = work / "credentials.yml"
    credentials.write_text("mostrador_nlu.rest_channel.RestChannel:\nmostrador_whatsapp.channel.WhatsAppInput:\n")
    env["BOT_CREDENTIALS"] = str(credentials)
    run_env = {**os.environ, **env, "PYTHONPATH": str(ROOT)}
    for command in ("migrate", "load-demo"):
        subprocess.run(
            [str(ROOT / ".venv" / "backend" / "bin" / "python"), "-m", "ticketing.cli", command],
            env=run_env,
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
    stack = Stack(env, Ports(free_port(), free_port(), free_port()), work)
    stack.start()
    rows = []
    try:
        stack.wait_healthy(timeout=240)
        rasa = f"http://127.0.0.1:{stack.ports.rasa}"
        asyncio.run(rest_run(f"{rasa}/webhooks/rest/webhook", 2, 3))  # warm up (first KB search, caches)
        for concurrency in [int(c) for c in args.customers.split(",")]:
            print(f"WhatsApp, {concurrency} customer(s), {args.seconds:.0f} s…", flush=True)
            webhook = f"{rasa}/webhooks/whatsapp/webhook"
            spawn = multiprocessing.get_context("spawn")
            probe_times = spawn.Queue()
            prober = spawn.Process(
                target=probe, args=(webhook, env["WHATSAPP_APP_SECRET"], args.seconds, 0.05, probe_times)
            )
            prober.start()
            wa = asyncio.run(whatsapp_run(webhook, env["WHATSAPP_APP_SECRET"], graph, concurrency, args.seconds))
            wa["probe"] = stats(probe_times.get(timeout=120))
            prober.join()
            print(f"REST, {concurrency} customer(s), {args.seconds:.0f} s…", flush=True)
            rest = (
                {"end": stats([])}
                if args.no_rest
                else asyncio.run(rest_run(f"{rasa}/webhooks/rest/webhook", concurrency, args.seconds))
            )
            rows.append((concurrency, wa, rest))
            print(json.dumps({"whatsapp": wa, "rest": rest}), flush=True)
    finally:
        stack.stop()
        graph.close()
    lines = [
        f"`make bench-whatsapp` (`cd benchmarks && ../.venv/backend/bin/python whatsapp_bench.py --seconds "
        f"{args.seconds:.0f}`): the three real processes on SQLite, Rasa's WhatsApp channel sending to a local fake "
        "Graph API. Each customer asks KB questions one after another (0.3 s after each answer). WhatsApp: "
        "acknowledgement = the webhook's answer to Meta's signed POST; end to end = POST → the first Graph request "
        "for that customer. REST: the same questions, end to end = the request's latency (the reply is in its "
        "answer). Ratio = WhatsApp end to end ÷ REST at the same concurrency.",
        "",
        "Ack (Meta alone) = a separate process posting a signed delivery status every 50 ms meanwhile, as Meta "
        "does, timed on its own (the customers' process also runs the fake Graph API and every client, and its own "
        "turns show in its figures).",
        "",
        "| customers | ack p50 ms | ack p99 ms | ack (Meta alone) p50 ms | p99 ms | WhatsApp e2e p50 ms | e2e p95 ms | "
        "REST p50 ms | REST p95 ms | p50 ratio | p95 ratio | messages (lost) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for concurrency, wa, rest in rows:
        lines.append(
            f"| {concurrency} | {wa['ack']['p50']:.1f} | {wa['ack']['p99']:.1f} | {wa['probe']['p50']:.1f} | "
            f"{wa['probe']['p99']:.1f} | {wa['end']['p50']:.0f} | "
            f"{wa['end']['p95']:.0f} | {rest['end']['p50']:.0f} | {rest['end']['p95']:.0f} | "
            f"{wa['end']['p50'] / max(rest['end']['p50'], 1e-9):.2f} | {wa['end']['p95'] / max(rest['end']['p95'], 1e-9):.2f} | "
            f"{wa['ack']['n']} ({wa['lost']}) |"
        )
    if not args.no_write:
        write_section("WhatsApp channel: acknowledgement and end to end, next to REST", "\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
