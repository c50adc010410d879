"""Settings of the ticketing backend, read from TICKETING_* environment variables (and `.env`)."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parent.parent


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETING_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{REPO_ROOT / 'var' / 'ticketing.db'}"
    # Service callers (the action server) present this bearer token. No default: a secret.
    api_token: SecretStr
    # Signs agent session tokens. No default: a secret.
    secret_key: SecretStr
    business_config: Path = REPO_ROOT / "ticketing" / "data" / "demo_business.yml"
    kb_dir: Path = REPO_ROOT / "kb_articles"
    # Trained models are kept here so restarts and extra workers start in a second, not ten.
    cache_dir: Path = REPO_ROOT / "var" / "cache"
    # Where customers reach the help center; the bot's article links point here.
    public_url: str = "http://localhost:8000"
    # Seconds between sweeps that assign queued tickets and detect SLA warnings and breaches.
    sweep_interval_seconds: float = Field(default=30.0, gt=0)
    # The Rasa server, for delivering agent replies to the customer's conversation.
    bot_url: str = "http://localhost:5005"
    # Token of the Rasa server's HTTP API (its --auth-token): the backend pushes agent replies through it.
    bot_api_token: SecretStr | None = None
    # Where customers' browsers reach the Rasa server's socket.io (the chat widget's channel): scheme, host, port.
    widget_socket_url: str = "http://localhost:5005"
    # Request bodies over this many bytes are refused with 413 (a ticket with a long transcript is ~100 KB).
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    # Shared counters for rate limits and login throttling across backend processes; without it each process counts
    # on its own (see ticketing/limits.py).
    redis_url: str | None = None
    # Failed logins before an account, or a client address, waits out the rest of the window (seconds).
    login_failures_per_account: int = Field(default=5, gt=0)
    login_failures_per_address: int = Field(default=30, gt=0)
    login_lockout_seconds: int = Field(default=900, gt=0)
    # Help-center searches a minute from one client address.
    help_search_per_minute: int = Field(default=30, gt=0)
    # Delivery of what agents send to the customer's conversation (the outbox worker in every backend process):
    # a message is retried, waiting twice as long each time from `retry_base` up to `retry_max` seconds, until it
    # is delivered or `deadline` seconds after it was written, when it is marked failed. The cap is short so that the
    # backlog goes out within seconds of the channel's return (a pending message costs one refused connection per try).
    delivery_deadline_seconds: float = Field(default=86400.0, gt=0)
    delivery_retry_base_seconds: float = Field(default=2.0, gt=0)
    delivery_retry_max_seconds: float = Field(default=15.0, gt=0)
    # How often the worker looks for due messages when nothing woke it, and how long one send may take.
    delivery_poll_seconds: float = Field(default=1.0, gt=0)
    delivery_timeout_seconds: float = Field(default=15.0, gt=0)
