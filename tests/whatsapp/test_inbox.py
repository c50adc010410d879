"""The durable inbox: what was acknowledged survives a restart, and each wamid is processed once."""

import asyncio
import os
import uuid

import pytest

from mostrador_whatsapp.inbox import Inbox


def test_an_acknowledged_notification_is_still_there_after_a_crash_and_is_processed_then(tmp_path):
    path = tmp_path / "inbox.db"
    first = Inbox(path)
    kept = first.keep(b'{"object": "whatsapp_business_account"}')
    first.db.close()  # the process dies before processing it

    again = Inbox(path)
    assert again.waiting() == [(kept, b'{"object": "whatsapp_business_account"}')]
    assert asyncio.run(again.claim("wamid.A", kept))
    again.done(kept)
    assert again.waiting() == [] and again.backlog() == 0


def test_a_message_is_claimed_once_but_its_own_notification_may_claim_it_again_after_a_restart(tmp_path):
    inbox = Inbox(tmp_path / "inbox.db")
    original, retry = inbox.keep(b"1"), inbox.keep(b"1")
    assert asyncio.run(inbox.claim("wamid.A", original))
    assert not asyncio.run(inbox.claim("wamid.A", retry))  # Meta's retry: dropped
    assert asyncio.run(inbox.claim("wamid.A", original))  # the same notification replayed after a crash
    restarted = Inbox(tmp_path / "inbox.db")
    assert asyncio.run(restarted.claim("wamid.A", original))
    assert not asyncio.run(restarted.claim("wamid.A", retry))


def test_statuses_never_go_back_and_keep_the_reference_of_what_was_sent(tmp_path):
    inbox = Inbox(tmp_path / "inbox.db")
    inbox.sent("wamid.OUT", "569", "17")
    assert inbox.status("wamid.OUT", "569", "read", []) == (True, "17")
    assert inbox.status("wamid.ELSEWHERE", "569", "read", []) == (False, None)  # sent by another Rasa server
    inbox.status("wamid.OUT", "569", "delivered", [])
    assert inbox.outbound_status("wamid.OUT") == ("read", None)
    inbox.status("wamid.OUT", "569", "failed", [{"code": 131047}])
    assert inbox.outbound_status("wamid.OUT") == ("failed", '[{"code": 131047}]')


def test_two_rasa_servers_sharing_redis_process_a_retried_message_once(tmp_path):
    url = os.environ.get("TEST_REDIS_URL")
    if not url:
        pytest.skip("TEST_REDIS_URL is not set (a Redis to share claims between servers)")
    wamid = f"wamid.{uuid.uuid4().hex}"

    async def both() -> tuple[bool, bool]:
        server_a, server_b = Inbox(tmp_path / "a.db", url), Inbox(tmp_path / "b.db", url)
        first = await server_a.claim(wamid, server_a.keep(b"1"))
        second = await server_b.claim(wamid, server_b.keep(b"1"))
        await server_a.close()
        await server_b.close()
        return first, second

    assert asyncio.run(both()) == (True, False)


def test_nothing_the_worker_does_every_second_scans_the_inbox_and_the_log_is_rarely_copied(tmp_path):
    """keep() (the acknowledgement) waits for whatever holds the inbox: forget_old uses an index, and the log is
    copied into the database (a wait for the disk) every 10,000 pages rather than SQLite's 1,000."""
    inbox = Inbox(tmp_path / "inbox.db")
    plan = inbox.db.execute("EXPLAIN QUERY PLAN DELETE FROM seen WHERE seen_at < 0").fetchall()
    assert any("seen_by_time" in str(step) for step in plan), plan
    assert inbox.db.execute("PRAGMA wal_autocheckpoint").fetchone() == (10_000,)
