"""Abuse limits: login throttling (API and console, per account and per address), rate limits, security headers."""

import os
import re
import uuid

import pytest
from fastapi import APIRouter

from tests.ticketing.conftest import AUTH, login
from ticketing.limits import LoginThrottle, MemoryCounters, RedisCounters, rate_limited
from ticketing.migrate import upgrade
from ticketing.security import content_security_policy


# Limits and headers do not depend on the database: SQLite only (the API tests run both).
@pytest.fixture(scope="module")
def database_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ticketing.db'}"
    upgrade(url)
    return url


def wrong_login(client, email: str = "laura@condorstore.cl"):
    return client.post("/api/v1/auth/login", json={"email": email, "password": "not-her-password"})


def test_five_wrong_passwords_lock_the_account_with_a_clear_message_and_retry_after(client):
    for _ in range(5):
        assert wrong_login(client).status_code == 401
    locked = wrong_login(client)
    assert locked.status_code == 429
    assert locked.json()["code"] == "login_throttled"
    assert locked.json()["detail"] == "too many failed logins for this account; try again in 15 minutes"
    assert 840 <= int(locked.headers["retry-after"]) <= 900
    # the right password does not get through a lockout either, and other accounts are not affected
    right = client.post("/api/v1/auth/login", json={"email": "laura@condorstore.cl", "password": "condor-demo"})
    assert right.status_code == 429
    assert login(client, "bruno@condorstore.cl")


def test_a_successful_login_forgets_the_accounts_earlier_failures(client):
    for _ in range(4):
        wrong_login(client)
    login(client, "laura@condorstore.cl")
    for _ in range(4):
        assert wrong_login(client).status_code == 401


def test_one_address_guessing_across_many_accounts_is_locked_out(client):
    limit = client.app.state.limits.login.per_address = 6  # (30 by default: the same rule, fewer password hashes)
    for i in range(limit):
        assert wrong_login(client, f"guess{i}@condorstore.cl").status_code == 401
    locked = wrong_login(client, "someone-else@condorstore.cl")
    assert locked.status_code == 429 and locked.json()["detail"].startswith("too many failed logins from this address")


def test_the_console_login_is_throttled_by_the_same_service(client):
    for _ in range(5):
        wrong_login(client, "carla@condorstore.cl")
    page = client.get("/console")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    response = client.post(
        "/console/login", data={"email": "carla@condorstore.cl", "password": "condor-demo", "csrf": csrf}
    )
    assert response.status_code == 429
    assert "Vuelve a intentarlo en 15 min" in response.text or "Try again in 15 min" in response.text
    assert int(response.headers["retry-after"]) > 0


def test_loopback_is_counted_per_account_only():
    throttle = LoginThrottle(MemoryCounters(), per_account=5, per_address=2, window=60)
    for i in range(5):
        throttle.failed(f"a{i}@x.cl", "127.0.0.1")
        throttle.check(f"b{i}@x.cl", "127.0.0.1")  # never locked by address
    throttle.failed("a@x.cl", "203.0.113.9")
    throttle.failed("b@x.cl", "203.0.113.9")
    with pytest.raises(Exception, match="from this address"):
        throttle.check("c@x.cl", "203.0.113.9")


def test_help_center_search_is_rate_limited_per_address_with_a_page_that_says_so(client):
    limit = client.app.state.settings.help_search_per_minute
    for _ in range(limit):
        assert client.get("/help/es", params={"q": "envío"}).status_code == 200
    throttled = client.get("/help/es", params={"q": "envío"})
    assert throttled.status_code == 429
    assert "Vuelve a intentarlo en" in throttled.text and int(throttled.headers["retry-after"]) <= 60
    assert client.get("/help/es").status_code == 200  # browsing is not searching


def test_the_reusable_limiter_guards_any_route(client):
    router = APIRouter()

    @router.get("/limited-for-test", dependencies=[rate_limited("limited-for-test", per_minute=3)])
    def limited():
        return {"ok": True}

    client.app.include_router(router)
    assert [client.get("/limited-for-test").status_code for _ in range(4)] == [200, 200, 200, 429]
    refused = client.get("/limited-for-test")
    assert refused.json()["code"] == "too_many_requests" and "retry-after" in refused.headers


def test_counters_in_redis_are_shared_by_every_process():
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (CI sets it; locally redis://127.0.0.1:6379/3)")
    prefix = f"test-limits-{uuid.uuid4().hex[:8]}:"
    one, other = RedisCounters(url, prefix=prefix), RedisCounters(url, prefix=prefix)  # two backend processes
    assert one.incr("k", 60)[0] == 1
    count, remaining = other.incr("k", 60)
    assert count == 2 and 59 <= remaining <= 60
    assert one.peek("k")[0] == 2
    other.clear("k")
    assert one.peek("k") == (0, 0.0)


def test_unreachable_redis_does_not_refuse_logins():
    counters = RedisCounters("redis://127.0.0.1:1/0")
    throttle = LoginThrottle(counters, per_account=1, per_address=1, window=60)
    throttle.failed("a@x.cl", "203.0.113.9")
    throttle.check("a@x.cl", "203.0.113.9")  # not enforced, logged


@pytest.mark.parametrize("path", ["/help/es", "/help/en", "/help/es?q=envío", "/help/es/delivery-times", "/docs"])
def test_every_html_page_carries_the_security_headers(client, path):
    response = client.get(path)
    assert response.status_code == 200
    policy = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "strict-origin-when-cross-origin"


@pytest.mark.parametrize("path", ["/help/es", "/help/en?q=refund", "/help/es/delivery-times"])
def test_help_center_pages_have_no_inline_script_or_style(client, path):
    html = client.get(path).text
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "<style" not in html and " style=" not in html and not re.search(r"\son[a-z]+=", html)
    assert client.get("/help/assets/help.css").headers["content-type"].startswith("text/css")


def test_json_answers_say_nosniff_but_carry_no_page_policy(client):
    response = client.get("/api/v1/tickets", headers=AUTH)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in response.headers


def test_a_page_can_add_an_origin_to_connect_src_and_nothing_else():
    policy = content_security_policy({"connect-src": ["http://localhost:5005", "ws://localhost:5005"]})
    assert "connect-src 'self' http://localhost:5005 ws://localhost:5005;" in policy
    assert "script-src 'self';" in policy
