"""Webhook notifications in Meta's format (tests/whatsapp/payloads/*.json), made unique for each test, and signed."""

import copy
import hashlib
import hmac
import json
import time
import uuid
from pathlib import Path
from typing import Any

PAYLOADS = Path(__file__).parent / "payloads"


def new_wa_id() -> str:
    return "569" + str(uuid.uuid4().int)[:8]


def new_wamid() -> str:
    return "wamid.TEST" + uuid.uuid4().hex.upper()


def notification(name: str, wa_id: str, **changes: Any) -> dict[str, Any]:
    """A payload file for customer `wa_id`, with a fresh wamid (unless given) and `changes` applied:
    text=, button=(id, title), row=(id, title), caption=, profile_name=, wamid=, timestamp= (when the customer sent
    it, seconds since the epoch), status=, status_wamid=."""
    payload = copy.deepcopy(json.loads((PAYLOADS / f"{name}.json").read_text()))
    value = payload["entry"][0]["changes"][0]["value"]
    for contact in value.get("contacts", []):
        contact["wa_id"] = wa_id
        if "profile_name" in changes:
            contact["profile"]["name"] = changes["profile_name"]
    for message in value.get("messages", []):
        message["from"] = wa_id
        message["id"] = changes.get("wamid") or new_wamid()
        message["timestamp"] = str(int(changes.get("timestamp") or time.time()))
        if "text" in changes:
            message["text"]["body"] = changes["text"]
        if "button" in changes:
            message["interactive"]["button_reply"] = {"id": changes["button"][0], "title": changes["button"][1]}
        if "row" in changes:
            message["interactive"]["list_reply"] = {"id": changes["row"][0], "title": changes["row"][1]}
        if "caption" in changes:
            message["image"]["caption"] = changes["caption"]
    for status in value.get("statuses", []):
        status["recipient_id"] = wa_id
        status["timestamp"] = str(int(time.time()))
        if "status" in changes:
            status["status"] = changes["status"]
        if "status_wamid" in changes:
            status["id"] = changes["status_wamid"]
    return payload


def signed(payload: Any, app_secret: str) -> tuple[bytes, dict[str, str]]:
    """The body and headers Meta would send."""
    body = payload if isinstance(payload, bytes) else json.dumps(payload, ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(app_secret.encode(), body, hashlib.sha256).hexdigest()
    return body, {"Content-Type": "application/json", "X-Hub-Signature-256": signature}
