"""WhatsApp channel settings from WHATSAPP_* environment variables (secrets have no defaults)."""

import os
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class WhatsAppSettings:
    app_secret: str
    verify_token: str
    access_token: str
    phone_number_id: str
    graph_url: str
    inbox_path: Path  # the durable inbox (SQLite) of this Rasa server
    redis_url: str | None  # shared de-duplication of Meta's retries across Rasa servers
    send_timeout_seconds: float
    # The ticketing backend and its service token (TICKETING_API_TOKEN): Meta's delivery statuses of the messages the
    # backend sent (agent replies, resolutions) are reported there. Without the token they stay in the inbox file only.
    ticketing_url: str = "http://localhost:8000"
    ticketing_token: str = ""

    @property
    def configured(self) -> bool:
        return all((self.app_secret, self.verify_token, self.access_token, self.phone_number_id, self.graph_url))

    def missing(self) -> list[str]:
        names = {
            "WHATSAPP_APP_SECRET": self.app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.verify_token,
            "WHATSAPP_ACCESS_TOKEN": self.access_token,
            "WHATSAPP_PHONE_NUMBER_ID": self.phone_number_id,
            "WHATSAPP_GRAPH_URL": self.graph_url,
        }
        return [name for name, value in names.items() if not value]

    @classmethod
    def from_env(cls) -> "WhatsAppSettings":
        env = os.environ
        return cls(
            app_secret=env.get("WHATSAPP_APP_SECRET", ""),
            verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            access_token=env.get("WHATSAPP_ACCESS_TOKEN", ""),
            phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            graph_url=env.get("WHATSAPP_GRAPH_URL", "https://graph.facebook.com/v21.0").rstrip("/"),
            inbox_path=Path(env.get("WHATSAPP_INBOX_DB", REPO_ROOT / "var" / "whatsapp-inbox.db")),
            redis_url=env.get("WHATSAPP_REDIS_URL") or None,
            send_timeout_seconds=float(env.get("WHATSAPP_SEND_TIMEOUT", "10")),
            ticketing_url=env.get("WHATSAPP_TICKETING_URL", "http://localhost:8000").rstrip("/"),
            ticketing_token=env.get("WHATSAPP_TICKETING_TOKEN", ""),
        )
