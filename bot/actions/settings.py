"""Action-server settings: one class, read from ACTIONS_* environment variables (pydantic, as the backend's)."""

from pathlib import Path

from pydantic import BaseSettings, Field, SecretStr, validator

REPO_ROOT = Path(__file__).resolve().parents[2]


class ActionSettings(BaseSettings):
    # The ticketing backend, and the service token it expects (TICKETING_API_TOKEN). No default: a secret.
    ticketing_url: str = "http://localhost:8000"
    ticketing_token: SecretStr
    timeout_seconds: float = Field(5.0, gt=0, env="ACTIONS_TICKETING_TIMEOUT")
    kb_dir: Path = REPO_ROOT / "kb_articles"
    # The business file the backend reads too: names, texts, formats and the timezone customers are told.
    business_config: Path = REPO_ROOT / "ticketing" / "data" / "demo_business.yml"
    help_center_url: str = "http://localhost:8000"
    # The Rasa server and its API token: the outbox tells the customer the ticket number through it.
    bot_url: str = "http://localhost:5005"
    bot_api_token: SecretStr | None = None
    outbox_path: Path = Field(REPO_ROOT / "var" / "actions-outbox.db", env="ACTIONS_OUTBOX_DB")

    class Config:
        env_prefix = "ACTIONS_"

    @validator("ticketing_url", "help_center_url")
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @validator("bot_api_token", pre=True)
    def _empty_is_none(cls, value):
        return value or None
