"""The Graph API client: `POST {graph_url}/{phone_number_id}/messages` with the access token.

Errors are classified by Meta's error codes (not the HTTP status alone): rate limits (HTTP 429, codes 4, 80007,
130429, and 131056 — too many messages to the same customer) and Meta's temporary errors (1, 2, 131000, 131016,
HTTP 5xx, no answer) are retried with backoff; the rest are permanent and reported with their code and reason,
e.g. 131047 (more than 24 hours since the customer last wrote: only a template can reach them), 190 (the access
token expired), 131026 / 131030 (the number cannot receive the message).
"""

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import aiohttp

log = logging.getLogger(__name__)


def masked(wa_id: str) -> str:
    """A customer's number as the logs show it: the last four digits (the number is personal data)."""
    return f"…{wa_id[-4:]}"


RETRYABLE_CODES = {1, 2, 4, 80007, 130429, 131000, 131016, 131056, 133004}
OUTSIDE_WINDOW = 131047
RETRY_DELAYS = (0.5, 2.0)  # inline retries; what still fails is retried later by the caller's durable queue
MAX_RETRY_AFTER = 10.0


@dataclass
class GraphError(Exception):
    """A send that failed: Meta's code (or the HTTP status when there is none), and whether to try again."""

    code: int
    status: int
    title: str
    retryable: bool
    retry_after: float | None = None

    def __str__(self) -> str:
        # The backend reads this form from the Rasa server's error (ticketing/channels/whatsapp.py: send_failure).
        return f"whatsapp {self.code} ({'temporary' if self.retryable else 'permanent'}): {self.title}"

    @property
    def outside_window(self) -> bool:
        return self.code == OUTSIDE_WINDOW


def classify(status: int, body: Any, retry_after: str | None = None) -> GraphError:
    """The error a Graph API answer means."""
    error = body.get("error") if isinstance(body, dict) else None
    error = error if isinstance(error, dict) else {}
    code = error.get("code") if isinstance(error.get("code"), int) else status
    details = (error.get("error_data") or {}).get("details") if isinstance(error.get("error_data"), dict) else None
    title = str(details or error.get("message") or f"HTTP {status}")[:300]
    retryable = status == 429 or status >= 500 or code in RETRYABLE_CODES
    if code in (0, 190) or status in (401, 403):
        retryable = False
    delay = None
    if retry_after:
        try:
            delay = min(float(retry_after), MAX_RETRY_AFTER)
        except ValueError:
            delay = None
    return GraphError(code=code, status=status, title=title, retryable=retryable, retry_after=delay)


class GraphClient:
    def __init__(self, graph_url: str, phone_number_id: str, access_token: str, timeout: float = 10):
        self.url = f"{graph_url.rstrip('/')}/{phone_number_id}/messages"
        self.headers = {"Authorization": f"Bearer {access_token}", "Content-Type": "application/json"}
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self._sessions: dict[asyncio.AbstractEventLoop, aiohttp.ClientSession] = {}

    def _client(self) -> aiohttp.ClientSession:
        # One session per event loop (the channel's worker and Rasa's own, for pushed messages), made in that loop.
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = self._sessions[loop] = aiohttp.ClientSession(timeout=self.timeout, headers=self.headers)
        return session

    async def send_once(self, payload: dict[str, Any]) -> str:
        """Send one message; its wamid, or a GraphError."""
        try:
            async with self._client().post(self.url, json=payload) as response:
                try:
                    body = await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError):
                    body = None
                if response.status < 300 and isinstance(body, dict):
                    messages = body.get("messages") or [{}]
                    return str(messages[0].get("id") or "")
                raise classify(response.status, body, response.headers.get("Retry-After"))
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise GraphError(code=0, status=0, title=f"Graph API unreachable: {exc!r}"[:300], retryable=True) from None

    async def send(self, payload: dict[str, Any]) -> str:
        """Send one message, retrying temporary failures a few times."""
        for attempt in range(len(RETRY_DELAYS) + 1):
            try:
                return await self.send_once(payload)
            except GraphError as error:
                if not error.retryable or attempt == len(RETRY_DELAYS):
                    raise
                delay = max(RETRY_DELAYS[attempt], error.retry_after or 0)
                log.warning(
                    "WhatsApp send to %s failed (%s); retrying in %.1fs", masked(str(payload.get("to"))), error, delay
                )
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")

    async def close(self) -> None:
        """Close this loop's session."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()
