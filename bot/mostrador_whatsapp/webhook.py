"""Meta's webhook notifications: the signature check and what a notification says (pure: no I/O).

A notification (`object: whatsapp_business_account`) carries `entry[].changes[].value` with customer messages
(`messages`, with the sender's `contacts`), delivery statuses of what we sent (`statuses`) or errors. Each
customer message becomes an `Incoming`, each status a `StatusUpdate`.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

MAX_TEXT_CHARS = 4096  # WhatsApp's own limit on a text message; anything longer is cut
ATTACHMENT_TYPES = ("image", "audio", "video", "document", "sticker", "location", "contacts")


class BadNotification(ValueError):
    """A signed body that is not a notification we understand; `code` names the problem."""

    def __init__(self, code: str, detail: str):
        super().__init__(detail)
        self.code, self.detail = code, detail


def signature_is_valid(app_secret: str, body: bytes, header: str | None) -> bool:
    """Whether `X-Hub-Signature-256` is the HMAC-SHA256 of the raw body with the app secret (constant time)."""
    if not app_secret or not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header[len("sha256=") :].strip().lower())


def sign(app_secret: str, body: bytes) -> str:
    """The header Meta would send with this body (tests, benchmarks)."""
    return "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class Attachment:
    type: str  # image, audio, video, document, sticker, location, contacts, or a type WhatsApp added later
    id: str | None = None  # the media id (download through the Graph API)
    caption: str | None = None
    mime_type: str | None = None
    filename: str | None = None


@dataclass(frozen=True)
class Incoming:
    wamid: str
    wa_id: str  # the customer's WhatsApp id: the conversation's sender id
    timestamp: int
    text: str  # what the customer wrote, or the reply id (payload) of a button or list row, or a caption
    profile_name: str | None = None
    reply_title: str | None = None  # a button or list reply: the title the customer tapped
    is_reply: bool = False
    attachment: Attachment | None = None


@dataclass(frozen=True)
class StatusUpdate:
    wamid: str  # the message we sent
    recipient: str
    status: str  # sent, delivered, read, failed
    timestamp: int
    errors: list[dict[str, Any]] = field(default_factory=list)


def parse_body(body: bytes) -> dict[str, Any]:
    """The notification's JSON, checked for the shape every notification has."""
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BadNotification("invalid_json", f"the body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadNotification("invalid_notification", "the body must be a JSON object")
    if payload.get("object") != "whatsapp_business_account":
        raise BadNotification(
            "unknown_object", f"object must be 'whatsapp_business_account', not {str(payload.get('object'))[:60]!r}"
        )
    entries = payload.get("entry")
    if not isinstance(entries, list) or not entries:
        raise BadNotification("empty_entry", "entry must be a non-empty list")
    return payload


def _values(payload: dict[str, Any]):
    for entry in payload.get("entry") or []:
        if not isinstance(entry, dict):
            continue
        for change in entry.get("changes") or []:
            if isinstance(change, dict) and isinstance(change.get("value"), dict):
                yield change["value"]


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _str(value: Any, limit: int = 1000) -> str | None:
    return str(value)[:limit] if value not in (None, "") else None


def read_notification(payload: dict[str, Any]) -> tuple[list[Incoming], list[StatusUpdate]]:
    """The customer messages and delivery statuses in a notification, in the order Meta listed them."""
    incoming: list[Incoming] = []
    statuses: list[StatusUpdate] = []
    for value in _values(payload):
        names = {
            str(c.get("wa_id")): _str((c.get("profile") or {}).get("name"), 200)
            for c in value.get("contacts") or []
            if isinstance(c, dict)
        }
        for message in value.get("messages") or []:
            if isinstance(message, dict) and (found := _message(message, names)):
                incoming.append(found)
        for status in value.get("statuses") or []:
            if isinstance(status, dict) and status.get("id") and status.get("status"):
                statuses.append(
                    StatusUpdate(
                        wamid=str(status["id"]),
                        recipient=str(status.get("recipient_id") or ""),
                        status=str(status["status"])[:20],
                        timestamp=_int(status.get("timestamp")),
                        errors=[e for e in status.get("errors") or [] if isinstance(e, dict)],
                    )
                )
    return incoming, statuses


def _message(message: dict[str, Any], names: dict[str, str | None]) -> Incoming | None:
    wamid, sender = message.get("id"), message.get("from")
    if not wamid or not sender:
        return None
    base = {
        "wamid": str(wamid)[:200],
        "wa_id": str(sender)[:40],
        "timestamp": _int(message.get("timestamp")),
        "profile_name": names.get(str(sender)),
    }
    kind = message.get("type")
    if kind == "text":
        body = (message.get("text") or {}).get("body")
        return Incoming(**base, text=str(body or "")[:MAX_TEXT_CHARS])
    if kind == "interactive":
        interactive = message.get("interactive") or {}
        reply = interactive.get("button_reply") or interactive.get("list_reply") or {}
        return Incoming(
            **base,
            text=str(reply.get("id") or "")[:256],
            reply_title=_str(reply.get("title"), 100),
            is_reply=True,
        )
    if kind == "button":  # a quick-reply button of a template
        button = message.get("button") or {}
        return Incoming(
            **base,
            text=str(button.get("payload") or "")[:256],
            reply_title=_str(button.get("text"), 100),
            is_reply=True,
        )
    # Anything else (media, location, a type WhatsApp added after this was written): noted, not read.
    content = message.get(kind) if isinstance(kind, str) and isinstance(message.get(kind), dict) else {}
    caption = _str(content.get("caption"), MAX_TEXT_CHARS)
    if kind == "location":
        caption = _str(" ".join(str(content.get(k)) for k in ("name", "address") if content.get(k)), 500)
    attachment = Attachment(
        type=str(kind or "unknown")[:30],
        id=_str(content.get("id"), 200),
        caption=caption,
        mime_type=_str(content.get("mime_type"), 100),
        filename=_str(content.get("filename"), 200),
    )
    return Incoming(**base, text=caption or "", attachment=attachment)
