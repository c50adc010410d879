"""The WhatsApp Cloud API channel: Rasa's input channel `whatsapp` and its output channel.

In credentials.yml: `mostrador_whatsapp.channel.WhatsAppInput:` (settings come from WHATSAPP_* variables).

    GET  /webhooks/whatsapp/webhook   Meta's verification: hub.mode=subscribe and our verify token echo hub.challenge
    POST /webhooks/whatsapp/webhook   notifications, signed with the app secret (X-Hub-Signature-256)

A POST is answered as soon as its signature is checked and its body is kept in the durable inbox (inbox.py); a
worker (its own thread and event loop, so the bot's CPU work never holds up an acknowledgement) then takes
notifications in order: statuses are recorded, each customer message is
claimed by its wamid (duplicates dropped) and goes through the bot, one at a time per customer and concurrently
across customers. Statuses of what the backend sent (agent replies, resolutions: their outbox id travels with
them) are reported to the backend (`POST /api/v1/channels/whatsapp/statuses`, with the service token), first
with the wamid the Graph API returned, then with each of Meta's statuses for it. The bot's answers go out through the Graph API (graph.py) as WhatsApp messages (messages.py).
What the backend pushes (`trigger_intent` with `output_channel=latest`) comes back here through
`get_output_channel`, so an agent's reply reaches the customer's phone from any Rasa server.
"""

import asyncio
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Any

from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from mostrador.pushed_intents import PUSHED_INTENTS, TYPED_INTERNAL_INTENT
from mostrador_whatsapp.graph import GraphClient, GraphError, masked
from mostrador_whatsapp.inbox import Inbox
from mostrador_whatsapp.messages import graph_messages
from mostrador_whatsapp.settings import WhatsAppSettings
from mostrador_whatsapp.webhook import (
    BadNotification,
    Incoming,
    parse_body,
    read_notification,
    signature_is_valid,
)

log = logging.getLogger(__name__)

CHANNEL = "whatsapp"
MAX_BODY_BYTES = 512 * 1024  # Meta's notifications are a few KB; a 70 KB text still fits
# Notifications going through the bot at once (different customers; one customer's are always in order). The bot's
# NLU and policies run on the server's event loop, which must also answer Meta quickly: with many messages in
# flight a new POST waits behind all of them, so a few at a time keep the acknowledgement fast and the rest wait in
# the inbox (the CPU is the limit either way): WHATSAPP_CONCURRENCY, 4 by default (settings.concurrency).
# A button id that names an intent only the backend pushes (trigger_intent) is not one of ours.
NOT_A_BUTTON = PUSHED_INTENTS | {TYPED_INTERNAL_INTENT}
SEND_RETRY_DELAYS = (5, 15, 60, 300, 900)
REPORT_RETRY_DELAYS = (1, 2, 5, 15, 60, 300)  # statuses the backend could not take: tried again, never dropped
STATUSES_PATH = "/api/v1/channels/whatsapp/statuses"
REPORTED = ("sent", "delivered", "read", "failed")  # Meta's statuses the backend records (not e.g. "deleted")


def report_errors(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Meta's errors on a failed status, as the backend takes them (code, title, message, details)."""
    out = []
    for error in errors[:10]:
        data = error.get("error_data") if isinstance(error.get("error_data"), dict) else {}
        code = error.get("code")
        out.append(
            {
                "code": code if isinstance(code, int) and not isinstance(code, bool) and code >= 0 else None,
                "title": str(error["title"])[:1000] if error.get("title") else None,
                "message": str(error["message"])[:1000] if error.get("message") else None,
                "details": str(data["details"])[:1000] if data.get("details") else None,
            }
        )
    return out


def outbound_id(ref: str | None) -> int | None:
    try:
        return int(ref) if ref is not None else None
    except ValueError:
        return None


def _error(status: int, code: str, detail: str) -> HTTPResponse:
    return response.json({"detail": detail, "code": code}, status=status)


class SendFailed(Exception):
    """A message pushed by the backend could not be delivered; the reason names Meta's error code."""


class WhatsAppRuntime:
    """What the input and output sides share in one Rasa server: settings, the inbox, the Graph client, the worker."""

    def __init__(self, settings: WhatsAppSettings):
        self.settings = settings
        self.graph = GraphClient(
            settings.graph_url, settings.phone_number_id, settings.access_token, settings.send_timeout_seconds
        )
        self.inbox: Inbox | None = None
        self.app: Any = None
        self.on_new_message: Callable[[UserMessage], Awaitable[Any]] | None = None
        self._wake = asyncio.Event()
        self._slots = asyncio.Semaphore(self.settings.concurrency)
        self._tails: dict[str, asyncio.Task] = {}
        self._worker: asyncio.Task | None = None
        self._thread: threading.Thread | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self._dispatched = 0
        self._report_wake = asyncio.Event()
        self._reporter: asyncio.Task | None = None
        self._backend: Any = None  # aiohttp session to the ticketing backend, in the worker's loop

    # --- lifecycle (Sanic listeners of the blueprint)
    def start(self, app: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        """Open the inbox and start the worker: a thread with its own event loop, so the bot's work (NLU and
        policies are CPU work that holds an event loop) never delays the webhook's acknowledgement on Rasa's loop."""
        self.app, self.on_new_message = app, on_new_message
        self.inbox = Inbox(self.settings.inbox_path, self.settings.redis_url, self.settings.inbox_sync)
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            asyncio.set_event_loop(loop)
            self.loop = loop
            self._wake = asyncio.Event()
            self._report_wake = asyncio.Event()
            self._slots = asyncio.Semaphore(self.settings.concurrency)
            self._worker = loop.create_task(self._work())
            if self.settings.ticketing_token:
                self._reporter = loop.create_task(self._report_statuses())
            else:
                log.warning("WHATSAPP_TICKETING_TOKEN is not set: delivery statuses are not reported to the backend")
            ready.set()
            try:
                loop.run_until_complete(self._worker)
            except asyncio.CancelledError:
                pass
            finally:
                if self._reporter is not None:
                    self._reporter.cancel()
                    loop.run_until_complete(asyncio.gather(self._reporter, return_exceptions=True))
                loop.run_until_complete(self._close_worker_side())
                loop.close()

        self._thread = threading.Thread(target=run, name="whatsapp-worker", daemon=True)
        self._thread.start()
        ready.wait(10)

    async def _close_worker_side(self) -> None:
        await self.graph.close()
        if self._backend is not None:
            await self._backend.close()
        if self.inbox is not None:
            await self.inbox.close()

    async def stop(self) -> None:
        await self.graph.close()  # the session Rasa's own loop used for pushed messages
        if self.loop is not None and self._worker is not None:
            self.loop.call_soon_threadsafe(self._worker.cancel)
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 15)

    # --- receiving
    def keep(self, body: bytes) -> None:
        assert self.inbox is not None
        self.inbox.keep(body)
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._wake.set)

    def _agent_ready(self) -> bool:
        agent = getattr(getattr(self.app, "ctx", None), "agent", None)
        return bool(agent and agent.is_ready())

    async def _work(self) -> None:
        while not self._agent_ready():
            await asyncio.sleep(0.2)
        assert self.inbox is not None
        self._dispatched = 0  # everything left in the inbox by a previous run is processed first
        last_housekeeping = 0.0
        while True:
            try:
                rows = self.inbox.waiting(self._dispatched)
                for notification_id, body in rows:
                    await self._slots.acquire()
                    self._dispatched = notification_id
                    asyncio.get_running_loop().create_task(self._process(notification_id, body))
                if time.monotonic() - last_housekeeping > 1:
                    last_housekeeping = time.monotonic()
                    await self._retry_sends()
                    self.inbox.forget_old()
                if not rows:
                    self._wake.clear()
                    try:
                        await asyncio.wait_for(self._wake.wait(), timeout=1)
                    except asyncio.TimeoutError:
                        pass
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("WhatsApp inbox worker failed; continuing in a second")
                await asyncio.sleep(1)

    async def _process(self, notification_id: int, body: bytes) -> None:
        assert self.inbox is not None
        try:
            messages, statuses = read_notification(parse_body(body))
            for status in statuses:
                known, ref = self.inbox.status(status.wamid, status.recipient, status.status, status.errors)
                if status.status in REPORTED and (ref is not None or not known):
                    # What the backend sent, or sent by another Rasa server (the backend knows its wamid): reported.
                    # A status of the bot's own answer, sent from here, concerns nobody else.
                    self._queue_report(
                        {
                            "wamid": status.wamid[:200],
                            "status": status.status,
                            "timestamp": status.timestamp or None,
                            "outbound_id": outbound_id(ref),
                            "errors": report_errors(status.errors),
                        }
                    )
                if status.status == "failed":
                    log.warning(
                        "WhatsApp could not deliver %s to %s: %s", status.wamid, masked(status.recipient), status.errors
                    )
            turns = []
            for message in messages:
                if not await self.inbox.claim(message.wamid, notification_id):
                    log.info("WhatsApp message %s already processed: duplicate dropped", message.wamid)
                    continue
                turns.append(self._after_previous(message))
            await asyncio.gather(*turns)
            self.inbox.done(notification_id)
        except BadNotification:
            self.inbox.done(notification_id)  # checked before it was kept; cannot happen, never retried
        except Exception:
            # Kept in the inbox: processed again on the next start (the claims let the same row through).
            log.exception("WhatsApp notification %s failed; it stays in the inbox", notification_id)
        finally:
            self._slots.release()

    def _after_previous(self, message: Incoming) -> Awaitable[None]:
        """One customer's messages go through the bot in the order they arrived."""
        previous = self._tails.get(message.wa_id)

        async def turn() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            await self._handle(message)

        task = asyncio.get_running_loop().create_task(turn())
        self._tails[message.wa_id] = task
        task.add_done_callback(
            lambda t: self._tails.pop(message.wa_id) if self._tails.get(message.wa_id) is t else None
        )
        return task

    def _text_for(self, message: Incoming) -> str:
        """What the bot reads: the text, or a reply's id (our payload) — unless the id is not one we could have sent."""
        if not message.is_reply:
            return message.text
        payload = message.text.strip()
        if not payload.startswith("/"):
            return payload or (message.reply_title or "")
        intent = payload[1:]
        domain = getattr(getattr(self.app.ctx, "agent", None), "domain", None)
        known = set(domain.intents) if domain is not None else set()
        if intent in known and intent not in NOT_A_BUTTON:
            return payload
        log.warning("WhatsApp reply id %r is not one of the bot's buttons; read as its title", payload[:80])
        return (message.reply_title or "").lstrip("/")

    async def _handle(self, message: Incoming) -> None:
        assert self.on_new_message is not None
        metadata = {
            CHANNEL: {
                "wamid": message.wamid,
                "wa_id": message.wa_id,
                "profile_name": message.profile_name,
                "timestamp": message.timestamp,
                "attachment": asdict(message.attachment) if message.attachment else None,
            }
        }
        text = self._text_for(message) if not message.attachment else (message.text or f"[{message.attachment.type}]")
        await self.on_new_message(
            UserMessage(
                text=text,
                output_channel=WhatsAppOutput(self, pushed=False),
                sender_id=message.wa_id,
                input_channel=CHANNEL,
                metadata=metadata,
                message_id=message.wamid,
            )
        )

    # --- sending
    async def deliver(self, payload: dict[str, Any], message_ref: str | None, pushed: bool) -> None:
        """Send one Graph message. Pushed by the backend: failures are raised (its outbox retries and tells the
        agent). Answering the customer: a temporary failure is kept and retried; a permanent one is logged."""
        assert self.inbox is not None
        recipient = str(payload.get("to"))
        try:
            wamid = await self.graph.send(payload)
        except GraphError as error:
            if pushed:
                raise SendFailed(str(error)) from None
            if error.retryable:
                log.warning("WhatsApp send to %s deferred: %s", masked(recipient), error)
                self.inbox.defer(recipient, payload, message_ref, str(error), SEND_RETRY_DELAYS[0])
            else:
                log.error("WhatsApp send to %s failed for good: %s", masked(recipient), error)
                self.inbox.failed(recipient, message_ref, str(error))
            return
        self._sent(wamid, recipient, message_ref)

    def _sent(self, wamid: str, recipient: str, message_ref: str | None) -> None:
        """Meta took the message: kept with its wamid, and the backend told which of its messages that is."""
        assert self.inbox is not None
        self.inbox.sent(wamid, recipient, message_ref)
        if wamid and (ref := outbound_id(message_ref)) is not None:
            self._queue_report(
                {"wamid": wamid[:200], "status": "sent", "outbound_id": ref, "timestamp": int(time.time())}
            )

    # --- telling the backend
    def _queue_report(self, item: dict[str, Any]) -> None:
        assert self.inbox is not None
        if not self.settings.ticketing_token:
            return
        self.inbox.report(item)
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self._report_wake.set)

    async def _report_statuses(self) -> None:
        """Send waiting statuses to the backend as soon as there are some (and every second, for retries)."""
        import aiohttp

        self._backend = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=10),
            headers={"Authorization": f"Bearer {self.settings.ticketing_token}"},
        )
        url = self.settings.ticketing_url + STATUSES_PATH
        while True:
            self._report_wake.clear()
            try:
                await self._flush_reports(url)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("reporting WhatsApp statuses to the backend failed; trying again in a second")
            try:
                await asyncio.wait_for(self._report_wake.wait(), timeout=1)
            except asyncio.TimeoutError:
                pass

    async def _flush_reports(self, url: str) -> None:
        import aiohttp

        assert self.inbox is not None
        while due := self.inbox.due_reports():
            ids = [report_id for report_id, _, _ in due]
            delay = REPORT_RETRY_DELAYS[min(max(a for _, _, a in due), len(REPORT_RETRY_DELAYS) - 1)]
            try:
                async with self._backend.post(url, json={"statuses": [item for _, item, _ in due]}) as answer:
                    status, text = answer.status, await answer.text()
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("backend unreachable for %d WhatsApp statuses (%r); again in %ss", len(ids), exc, delay)
                self.inbox.report_later(ids, delay)
                return
            if status >= 300:
                log.warning("backend answered %s to %d WhatsApp statuses: %s", status, len(ids), text[:300])
                self.inbox.report_later(ids, delay)
                return
            self.inbox.reported(ids)

    async def _retry_sends(self) -> None:
        assert self.inbox is not None
        for send_id, recipient, payload, message_ref, attempts in self.inbox.due_sends():
            try:
                wamid = await self.graph.send_once(payload)
            except GraphError as error:
                if error.retryable and attempts < len(SEND_RETRY_DELAYS):
                    self.inbox.retry_later(send_id, attempts + 1, str(error), SEND_RETRY_DELAYS[attempts])
                else:
                    log.error("WhatsApp send to %s given up after %d attempts: %s", masked(recipient), attempts, error)
                    self.inbox.failed(recipient, message_ref, str(error))
                    self.inbox.drop_send(send_id)
                continue
            self._sent(wamid, recipient, message_ref)
            self.inbox.drop_send(send_id)


class WhatsAppOutput(OutputChannel):
    """Sends the bot's messages to one customer's phone through the Graph API."""

    def __init__(self, runtime: WhatsAppRuntime, pushed: bool):
        self.runtime, self.pushed = runtime, pushed

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        # The backend's outbox id (agent replies, resolutions): statuses from Meta are recorded against it.
        ref = message.get("outbound_id")
        for payload in graph_messages(recipient_id, message):
            await self.runtime.deliver(payload, str(ref) if ref is not None else None, self.pushed)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text})

    async def send_text_with_buttons(self, recipient_id: str, text: str, buttons: list, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {**kwargs, "text": text, "buttons": buttons})

    async def send_image_url(self, recipient_id: str, image: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"image": image})

    async def send_custom_json(self, recipient_id: str, json_message: dict[str, Any], **kwargs: Any) -> None:
        pass  # custom payloads (kb_article) describe what the text already says


class UnconfiguredOutput(OutputChannel):
    """What a push to a WhatsApp conversation meets on a Rasa server without the WhatsApp settings: an error."""

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        raise SendFailed("whatsapp 0 (temporary): the WhatsApp channel is not configured on this Rasa server")

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class WhatsAppInput(InputChannel):
    def __init__(self, settings: WhatsAppSettings):
        self.settings = settings
        self.runtime = WhatsAppRuntime(settings)

    @classmethod
    def name(cls) -> str:
        return CHANNEL

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> "WhatsAppInput":
        settings = WhatsAppSettings.from_env()
        if not settings.configured:
            log.warning(
                "WhatsApp channel not configured (missing %s): its webhook answers 503", ", ".join(settings.missing())
            )
        return cls(settings)

    def get_output_channel(self) -> OutputChannel | None:
        if not self.settings.configured or self.runtime.inbox is None:
            # Never a silent success: without this, Rasa would collect the message, answer 200, and the backend
            # would count it delivered. Temporary, so another Rasa server (or this one, fixed) can still send it.
            return UnconfiguredOutput()
        return WhatsAppOutput(self.runtime, pushed=True)

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = Blueprint("whatsapp_webhook", __name__)
        runtime, settings = self.runtime, self.settings

        @blueprint.listener("after_server_start")
        async def start(app: Any, _loop: Any) -> None:
            if settings.configured:
                runtime.start(app, on_new_message)

        @blueprint.listener("before_server_stop")
        async def stop(_app: Any, _loop: Any) -> None:
            if settings.configured:
                await runtime.stop()

        @blueprint.route("/", methods=["GET"])
        async def health(_request: Request) -> HTTPResponse:
            return response.json({"status": "ok" if settings.configured else "not configured"})

        @blueprint.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            if not settings.configured:
                return _error(503, "whatsapp_not_configured", "the WhatsApp channel is not configured")
            mode, token = request.args.get("hub.mode"), request.args.get("hub.verify_token") or ""
            challenge = request.args.get("hub.challenge") or ""
            import hmac

            if mode == "subscribe" and hmac.compare_digest(token.encode(), settings.verify_token.encode()):
                return response.text(challenge[:1000])
            return _error(403, "verification_failed", "wrong hub.mode or hub.verify_token")

        @blueprint.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not settings.configured or runtime.inbox is None:
                return _error(503, "whatsapp_not_configured", "the WhatsApp channel is not configured")
            body = request.body or b""
            if len(body) > MAX_BODY_BYTES:
                return _error(413, "body_too_large", f"notifications are at most {MAX_BODY_BYTES} bytes")
            if not signature_is_valid(settings.app_secret, body, request.headers.get("X-Hub-Signature-256")):
                return _error(403, "invalid_signature", "missing or wrong X-Hub-Signature-256")
            try:
                parse_body(body)
            except BadNotification as problem:
                return _error(400, problem.code, problem.detail)
            runtime.keep(body)  # committed before the acknowledgement: see inbox.py
            return response.json({"status": "received"})

        return blueprint
