"""Abuse limits: rate limits for public endpoints and login throttling, on counters in fixed time windows.

Counters live in this process (`MemoryCounters`) unless TICKETING_REDIS_URL is set (`RedisCounters`). In memory, each
backend process counts on its own: with N processes or replicas behind a load balancer a client can get up to N times
a limit (and a locked-out account may still log in through another process). Set TICKETING_REDIS_URL when running
more than one process to share the counts; if Redis cannot be reached, limits are not enforced (logged) rather than
refusing every request.

Use a rate limit on a route (keyed by the client's address):

    @router.get("/widget/v1/config", dependencies=[rate_limited("widget-config", per_minute=60)])

or in code: `request.app.state.limits.hit("help-search", client_address(request), limit=30, window=60)`.
"""

import ipaddress
import logging
import math
import threading
import time
from collections.abc import Callable

from fastapi import Depends, Request

from ticketing.errors import TooManyRequests

log = logging.getLogger("ticketing.limits")


class MemoryCounters:
    """Counts per key in fixed windows, in this process."""

    def __init__(self, clock: Callable[[], float] = time.monotonic):
        self.clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, tuple[int, float]] = {}  # key -> (count, window ends at)

    def incr(self, key: str, window: float) -> tuple[int, float]:
        """Count one more; return the count in the current window and the seconds until it ends."""
        now = self.clock()
        with self._lock:
            count, ends = self._windows.get(key, (0, 0.0))
            if ends <= now:
                count, ends = 0, now + window
            self._windows[key] = (count + 1, ends)
            if len(self._windows) > 100_000:  # forget windows that have ended, now and then
                self._windows = {k: v for k, v in self._windows.items() if v[1] > now}
            return count + 1, ends - now

    def peek(self, key: str) -> tuple[int, float]:
        now = self.clock()
        with self._lock:
            count, ends = self._windows.get(key, (0, 0.0))
        return (count, ends - now) if ends > now else (0, 0.0)

    def clear(self, key: str) -> None:
        with self._lock:
            self._windows.pop(key, None)


class RedisCounters:
    """Counts shared by every backend process: INCR on a key that expires with its window."""

    def __init__(self, url: str, prefix: str = "mostrador:limits:"):
        import redis

        self.redis, self.prefix = redis.Redis.from_url(url, socket_timeout=0.5, socket_connect_timeout=0.5), prefix

    def incr(self, key: str, window: float) -> tuple[int, float]:
        name = self.prefix + key
        try:
            pipe = self.redis.pipeline()
            pipe.incr(name)
            pipe.pexpire(name, int(window * 1000), nx=True)
            pipe.pttl(name)
            count, _, ttl = pipe.execute()
        except Exception:
            log.warning("rate-limit counters unreachable in Redis; not enforcing %s", key.split(":")[0])
            return 0, 0.0
        return int(count), max(ttl, 0) / 1000

    def peek(self, key: str) -> tuple[int, float]:
        name = self.prefix + key
        try:
            pipe = self.redis.pipeline()
            pipe.get(name)
            pipe.pttl(name)
            count, ttl = pipe.execute()
        except Exception:
            log.warning("rate-limit counters unreachable in Redis; not enforcing %s", key.split(":")[0])
            return 0, 0.0
        return (int(count), ttl / 1000) if count is not None and ttl > 0 else (0, 0.0)

    def clear(self, key: str) -> None:
        try:
            self.redis.delete(self.prefix + key)
        except Exception:
            log.warning("rate-limit counters unreachable in Redis; could not clear %s", key.split(":")[0])


def _in(seconds: float) -> str:
    if seconds < 90:
        return f"{max(1, math.ceil(seconds))} seconds"
    return f"{math.ceil(seconds / 60)} minutes"


class Limits:
    """The app's limits (`app.state.limits`): rate limits by name and key, and the login throttle."""

    def __init__(self, counters, login: "LoginThrottle"):
        self.counters, self.login = counters, login

    def hit(self, name: str, key: str, *, limit: int, window: float) -> None:
        """Count a request; raise TooManyRequests (429 with Retry-After) once `limit` is passed in the window."""
        count, remaining = self.counters.incr(f"{name}:{key}", window)
        if count > limit:
            raise TooManyRequests(f"too many requests; try again in {_in(remaining)}", retry_after=math.ceil(remaining))


class LoginThrottle:
    """Failed logins per account and per client address; past either limit, logins wait until the window ends.

    A correct password does not get through a lockout (or the limit would only slow a guesser who is about to be
    right). Locking an account can be done by anyone who knows its email: that is the price of stopping password
    guessing on it, and the lockout ends by itself. Loopback addresses (this machine: `make run`, a local proxy that
    sends no forwarded headers) are not counted per address, only per account.
    """

    def __init__(self, counters, *, per_account: int, per_address: int, window: float):
        self.counters, self.per_account, self.per_address, self.window = counters, per_account, per_address, window

    def _keys(self, email: str, client: str | None) -> list[tuple[str, int, str]]:
        keys = [(f"login-account:{email.strip().lower()}", self.per_account, "for this account")]
        if client and not _is_loopback(client):
            keys.append((f"login-address:{client}", self.per_address, "from this address"))
        return keys

    def check(self, email: str, client: str | None) -> None:
        """Raise TooManyRequests (code `login_throttled`) while the account or the address is locked out."""
        for key, limit, whose in self._keys(email, client):
            count, remaining = self.counters.peek(key)
            if count >= limit:
                raise TooManyRequests(
                    f"too many failed logins {whose}; try again in {_in(remaining)}",
                    retry_after=math.ceil(remaining),
                    code="login_throttled",
                )

    def failed(self, email: str, client: str | None) -> None:
        for key, _, _ in self._keys(email, client):
            self.counters.incr(key, self.window)

    def succeeded(self, email: str) -> None:
        self.counters.clear(f"login-account:{email.strip().lower()}")


def _is_loopback(client: str) -> bool:
    try:
        return ipaddress.ip_address(client).is_loopback
    except ValueError:
        return False


def make_limits(settings) -> Limits:
    counters = RedisCounters(settings.redis_url) if settings.redis_url else MemoryCounters()
    login = LoginThrottle(
        counters,
        per_account=settings.login_failures_per_account,
        per_address=settings.login_failures_per_address,
        window=settings.login_lockout_seconds,
    )
    return Limits(counters, login)


def client_address(request: Request) -> str:
    """Who is asking, as far as rate limits go: the client's IP (behind a proxy, uvicorn's --proxy-headers)."""
    return request.client.host if request.client else "unknown"


def rate_limited(name: str, *, per_minute: int | Callable[[object], int]):
    """A route dependency: at most `per_minute` requests a minute from one client address (a callable gets the
    settings, for a configurable limit)."""

    def dependency(request: Request) -> None:
        limit = per_minute(request.app.state.settings) if callable(per_minute) else per_minute
        request.app.state.limits.hit(name, client_address(request), limit=limit, window=60)

    return Depends(dependency)
