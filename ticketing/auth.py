"""Who is calling: a service (bearer API token) or an agent (bearer session token from /auth/login)."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerifyMismatchError

from ticketing.errors import Unauthorized

_hasher = PasswordHasher()
SESSION_SECONDS = 12 * 3600


@dataclass(frozen=True)
class Principal:
    kind: str  # "service" | "agent"
    name: str
    agent_id: int | None = None
    # Teams whose tickets this caller may see; None means all (service callers, supervisors).
    teams: list[str] | None = None
    supervisor: bool = False


SERVICE = Principal(kind="service", name="service")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, InvalidHashError):
        return False


def _sign(payload: bytes, secret: str) -> str:
    return base64.urlsafe_b64encode(hmac.new(secret.encode(), payload, hashlib.sha256).digest()).decode().rstrip("=")


def issue_session_token(agent_id: int, secret: str, now: float | None = None) -> str:
    issued = now or time.time()
    claims = {"agent": agent_id, "iat": round(issued, 3), "exp": int(issued + SESSION_SECONDS)}
    payload = json.dumps(claims).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"agt.{body}.{_sign(payload, secret)}"


@dataclass(frozen=True)
class SessionToken:
    agent_id: int
    issued_at: float  # seconds since the epoch; a session issued before the agent logged out has ended


def read_session_token(token: str, secret: str, now: float | None = None) -> SessionToken:
    """The agent and issue time of a validly signed, unexpired session token; raise Unauthorized otherwise.

    Whether the session has since been ended (the agent logged out) is the agent's to say: `session_ended`.
    """
    try:
        _, body, signature = token.split(".")
        payload = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        claims = json.loads(payload)
    except ValueError:
        raise Unauthorized("malformed session token") from None
    if not hmac.compare_digest(signature, _sign(payload, secret)):
        raise Unauthorized("invalid session token")
    if claims.get("exp", 0) < (now or time.time()):
        raise Unauthorized("session expired; log in again")
    return SessionToken(int(claims["agent"]), float(claims.get("iat", 0)))


def session_ended(token: SessionToken, sessions_ended_at: datetime | None) -> bool:
    """True when the agent logged out after this token was issued (logging out ends the agent's every session)."""
    return sessions_ended_at is not None and token.issued_at <= sessions_ended_at.replace(tzinfo=UTC).timestamp()


def bearer(header: str | None) -> str:
    if not header or not header.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    return header[7:].strip()


def is_service_token(token: str, api_token: str) -> bool:
    return hmac.compare_digest(token.encode(), api_token.encode())
