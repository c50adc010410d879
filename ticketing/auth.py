"""Who is calling: a service (bearer API token) or an agent (bearer session token from /auth/login)."""

import base64
import hashlib
import hmac
import json
import time
from dataclasses import dataclass

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
    payload = json.dumps({"agent": agent_id, "exp": int((now or time.time()) + SESSION_SECONDS)}).encode()
    body = base64.urlsafe_b64encode(payload).decode().rstrip("=")
    return f"agt.{body}.{_sign(payload, secret)}"


def read_session_token(token: str, secret: str, now: float | None = None) -> int:
    """Return the agent id of a valid, unexpired session token; raise Unauthorized otherwise."""
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
    return int(claims["agent"])


def bearer(header: str | None) -> str:
    if not header or not header.lower().startswith("bearer "):
        raise Unauthorized("missing bearer token (Authorization: Bearer <token>)")
    return header[7:].strip()


def is_service_token(token: str, api_token: str) -> bool:
    return hmac.compare_digest(token.encode(), api_token.encode())
