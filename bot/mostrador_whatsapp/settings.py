"""WhatsApp channel settings from WHATSAPP_* environment variables (secrets have no defaults)."""

from pathlib import Path

from pydantic import BaseSettings, Field, validator

REPO_ROOT = Path(__file__).resolve().parents[2]


class WhatsAppSettings(BaseSettings):
    """The Rasa server's WhatsApp settings: one class, read from WHATSAPP_* (pydantic, as the other services').

    The four Meta values have no defaults: without them the channel answers Meta 403 and says what is missing.
    """

    app_secret: str = ""
    verify_token: str = ""
    access_token: str = ""
    phone_number_id: str = ""
    graph_url: str = "https://graph.facebook.com/v21.0"
    inbox_path: Path = Field(REPO_ROOT / "var" / "whatsapp-inbox.db", env="WHATSAPP_INBOX_DB")  # this server's
    inbox_sync: str = "normal"  # SQLite's synchronous setting for the inbox ("full": also survives a power cut)
    redis_url: str | None = None  # shared de-duplication of Meta's retries across Rasa servers
    send_timeout_seconds: float = Field(10.0, gt=0, env="WHATSAPP_SEND_TIMEOUT")
    concurrency: int = Field(4, gt=0)  # notifications going through the bot at once
    # The ticketing backend and its service token (TICKETING_API_TOKEN): Meta's delivery statuses of the messages the
    # backend sent (agent replies, resolutions) are reported there. Without the token they stay in the inbox file only.
    ticketing_url: str = "http://localhost:8000"
    ticketing_token: str = ""

    class Config:
        env_prefix = "WHATSAPP_"
        allow_mutation = False

    @validator("graph_url", "ticketing_url")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("redis_url", pre=True)
    def _empty_is_none(cls, value):
        return value or None

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
        return cls()
