"""Build trackers the way Rasa sends them to the action server."""

import time

from rasa_sdk import Tracker


def tracker(
    text: str = "",
    intent: str = "inform",
    slots: dict | None = None,
    sender: str = "conv-1",
    events: list | None = None,
    entities: list | None = None,
) -> Tracker:
    now = time.time()
    history = (
        events
        if events is not None
        else [
            {"event": "user", "text": "quiero hablar con una persona", "timestamp": now - 30},
            {"event": "bot", "text": "¿Cuál es tu nombre?", "timestamp": now - 29},
            {"event": "user", "text": text, "timestamp": now},
        ]
    )
    return Tracker(
        sender_id=sender,
        slots={"language": "es", **(slots or {})},
        latest_message={"text": text, "intent": {"name": intent, "confidence": 0.9}, "entities": entities or []},
        events=history,
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )
