"""A local stand-in for Meta's Graph API: records every request it gets and answers as Meta does.

Only the parts Mostrador uses: `POST /{phone_number_id}/messages`. It can fail on demand — the next N requests
with HTTP 500 or 429 (Meta's rate-limit codes), or every send to one number with a given Meta error (131047:
the customer's 24-hour window is closed; 131026: not on WhatsApp) — so tests see what the channel does then.
Standard library only: the backend's tests, the bot's tests and the benchmarks all use it.
"""

import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

ERRORS = {
    130429: (429, "Rate limit hit"),
    131056: (429, "(Business Account, Consumer Account) pair rate limit hit"),
    131047: (400, "Re-engagement message"),
    131026: (400, "Message undeliverable"),
    190: (401, "Error validating access token: Session has expired"),
    131000: (500, "Something went wrong"),
}


@dataclass
class GraphRequest:
    path: str
    authorization: str | None
    body: Any
    at: float
    status: int  # what the fake answered
    wamid: str | None = None

    @property
    def to(self) -> str | None:
        return self.body.get("to") if isinstance(self.body, dict) else None

    @property
    def type(self) -> str | None:
        return self.body.get("type") if isinstance(self.body, dict) else None

    @property
    def text(self) -> str:
        """What the customer reads: a text's body, an interactive message's body, or a template's name."""
        body = self.body if isinstance(self.body, dict) else {}
        if body.get("type") == "text":
            return body["text"]["body"]
        if body.get("type") == "interactive":
            return body["interactive"]["body"]["text"]
        if body.get("type") == "template":
            return f"template:{body['template']['name']}"
        return ""

    @property
    def choices(self) -> list[tuple[str, str]]:
        """(id, title) of the buttons or list rows offered."""
        interactive = (self.body or {}).get("interactive") or {}
        action = interactive.get("action") or {}
        if interactive.get("type") == "button":
            return [(b["reply"]["id"], b["reply"]["title"]) for b in action.get("buttons", [])]
        return [(r["id"], r["title"]) for s in action.get("sections", []) for r in s.get("rows", [])]


@dataclass
class FakeGraph:
    requests: list[GraphRequest] = field(default_factory=list)
    fail_next: list[int] = field(default_factory=list)  # Meta error codes (or plain 500) for the next requests
    fail_recipients: dict[str, int] = field(default_factory=dict)  # number -> Meta error code, every time
    on_request: Any = None  # called with each request recorded (from the server's thread): benchmarks time sends

    def __post_init__(self):
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = raw.decode(errors="replace")
                status, answer, headers = fake._answer(self.path, body)
                record = GraphRequest(self.path, self.headers.get("Authorization"), body, time.time(), status)
                if status == 200:
                    record.wamid = answer["messages"][0]["id"]
                with fake._lock:
                    fake.requests.append(record)
                if fake.on_request is not None:
                    fake.on_request(record)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v21.0"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def _answer(self, path: str, body: Any) -> tuple[int, dict, dict]:
        to = body.get("to") if isinstance(body, dict) else None
        with self._lock:
            code = self.fail_next.pop(0) if self.fail_next else self.fail_recipients.get(to)
        if code is not None:
            status, title = ERRORS.get(code, (500, "Internal error"))
            error = {
                "message": f"(#{code}) {title}",
                "type": "OAuthException",
                "code": code,
                "error_data": {"messaging_product": "whatsapp", "details": title},
                "fbtrace_id": "AbCdEfGh",
            }
            return status, {"error": error}, ({"Retry-After": "1"} if status == 429 else {})
        if not path.endswith("/messages") or not isinstance(body, dict) or body.get("messaging_product") != "whatsapp":
            return 400, {"error": {"message": "(#100) Invalid parameter", "type": "OAuthException", "code": 100}}, {}
        wamid = f"wamid.FAKE{next(self._ids):08d}"
        return (
            200,
            {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}], "messages": [{"id": wamid}]},
            {},
        )

    def sent_to(self, number: str) -> list[GraphRequest]:
        with self._lock:
            return [r for r in self.requests if r.to == number and r.status == 200]

    def wait_for(self, number: str, predicate, timeout: float = 30) -> list[GraphRequest]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            sent = self.sent_to(number)
            if predicate(sent):
                return sent
            time.sleep(0.05)
        raise AssertionError(f"not sent to {number} within {timeout}s; got {[r.text for r in self.sent_to(number)]}")

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
