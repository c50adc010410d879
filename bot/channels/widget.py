"""The website chat widget's channel: Rasa's socket.io channel, made safe to embed and to run on several servers.

What it changes from Rasa's own `socketio` channel (rasa/core/channels/socketio.py):

- Sessions. The browser keeps one secret, the session key (32 random bytes, made here, never chosen by the page),
  and the conversation's id in the tracker store is a hash of it (`web-` + SHA-256). So the key never leaves the
  browser and the server (tickets and the agent console see only the conversation id, which opens nothing), and a
  made-up or malformed key gets a new, empty conversation: it reads nothing. Every message is bound to the key the
  socket presented in `session_request`, never to an id the message names.
- History. After `session_request` the channel sends the conversation so far from the tracker store, including
  the agent replies pushed while the page was closed (they are in the tracker like any bot message).
- Several Rasa servers. The backend pushes agent replies, ticket numbers and resolutions through any server's
  `trigger_intent` with `output_channel=latest`; that server emits to the conversation's room. With
  `BOT_WIDGET_REDIS_URL` set the socket.io server uses python-socketio's Redis client manager, so an emit on one
  server reaches the socket held by another (Redis already runs in the deployment as Rasa's lock store: no new
  moving part, and no routing table of who holds which socket). Without it, an in-memory manager (one server).
- Origins. Only the origins in `BOT_WIDGET_ORIGINS` (comma-separated) may open a socket; unset, the backend's
  site (`TICKETING_PUBLIC_URL`, as `localhost` and as `127.0.0.1`) or else only the Rasa server's own origin (Rasa's
  channel turns the check off).
- One message per bot message, text with its buttons and the KB article's link together (Rasa's channel splits
  them, and its custom-JSON path fails on the `kb_article` payload), and `bot_done` when the bot has finished
  answering, so the widget knows when to stop showing "typing".
- Limits: messages over 5,000 characters are refused with a reason, empty ones ignored, and each socket may send
  at most `BURST` messages at once and one a second after that (a refused message goes back to the widget, which
  sends it again when it may).
"""

import hashlib
import logging
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from typing import Any

from pydantic import BaseSettings, Field
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.core.constants import EXTERNAL_MESSAGE_PREFIX
from rasa.shared.core.events import BotUttered, UserUttered
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncRedisManager, AsyncServer

log = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 5000
HISTORY_MESSAGES = 300
# Per socket: a burst of 30 messages, then one a second (a person types slower; a script flooding the bot does not).
BURST, REFILL_PER_SECOND = 30, 1.0
_SESSION_KEY = re.compile(r"^[A-Za-z0-9_-]{43}$")


def new_session_key() -> str:
    return secrets.token_urlsafe(32)  # 43 characters


def conversation_id(session_key: str) -> str:
    """The tracker's conversation id for a session key; the key cannot be worked out from it."""
    return "web-" + hashlib.sha256(f"mostrador-widget:{session_key}".encode()).hexdigest()[:40]


def valid_session_key(value: Any) -> bool:
    return isinstance(value, str) and bool(_SESSION_KEY.match(value))


def widget_message(text: str | None, data: dict[str, Any] | None, timestamp: float | None = None) -> dict[str, Any]:
    """A bot message as the widget renders it: text, buttons, and the few custom payloads it knows."""
    data = data or {}
    message: dict[str, Any] = {"from": "bot", "text": text or ""}
    buttons = data.get("buttons") or data.get("quick_replies") or []
    if buttons:
        message["buttons"] = [
            {"title": str(b.get("title", "")), "payload": str(b.get("payload", ""))} for b in buttons if b.get("title")
        ]
    custom = data.get("custom") or {}
    if isinstance(custom, dict):
        article = custom.get("kb_article")
        if isinstance(article, dict) and article.get("url"):
            message["kb_article"] = {k: article.get(k) for k in ("id", "title", "url")}
        if custom.get("agent_name") or custom.get("from") == "agent":
            message["from"] = "agent"
            message["agent_name"] = str(custom.get("agent_name") or "")
        if custom.get("csat"):
            message["csat"] = True
    if timestamp:
        message["timestamp"] = timestamp
    return message


def history(events: list[Any]) -> list[dict[str, Any]]:
    """What the customer saw and said, oldest first: their messages and the bot's and agents' replies."""
    shown: list[dict[str, Any]] = []
    for event in events:
        if isinstance(event, UserUttered):
            text = event.text or ""
            if not text or text.startswith(EXTERNAL_MESSAGE_PREFIX):
                continue  # pushed by the backend (agent_reply, ticket_resolved…): the bot's reply shows it
            display = (event.metadata or {}).get("display")
            if isinstance(display, str) and display.strip():
                text = display
            elif text.startswith("/"):
                continue  # a button's payload without the title it was shown with
            shown.append({"from": "customer", "text": text[:MAX_MESSAGE_CHARS], "timestamp": event.timestamp})
        elif isinstance(event, BotUttered):
            shown.append(widget_message(event.text, event.data, event.timestamp))
    return shown[-HISTORY_MESSAGES:]


class TokenBucket:
    def __init__(self, burst: int = BURST, per_second: float = REFILL_PER_SECOND):
        self.burst, self.per_second = burst, per_second
        self.tokens, self.at = float(burst), time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.at) * self.per_second)
        self.at = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True

    def wait(self) -> float:
        """Seconds until the next message is accepted."""
        return max(0.0, (1 - self.tokens) / self.per_second)


class WidgetOutput(OutputChannel):
    @classmethod
    def name(cls) -> str:
        return WidgetInput.name()

    def __init__(self, sio: AsyncServer, event: str):
        self.sio, self.event = sio, event

    async def send_response(self, recipient_id: str, message: dict[str, Any]) -> None:
        text = message.get("text")
        payload = widget_message(text, message, time.time())
        if payload["text"] or payload.get("buttons") or payload.get("kb_article"):
            await self.sio.emit(self.event, payload, room=recipient_id)

    async def send_text_message(self, recipient_id: str, text: str, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})


class SocketBlueprint(Blueprint):
    """Attaches the socket.io server to the Sanic app when the blueprint is registered."""

    def __init__(self, sio: AsyncServer, path: str, on_app: Callable[[Sanic], None], *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.ctx.sio, self.ctx.path, self.ctx.on_app = sio, path, on_app

    def register(self, app: Sanic, options: dict[str, Any]) -> None:
        self.ctx.sio.attach(app, self.ctx.path)
        self.ctx.on_app(app)
        super().register(app, options)


class WidgetSettings(BaseSettings):
    """The widget channel's settings, from BOT_WIDGET_* (credentials.yml's `widget:` entries win over them)."""

    origins: str | None = None  # comma-separated; "*" for any (never in production)
    redis_url: str | None = None  # several Rasa servers: agent replies reach the server that holds the socket
    redis_channel: str | None = None
    ticketing_public_url: str = Field("", env="TICKETING_PUBLIC_URL")  # without origins: the backend's own site

    class Config:
        env_prefix = "BOT_WIDGET_"


def _site(public: str) -> str | None:
    """Without BOT_WIDGET_ORIGINS: the backend's own site (its demo store), by name and by address."""
    public = (public or "").rstrip("/")
    if not public:
        return None
    twins = {public, public.replace("://localhost", "://127.0.0.1"), public.replace("://127.0.0.1", "://localhost")}
    return ",".join(sorted(twins))


def _origins(value: str | None) -> list[str] | str | None:
    origins = [o.strip().rstrip("/") for o in (value or "").split(",") if o.strip()]
    if origins == ["*"]:
        return "*"
    return origins or None  # None: python-engineio allows only the server's own origin


class WidgetInput(InputChannel):
    """The website chat widget (socket.io)."""

    @classmethod
    def name(cls) -> str:
        return "widget"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        credentials, settings = credentials or {}, WidgetSettings()
        return cls(
            origins=credentials.get("origins") or settings.origins or _site(settings.ticketing_public_url),
            redis_url=credentials.get("redis_url") or settings.redis_url,
            redis_channel=credentials.get("redis_channel") or settings.redis_channel,
            socketio_path=credentials.get("socketio_path", "/socket.io"),
        )

    def __init__(
        self,
        origins: str | None = None,
        redis_url: str | None = None,
        redis_channel: str | None = None,
        socketio_path: str = "/socket.io",
    ):
        self.origins, self.redis_url, self.socketio_path = _origins(origins), redis_url or None, socketio_path
        # Redis publish/subscribe channels are not per database: deployments sharing a Redis name their own.
        self.redis_channel = redis_channel or "mostrador-widget"
        self.sio: AsyncServer | None = None
        self.app: Sanic | None = None
        self.bot_event = "bot_uttered"

    def get_output_channel(self) -> OutputChannel | None:
        return WidgetOutput(self.sio, self.bot_event) if self.sio else None

    async def _history(self, conversation: str) -> list[dict[str, Any]]:
        agent = getattr(self.app.ctx, "agent", None) if self.app else None
        if agent is None or agent.tracker_store is None:
            return []
        tracker = await agent.tracker_store.retrieve_full_tracker(conversation)
        return history(list(tracker.events)) if tracker else []

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        manager = AsyncRedisManager(self.redis_url, channel=self.redis_channel) if self.redis_url else None
        sio = AsyncServer(
            async_mode="sanic",
            cors_allowed_origins=self.origins,
            client_manager=manager,
            max_http_buffer_size=64 * 1024,
        )
        self.sio = sio

        def keep_app(app: Sanic) -> None:
            self.app = app

        blueprint = SocketBlueprint(sio, self.socketio_path, keep_app, "widget_webhook", __name__)
        buckets: dict[str, TokenBucket] = {}

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect")
        async def connect(sid: str, environ: dict, auth: Any = None) -> bool:
            buckets[sid] = TokenBucket()
            return True

        @sio.on("disconnect")
        async def disconnect(sid: str, *args: Any) -> None:
            buckets.pop(sid, None)

        @sio.on("session_request")
        async def session_request(sid: str, data: Any = None) -> None:
            key = data.get("session_id") if isinstance(data, dict) else None
            if not valid_session_key(key):
                key = new_session_key()
            conversation = conversation_id(key)
            async with sio.session(sid) as session:
                session["conversation"] = conversation
            await sio.enter_room(sid, conversation)
            await sio.emit("session_confirm", {"session_id": key}, to=sid)
            try:
                messages = await self._history(conversation)
            except Exception:  # the tracker store is down: the conversation still works, without the past
                log.exception("could not read the history of %s", conversation)
                messages = []
            await sio.emit("history", {"messages": messages}, to=sid)

        @sio.on("user_uttered")
        async def handle_message(sid: str, data: Any = None) -> None:
            conversation = (await sio.get_session(sid)).get("conversation")
            if not conversation:
                await sio.emit("widget_error", {"code": "no_session"}, to=sid)
                return
            data = data if isinstance(data, dict) else {}
            text = data.get("message")
            if not isinstance(text, str) or not text.strip():
                return
            if len(text) > MAX_MESSAGE_CHARS:
                await sio.emit("widget_error", {"code": "too_long", "limit": MAX_MESSAGE_CHARS}, to=sid)
                return
            bucket = buckets.setdefault(sid, TokenBucket())
            if not bucket.take():
                # Nothing is lost: the widget sends the message again when the socket may.
                refused = {"code": "rate_limited", "retry_after": round(bucket.wait(), 2), "message": text}
                await sio.emit("widget_error", {**refused, "metadata": data.get("metadata")}, to=sid)
                return
            metadata = _metadata(data.get("metadata"))
            # Other tabs of the same conversation show the customer's message too.
            echo = {"from": "customer", "text": metadata.get("display") or text, "timestamp": time.time()}
            await sio.emit("user_echo", echo, room=conversation, skip_sid=sid)
            message = UserMessage(
                text.strip(),
                WidgetOutput(sio, self.bot_event),
                conversation,
                input_channel=self.name(),
                metadata=metadata,
            )
            try:
                await on_new_message(message)
            finally:
                await sio.emit("bot_done", {"id": data.get("id")}, to=sid)

        return blueprint


def _metadata(value: Any) -> dict[str, Any]:
    """Only what the widget sends: the button title shown for a payload, and the page's language."""
    value = value if isinstance(value, dict) else {}
    metadata: dict[str, Any] = {}
    display = value.get("display")
    if isinstance(display, str) and display.strip():
        metadata["display"] = display.strip()[:200]
    locale = value.get("locale")
    if isinstance(locale, str) and re.fullmatch(r"[A-Za-z]{2}([-_][A-Za-z0-9]{2,8})?", locale):
        metadata["locale"] = locale
    return metadata
