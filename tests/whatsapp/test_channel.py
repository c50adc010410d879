"""The channel's output side where no Graph API is involved."""

import asyncio
import json
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import aiohttp
import pytest

from mostrador_whatsapp.channel import STATUSES_PATH, SendFailed, WhatsAppInput, WhatsAppRuntime, report_errors
from mostrador_whatsapp.inbox import Inbox
from mostrador_whatsapp.settings import WhatsAppSettings


def test_a_push_to_a_whatsapp_conversation_on_a_server_without_whatsapp_settings_fails_instead_of_vanishing(tmp_path):
    none = {"app_secret": "", "verify_token": "", "access_token": "", "phone_number_id": ""}  # not configured
    settings = WhatsAppSettings(**none, inbox_path=tmp_path / "inbox.db")
    output = WhatsAppInput(settings).get_output_channel()
    assert output is not None  # Rasa would otherwise collect the message and answer 200
    with pytest.raises(SendFailed, match=r"whatsapp 0 \(temporary\): the WhatsApp channel is not configured"):
        asyncio.run(output.send_response("56912345678", {"text": "Hola"}))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Backend(ThreadingHTTPServer):
    """A stand-in for the ticketing backend's statuses route: records what it is sent, answers 200."""

    def __init__(self, port: int):
        self.received: list[tuple[str | None, dict]] = []
        backend = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                backend.received.append((self.headers.get("Authorization"), body))
                answer = json.dumps({"recorded": len(body["statuses"]), "unknown": []}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args):
                pass

        super().__init__(("127.0.0.1", port), Handler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


def test_statuses_for_the_backend_wait_in_the_inbox_while_it_is_down_and_go_when_it_is_back(tmp_path):
    port = free_port()
    settings = WhatsAppSettings(
        app_secret="secret",
        verify_token="verify",
        access_token="token",
        phone_number_id="106540352242922",
        graph_url="http://127.0.0.1:9",
        inbox_path=tmp_path / "inbox.db",
        ticketing_url=f"http://127.0.0.1:{port}",
        ticketing_token="service-token",
    )
    runtime = WhatsAppRuntime(settings)
    runtime.inbox = Inbox(settings.inbox_path)
    runtime._sent("wamid.REPLY", "56912345678", "17")  # the backend's outbox message 17 went out as wamid.REPLY
    runtime._sent("wamid.ANSWER", "56912345678", None)  # the bot's own answer: nothing for the backend
    url = settings.ticketing_url + STATUSES_PATH

    async def flush() -> None:
        runtime._backend = aiohttp.ClientSession(headers={"Authorization": "Bearer service-token"})
        try:
            await runtime._flush_reports(url)
        finally:
            await runtime._backend.close()

    asyncio.run(flush())  # nobody listens on the port: kept, for later
    assert runtime.inbox.waiting_reports() == 1 and runtime.inbox.due_reports() == []
    backend = Backend(port)
    try:
        runtime.inbox.db.execute("UPDATE status_report SET next_attempt_at = 0")  # the retry's time has come
        asyncio.run(flush())
    finally:
        backend.shutdown()
    ((authorization, body),) = backend.received
    assert authorization == "Bearer service-token"
    assert [{k: v for k, v in s.items() if k != "timestamp"} for s in body["statuses"]] == [
        {"wamid": "wamid.REPLY", "status": "sent", "outbound_id": 17}
    ]
    assert runtime.inbox.waiting_reports() == 0


def test_metas_errors_are_reported_as_the_backend_takes_them():
    errors = [
        {"code": 131047, "title": "Re-engagement message", "error_data": {"details": "more than 24 hours"}},
        {"code": "x", "message": "m" * 2000},
    ]
    assert report_errors(errors) == [
        {"code": 131047, "title": "Re-engagement message", "message": None, "details": "more than 24 hours"},
        {"code": None, "title": None, "message": "m" * 1000, "details": None},
    ]


def test_the_settings_come_from_whatsapp_variables_and_say_what_is_missing(monkeypatch, tmp_path):
    monkeypatch.setenv("WHATSAPP_APP_SECRET", "s3cret")
    monkeypatch.setenv("WHATSAPP_GRAPH_URL", "http://127.0.0.1:9/v21.0/")
    monkeypatch.setenv("WHATSAPP_INBOX_DB", str(tmp_path / "inbox.db"))
    monkeypatch.setenv("WHATSAPP_CONCURRENCY", "8")
    monkeypatch.setenv("WHATSAPP_REDIS_URL", "")
    for name in ("WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"):
        monkeypatch.delenv(name, raising=False)
    settings = WhatsAppSettings.from_env()
    assert (settings.app_secret, settings.graph_url, settings.concurrency) == ("s3cret", "http://127.0.0.1:9/v21.0", 8)
    assert settings.inbox_path == tmp_path / "inbox.db" and settings.redis_url is None
    assert not settings.configured
    assert settings.missing() == ["WHATSAPP_VERIFY_TOKEN", "WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"]
