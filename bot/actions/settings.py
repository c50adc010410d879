"""Action-server settings from ACTIONS_* environment variables."""

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class ActionSettings:
    ticketing_url: str
    ticketing_token: str
    kb_dir: Path
    help_center_url: str
    timezone: str
    timeout_seconds: float
    bot_url: str
    bot_api_token: str | None
    outbox_path: Path

    @classmethod
    def from_env(cls) -> "ActionSettings":
        return cls(
            ticketing_url=os.environ.get("ACTIONS_TICKETING_URL", "http://localhost:8000").rstrip("/"),
            ticketing_token=os.environ.get("ACTIONS_TICKETING_TOKEN", ""),
            kb_dir=Path(os.environ.get("ACTIONS_KB_DIR", REPO_ROOT / "kb_articles")),
            help_center_url=os.environ.get("ACTIONS_HELP_CENTER_URL", "http://localhost:8000").rstrip("/"),
            timezone=os.environ.get("ACTIONS_TIMEZONE", "America/Santiago"),
            timeout_seconds=float(os.environ.get("ACTIONS_TICKETING_TIMEOUT", "5")),
            bot_url=os.environ.get("ACTIONS_BOT_URL", "http://localhost:5005"),
            bot_api_token=os.environ.get("ACTIONS_BOT_API_TOKEN") or None,
            outbox_path=Path(os.environ.get("ACTIONS_OUTBOX_DB", REPO_ROOT / "var" / "actions-outbox.db")),
        )
