"""The one place the bot talks to the ticketing backend: typed results and a clear "unavailable" error."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import requests


class TicketingUnavailable(Exception):
    """The backend did not answer, timed out or failed: the request may be retried later."""


class TicketingRejected(Exception):
    """The backend refused the request (4xx): retrying the same request will not help."""

    def __init__(self, status: int, detail: str):
        super().__init__(f"{status}: {detail}")
        self.status, self.detail = status, detail


class TicketNotFound(TicketingRejected):
    pass


@dataclass(frozen=True)
class TicketInfo:
    id: int
    number: str
    status: str
    team: str
    priority: str
    language: str
    conversation_id: str | None
    customer_email: str | None
    first_response_due_at: datetime | None
    resolution_due_at: datetime | None
    first_responded_at: datetime | None

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TicketInfo":
        sla = data.get("sla") or {}

        def when(key: str) -> datetime | None:
            value = sla.get(key)
            return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

        return cls(
            id=data["id"],
            number=data["number"],
            status=data["status"],
            team=data["team"],
            priority=data["priority"],
            language=data["language"],
            conversation_id=data.get("conversation_id"),
            customer_email=(data.get("customer") or {}).get("email"),
            first_response_due_at=when("first_response_due_at"),
            resolution_due_at=when("resolution_due_at"),
            first_responded_at=when("first_responded_at"),
        )


class TicketingClient:
    def __init__(self, base_url: str, token: str, timeout: float = 5.0):
        self.base_url, self.timeout = base_url.rstrip("/"), timeout
        self.http = requests.Session()
        self.http.headers.update({"Authorization": f"Bearer {token}", "User-Agent": "mostrador-actions"})

    def _call(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        try:
            response = self.http.request(method, self.base_url + path, timeout=self.timeout, **kwargs)
        except requests.RequestException as exc:
            raise TicketingUnavailable(f"{method} {path}: {exc.__class__.__name__}") from exc
        if response.status_code >= 500:
            raise TicketingUnavailable(f"{method} {path}: HTTP {response.status_code}")
        if response.status_code >= 400:
            try:
                detail = response.json().get("detail", response.text)
            except ValueError:
                detail = response.text
            error = TicketNotFound if response.status_code == 404 else TicketingRejected
            raise error(response.status_code, str(detail))
        return response.json()

    def create_ticket(self, payload: dict[str, Any], idempotency_key: str) -> TicketInfo:
        data = self._call("POST", "/api/v1/tickets", json=payload, headers={"Idempotency-Key": idempotency_key})
        return TicketInfo.from_json(data)

    def ticket_for_customer(self, number: str, conversation_id: str, email: str | None) -> TicketInfo:
        """The ticket if it was opened from this conversation or with this email; TicketNotFound alike otherwise."""
        body = {"number": number, "conversation_id": conversation_id, **({"email": email} if email else {})}
        return TicketInfo.from_json(self._call("POST", "/api/v1/ticket-lookup", json=body))

    def add_customer_message(self, ticket_id: int, body: str) -> None:
        self._call("POST", f"/api/v1/tickets/{ticket_id}/messages", json={"author": "customer", "body": body})

    def record_csat(self, ticket_id: int, score: int, comment: str | None) -> None:
        self._call("POST", f"/api/v1/tickets/{ticket_id}/csat", json={"score": score, "comment": comment})

    def report_conversation(self, conversation_id: str, language: str, channel: str | None, answered: bool) -> None:
        self._call(
            "POST",
            "/api/v1/conversations",
            json={"conversation_id": conversation_id, "language": language, "channel": channel, "answered": answered},
        )

    def report_gap(self, question: str, language: str, conversation_id: str, best: dict[str, Any] | None) -> None:
        self._call(
            "POST",
            "/api/v1/kb/gaps",
            json={"question": question, "language": language, "conversation_id": conversation_id, "best": best},
        )
