"""The bot's messages as WhatsApp Cloud API requests, within WhatsApp's limits (pure: no I/O).

A Rasa bot message (`text`, `buttons`, `custom`, `image`, and metadata such as `whatsapp_template`) becomes one
or more bodies for `POST /{phone_number_id}/messages`:
- text longer than WhatsApp's 4,096 characters is split at paragraph, line or word boundaries;
- up to 3 buttons whose titles fit in 20 characters become reply buttons; more, or longer titles, a list
  (up to 10 rows, titles of 24 characters with the whole title in the row's description);
- a text with a link (a KB answer) asks WhatsApp for the link's preview;
- `whatsapp_template` (set by the backend outside the 24-hour window) is sent as that approved template instead.
"""

from typing import Any

from kb.text import detect_language

TEXT_LIMIT = 4096
INTERACTIVE_BODY_LIMIT = 1024
MAX_REPLY_BUTTONS = 3
BUTTON_TITLE_LIMIT = 20
BUTTON_ID_LIMIT = 256
MAX_LIST_ROWS = 10
ROW_TITLE_LIMIT = 24
ROW_DESCRIPTION_LIMIT = 72
ROW_ID_LIMIT = 200
LIST_BUTTON = {"es": "Ver opciones", "en": "See options"}


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a paragraph, a line or a space when there is one."""
    pieces: list[str] = []
    rest = text.strip()
    while len(rest) > limit:
        window = rest[:limit]
        cut = max(window.rfind("\n\n"), window.rfind("\n"), window.rfind(" "))
        if cut < limit // 2:
            cut = limit
        pieces.append(rest[:cut].rstrip())
        rest = rest[cut:].lstrip()
    if rest:
        pieces.append(rest)
    return pieces


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _base(to: str, kind: str) -> dict[str, Any]:
    return {"messaging_product": "whatsapp", "recipient_type": "individual", "to": to, "type": kind}


def text_message(to: str, body: str) -> dict[str, Any]:
    preview = "http://" in body or "https://" in body
    return {**_base(to, "text"), "text": {"preview_url": preview, "body": body}}


def _choices(buttons: list[dict[str, Any]]) -> list[tuple[str, str]]:
    """(payload, title) of each button that has either."""
    found = []
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if title:
            found.append((payload, title))
    return found


def buttons_message(to: str, body: str, buttons: list[dict[str, Any]]) -> dict[str, Any] | None:
    """Reply buttons (≤ 3, short titles) or a list message; None when there is nothing to choose."""
    choices = _choices(buttons)[:MAX_LIST_ROWS]
    if not choices:
        return None
    body = body.strip() or "…"
    if len(choices) <= MAX_REPLY_BUTTONS and all(len(title) <= BUTTON_TITLE_LIMIT for _, title in choices):
        action = {
            "buttons": [
                {"type": "reply", "reply": {"id": payload[:BUTTON_ID_LIMIT], "title": title}}
                for payload, title in choices
            ]
        }
        return {**_base(to, "interactive"), "interactive": {"type": "button", "body": {"text": body}, "action": action}}
    rows = []
    for payload, title in choices:
        row = {"id": payload[:ROW_ID_LIMIT], "title": _shorten(title, ROW_TITLE_LIMIT)}
        if len(title) > ROW_TITLE_LIMIT:
            row["description"] = _shorten(title, ROW_DESCRIPTION_LIMIT)
        rows.append(row)
    label = LIST_BUTTON.get(detect_language(body) or "es", LIST_BUTTON["es"])
    return {
        **_base(to, "interactive"),
        "interactive": {
            "type": "list",
            "body": {"text": body},
            "action": {"button": label, "sections": [{"rows": rows}]},
        },
    }


def template_message(to: str, template: dict[str, Any]) -> dict[str, Any]:
    """An approved template: {"name", "language", "parameters": [body texts]}."""
    body: dict[str, Any] = {"name": str(template["name"]), "language": {"code": str(template.get("language") or "es")}}
    parameters = [str(p)[:1024] for p in template.get("parameters") or []]
    if parameters:
        body["components"] = [{"type": "body", "parameters": [{"type": "text", "text": p} for p in parameters]}]
    return {**_base(to, "template"), "template": body}


def graph_messages(to: str, message: dict[str, Any]) -> list[dict[str, Any]]:
    """The requests that say one bot message on WhatsApp, in order."""
    template = message.get("whatsapp_template")
    if isinstance(template, dict) and template.get("name"):
        return [template_message(to, template)]
    text = str(message.get("text") or "").strip()
    buttons = message.get("buttons") or message.get("quick_replies") or []
    out: list[dict[str, Any]] = []
    if buttons:
        pieces = split_text(text) or [""]
        if len(pieces[-1]) > INTERACTIVE_BODY_LIMIT:  # the text that carries the buttons has a smaller limit
            pieces = pieces[:-1] + split_text(pieces[-1], INTERACTIVE_BODY_LIMIT)
        out += [text_message(to, piece) for piece in pieces[:-1]]
        choice = buttons_message(to, pieces[-1], buttons)
        out.append(choice if choice else text_message(to, pieces[-1]))
    elif text:
        out += [text_message(to, piece) for piece in split_text(text)]
    image = message.get("image")
    if image:
        out.append({**_base(to, "image"), "image": {"link": str(image)}})
    attachment = message.get("attachment")
    if attachment and attachment != image:
        out.append(text_message(to, str(attachment)))
    # `custom` payloads (e.g. kb_article) describe what the text already says: nothing more to send.
    return [m for m in out if m.get("type") != "text" or m["text"]["body"]]
