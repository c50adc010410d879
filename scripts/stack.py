"""Start, watch and stop Mostrador's three processes: ticketing, the action server and Rasa.

Used by `make run` (scripts/run.py) and by the end-to-end tests, so both run exactly the same commands.
Standard library only: it runs before any environment is guaranteed.
"""

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BACKEND_PY = ROOT / ".venv" / "backend" / "bin" / "python"
BOT_BIN = ROOT / ".venv" / "bot" / "bin"
MODEL = ROOT / "bot" / "models" / "mostrador.tar.gz"


class StackError(Exception):
    """A process could not start or become healthy; the message says which and why."""


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
    return True


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def read_env_file(path: Path) -> dict[str, str]:
    values = {}
    if path.exists():
        for line in path.read_text().splitlines():
            line = line.strip()
            if line and not line.startswith("#") and "=" in line:
                key, value = line.split("=", 1)
                values[key.strip()] = value.strip().strip('"').strip("'")
    return values


@dataclass
class Service:
    name: str
    command: list[str]
    cwd: Path
    env: dict[str, str]
    health_url: str
    process: subprocess.Popen | None = None
    log: list[str] = field(default_factory=list)


@dataclass
class Ports:
    ticketing: int = 8000
    actions: int = 5055
    rasa: int = 5005


class Stack:
    """The three processes with their ports, environment and health checks."""

    def __init__(self, env: dict[str, str], ports: Ports, var_dir: Path, echo: bool = False):
        self.ports, self.var_dir, self.echo = ports, var_dir, echo
        var_dir.mkdir(parents=True, exist_ok=True)
        base = {**os.environ, **env, "PYTHONUNBUFFERED": "1", "RASA_TELEMETRY_ENABLED": "false"}
        ticketing_url = f"http://127.0.0.1:{ports.ticketing}"
        base.setdefault("TICKETING_DATABASE_URL", f"sqlite:///{var_dir / 'ticketing.db'}")
        base["TICKETING_BOT_URL"] = f"http://127.0.0.1:{ports.rasa}"
        base.setdefault("TICKETING_BOT_API_TOKEN", base.get("BOT_API_TOKEN", ""))
        base.setdefault("TICKETING_PUBLIC_URL", f"http://localhost:{ports.ticketing}")
        base["ACTIONS_TICKETING_URL"] = ticketing_url
        base.setdefault("ACTIONS_TICKETING_TOKEN", base.get("TICKETING_API_TOKEN", ""))
        base.setdefault("ACTIONS_HELP_CENTER_URL", base["TICKETING_PUBLIC_URL"])
        base["BOT_ACTIONS_URL"] = f"http://127.0.0.1:{ports.actions}/webhook"
        base["ACTIONS_BOT_URL"] = f"http://127.0.0.1:{ports.rasa}"
        base.setdefault("ACTIONS_BOT_API_TOKEN", base.get("BOT_API_TOKEN", ""))
        base.setdefault("ACTIONS_OUTBOX_DB", str(var_dir / "actions-outbox.db"))
        base.setdefault("BOT_TRACKER_DB", str(var_dir / "tracker.db"))
        base.setdefault("WHATSAPP_INBOX_DB", str(var_dir / "whatsapp-inbox.db"))
        base["WHATSAPP_TICKETING_URL"] = ticketing_url
        base.setdefault("WHATSAPP_TICKETING_TOKEN", base.get("TICKETING_API_TOKEN", ""))
        # The chat widget: browsers reach Rasa's socket.io here, from pages of the backend's origin.
        base.setdefault("TICKETING_WIDGET_SOCKET_URL", f"http://localhost:{ports.rasa}")
        # The same site by name and by address (a browser sends whichever the address bar shows).
        public = base["TICKETING_PUBLIC_URL"].rstrip("/")
        twins = {public, public.replace("://localhost", "://127.0.0.1"), public.replace("://127.0.0.1", "://localhost")}
        base.setdefault("BOT_WIDGET_ORIGINS", ",".join(sorted(twins)))
        self.env = base
        root_path = str(ROOT)
        token = base.get("BOT_API_TOKEN", "")
        if not token:
            # Without a token Rasa's HTTP API answers anyone who reaches the port its chat channels use:
            # trigger_intent would let a stranger push an agent reply or a ticket into any conversation.
            raise StackError("BOT_API_TOKEN is empty: set it in .env (make run generates one) so Rasa's API needs it")
        self.services = [
            Service(
                "ticketing",
                [str(BACKEND_PY), "-m", "ticketing.cli", "serve", "--port", str(ports.ticketing)],
                ROOT,
                {**base, "PYTHONPATH": root_path},
                f"{ticketing_url}/health",
            ),
            Service(
                "actions",
                [str(BOT_BIN / "python"), "-m", "rasa_sdk", "--actions", "actions", "--port", str(ports.actions)],
                ROOT / "bot",
                {**base, "PYTHONPATH": f"{root_path}{os.pathsep}{ROOT / 'bot'}"},
                f"http://127.0.0.1:{ports.actions}/health",
            ),
            Service(
                "rasa",
                [
                    str(BOT_BIN / "rasa"),
                    "run",
                    "--enable-api",
                    # One argument: a token may begin with "-" (token_urlsafe does, 1 time in 64), which rasa's
                    # argparse would read as an option of its own.
                    f"--auth-token={token}",
                    "--port",
                    str(ports.rasa),
                    "--model",
                    str(MODEL),
                    "--endpoints",
                    base.get("BOT_ENDPOINTS", "endpoints.yml"),
                    "--credentials",
                    base.get("BOT_CREDENTIALS", "credentials.yml"),
                    "--cors",
                    "*",
                ],
                ROOT / "bot",
                {**base, "PYTHONPATH": f"{root_path}{os.pathsep}{ROOT / 'bot'}"},
                f"http://127.0.0.1:{ports.rasa}/status?token={token}",
            ),
        ]

    def check_ports(self) -> None:
        for name, port in (
            ("ticketing", self.ports.ticketing),
            ("actions", self.ports.actions),
            ("rasa", self.ports.rasa),
        ):
            if not port_is_free(port):
                raise StackError(
                    f"port {port} ({name}) is already in use: stop what is using it "
                    f"(lsof -i :{port}) or set MOSTRADOR_{name.upper()}_PORT"
                )

    def log_path(self, name: str) -> Path:
        """Everything the service printed since it started (the privacy test reads all three)."""
        return self.var_dir / "logs" / f"{name}.log"

    def _pump(self, service: Service) -> None:
        path = self.log_path(service.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8") as file:
            for line in service.process.stdout:  # type: ignore[union-attr]
                file.write(line)
                file.flush()
                line = line.rstrip()
                service.log.append(line)
                del service.log[:-200]
                if self.echo:
                    print(f"[{service.name}] {line}", flush=True)

    def start(self) -> None:
        for service in self.services:
            self.start_service(service.name)

    def service(self, name: str) -> Service:
        return next(s for s in self.services if s.name == name)

    def start_service(self, name: str) -> None:
        service = self.service(name)
        service.process = subprocess.Popen(
            service.command,
            cwd=service.cwd,
            env=service.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        threading.Thread(target=self._pump, args=(service,), daemon=True).start()

    def stop_service(self, name: str, sig: int = signal.SIGTERM, timeout: float = 15) -> None:
        """Stop one process (SIGKILL: as if it crashed) and wait until it is gone."""
        service = self.service(name)
        if service.process and service.process.poll() is None:
            os.killpg(service.process.pid, sig)
            try:
                service.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                os.killpg(service.process.pid, signal.SIGKILL)
                service.process.wait(timeout=timeout)

    def wait_service_healthy(self, name: str, timeout: float = 180) -> None:
        service = self.service(name)
        deadline = time.monotonic() + timeout
        while not self._healthy(service):
            if service.process and service.process.poll() is not None:
                tail = "\n".join(service.log[-15:])
                raise StackError(f"{service.name} exited with code {service.process.returncode}:\n{tail}")
            if time.monotonic() > deadline:
                raise StackError(f"{name} not healthy after {timeout:.0f}s:\n" + "\n".join(service.log[-15:]))
            time.sleep(0.3)

    def _healthy(self, service: Service) -> bool:
        try:
            with urllib.request.urlopen(service.health_url, timeout=2) as response:
                body = response.read().decode()
        except (urllib.error.URLError, OSError):
            return False
        # Rasa answers /status before its model is loaded; ready means a model is there.
        return (
            not service.name.startswith("rasa")
            or '"model_id"' in body
            and '"model_id":null' not in body.replace(" ", "")
        )

    def wait_healthy(self, timeout: float = 180, progress=None) -> None:
        deadline = time.monotonic() + timeout
        pending = list(self.services)
        while pending:
            for service in list(pending):
                if service.process and service.process.poll() is not None:
                    tail = "\n".join(service.log[-15:])
                    raise StackError(f"{service.name} exited with code {service.process.returncode}:\n{tail}")
                if self._healthy(service):
                    pending.remove(service)
                    if progress:
                        progress(f"{service.name} is ready")
            if pending and time.monotonic() > deadline:
                names = ", ".join(s.name for s in pending)
                tails = "\n".join(f"--- {s.name}\n" + "\n".join(s.log[-15:]) for s in pending)
                raise StackError(f"not healthy after {timeout:.0f}s: {names}\n{tails}")
            time.sleep(0.5)

    def stop(self) -> None:
        for service in self.services:
            if service.process and service.process.poll() is None:
                os.killpg(service.process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for service in self.services:
            if service.process:
                try:
                    service.process.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    os.killpg(service.process.pid, signal.SIGKILL)

    def first_exited(self) -> Service | None:
        return next((s for s in self.services if s.process and s.process.poll() is not None), None)


def _interrupt(_signum, _frame):
    raise KeyboardInterrupt


def main_loop(stack: Stack) -> int:
    """Block until Ctrl-C (or SIGTERM) or until a process dies; then stop the rest."""
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        while True:
            dead = stack.first_exited()
            if dead:
                print(
                    f"\n{dead.name} stopped (exit code {dead.process.returncode}); stopping the others.",
                    file=sys.stderr,
                )
                return 1
            time.sleep(0.5)
    except KeyboardInterrupt:
        print("\nstopping…")
        return 0
    finally:
        stack.stop()
