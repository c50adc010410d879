"""The backend server with several workers, as docker compose and the benchmark run it (real processes, real HTTP)."""

import os
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from scripts.stack import free_port
from ticketing.cli import restart_delay

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def env(tmp_path):
    values = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "TICKETING_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
        "TICKETING_API_TOKEN": "server-test-token",
        "TICKETING_SECRET_KEY": "server-test-secret",
        "TICKETING_CACHE_DIR": str(ROOT / "var" / "cache"),
    }
    for command in ("migrate", "load-demo"):
        subprocess.run([sys.executable, "-m", "ticketing.cli", command], env=values, cwd=ROOT, check=True)
    return values


def serve(env, port: int, workers: int) -> subprocess.Popen:
    command = [sys.executable, "-m", "ticketing.cli", "serve", "--port", str(port), "--workers", str(workers)]
    return subprocess.Popen(command, env=env, cwd=ROOT, stderr=subprocess.PIPE, text=True)


def wait_healthy(url: str, process: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read()
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    raise AssertionError("the server did not become healthy")


def workers_of(pid: int) -> list[int]:
    """The server's worker processes (not multiprocessing's resource tracker)."""
    kids = [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    return [k for k in kids if b"spawn_main" in Path(f"/proc/{k}/cmdline").read_bytes()]


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


def established(pid: int, port: int) -> int:
    """How many connections to `port` the process holds open (from /proc: no extra package needed)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd)
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01" and fields[9] in inodes:
            count += 1
    return count


def test_two_workers_share_the_connections_and_stop_together(env):
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    server = serve(env, port, workers=2)
    clients = [httpx.Client(base_url=url, headers={"Authorization": "Bearer server-test-token"}) for _ in range(16)]
    try:
        wait_healthy(url, server)
        workers = workers_of(server.pid)
        assert len(workers) == 2

        def create(n: int) -> int:
            body = {
                "customer": {"name": f"C{n}", "email": f"c{n}@example.com"},
                "description": "Mi pedido no llega",
                "channel": "web",
                "consent": True,
            }
            return clients[n].post("/api/v1/tickets", json=body, timeout=30).status_code

        # Sixteen clients at once, each keeping its connection open: every ticket is created, and the kernel spread
        # the connections over both workers (all sixteen on one would happen once in 32,768 runs).
        with ThreadPoolExecutor(16) as pool:
            assert list(pool.map(create, range(16))) == [201] * 16
        for client in clients:  # each connection just used (none closed as idle on a slow machine), then counted
            assert client.get("/health").status_code == 200
        held = [established(w, port) for w in workers]
        assert sum(held) == 16 and min(held) >= 1, held
        # A worker that dies is started again on its socket, and the server keeps answering meanwhile.
        os.kill(workers[0], signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not (len(new := workers_of(server.pid)) == 2 and workers[0] not in new and all(map(alive, new))):
            assert time.monotonic() < deadline, "the dead worker was not started again"
            time.sleep(0.2)
        wait_healthy(url, server)
        workers = new
    finally:
        for client in clients:
            client.close()
        server.send_signal(signal.SIGINT)
        server.wait(timeout=30)
    assert not any(alive(w) for w in workers)


def test_a_taken_port_is_refused_with_a_clear_message(env):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        server = serve(env, taken.getsockname()[1], workers=2)
        _, err = server.communicate(timeout=60)
    assert server.returncode == 3
    assert "cannot listen on 127.0.0.1" in err


def test_a_worker_that_keeps_crashing_waits_longer_each_time_up_to_a_minute():
    assert [restart_delay(n) for n in (1, 2, 3, 4)] == [0.5, 1, 2, 4]
    assert restart_delay(20) == 60
