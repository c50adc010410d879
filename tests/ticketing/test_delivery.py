"""The outbox: what an agent sends is stored with the reply, claimed by one worker at a time, retried until it is
delivered or its deadline passes, and its status is on the message. SQLite and PostgreSQL (with TEST_POSTGRES_URL).

The channel here is a recorder implementing the sender interface; the real Rasa server is exercised end to end in
tests/e2e/test_delivery.py.
"""

import json
import subprocess
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select

from tests.ticketing.conftest import AUTH, new_ticket
from ticketing.channels import outbox
from ticketing.channels.models import OutboundMessage
from ticketing.channels.outbox import Outbound, Outcome
from ticketing.channels.worker import DeliveryWorker
from ticketing.settings import REPO_ROOT


class Recorder:
    """A channel that records what it was asked to send and answers from a script (delivered by default)."""

    def __init__(self, outcomes=()):
        self.sent: list[Outbound] = []
        self.outcomes = list(outcomes)

    def send(self, outbound: Outbound) -> Outcome:
        self.sent.append(outbound)
        return self.outcomes.pop(0) if self.outcomes else Outcome(True)

    def close(self) -> None:
        pass


def worker(sessions, recorder, deadline_seconds=86400.0) -> DeliveryWorker:
    return DeliveryWorker(
        sessions, {"bot": recorder}, deadline_seconds=deadline_seconds, retry_base_seconds=0.01, retry_max_seconds=0.02
    )


def rows(sessions) -> list[OutboundMessage]:
    with sessions() as session:
        return list(session.scalars(select(OutboundMessage).order_by(OutboundMessage.id)))


def add_rows(sessions, conversations: int, per_conversation: int) -> None:
    now = datetime.now(UTC)
    with sessions() as session:
        for n in range(per_conversation):
            for c in range(conversations):
                session.add(
                    OutboundMessage(
                        conversation_id=f"conv-{c}",
                        kind="agent_reply",
                        payload={"text": f"{c}/{n}"},
                        next_attempt_at=now,
                    )
                )
        session.commit()


def test_an_agent_reply_is_stored_pending_with_the_message_and_shows_delivered_once_sent(client, sessions):
    ticket = client.post("/api/v1/tickets", json=new_ticket(conversation_id="conv-a"), headers=AUTH).json()
    sent = client.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Ya va en camino"}, headers=AUTH
    )
    assert sent.status_code == 201
    assert sent.json()["delivery"] == {
        "status": "pending",
        "attempts": 0,
        "last_error": None,
        "delivered_at": None,
        "whatsapp": None,  # a web conversation: no WhatsApp statuses
    }
    [row] = rows(sessions)
    assert (row.conversation_id, row.kind, row.message_id) == ("conv-a", "agent_reply", sent.json()["id"])

    recorder = Recorder()
    client.app.state.delivery.senders["bot"] = recorder
    assert client.app.state.delivery.run_once() == 1
    assert [(o.conversation_id, o.payload["text"]) for o in recorder.sent] == [("conv-a", "Ya va en camino")]
    [message] = [m for m in client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["messages"]]
    assert message["delivery"]["status"] == "delivered" and message["delivery"]["attempts"] == 1
    assert client.app.state.delivery.run_once() == 0  # nothing is sent twice


def test_internal_notes_customer_messages_and_tickets_without_a_conversation_send_nothing(client, sessions):
    with_conversation = client.post("/api/v1/tickets", json=new_ticket(conversation_id="conv-b"), headers=AUTH).json()
    without = client.post("/api/v1/tickets", json=new_ticket(), headers=AUTH).json()
    for ticket_id, body in (
        (with_conversation["id"], {"author": "agent", "body": "nota", "internal": True}),
        (with_conversation["id"], {"author": "customer", "body": "hola"}),
        (without["id"], {"author": "agent", "body": "respuesta por correo"}),
    ):
        response = client.post(f"/api/v1/tickets/{ticket_id}/messages", json=body, headers=AUTH)
        assert response.status_code == 201 and response.json()["delivery"] is None
    assert rows(sessions) == []


def test_resolving_a_ticket_queues_the_resolution_message_with_the_change(client, sessions):
    ticket = client.post("/api/v1/tickets", json=new_ticket(conversation_id="conv-c"), headers=AUTH).json()
    assert client.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}, headers=AUTH).status_code == 200
    assert [(r.kind, r.conversation_id, r.ticket_id) for r in rows(sessions)] == [
        ("ticket_resolved", "conv-c", ticket["id"])
    ]


def test_a_failed_send_is_retried_until_it_is_delivered_and_the_attempts_and_error_are_kept(sessions):
    add_rows(sessions, 1, 1)
    recorder = Recorder([Outcome(False, "bot unreachable: ConnectError"), Outcome(False, "bot answered 503")])
    delivery = worker(sessions, recorder)
    assert delivery.run_once() == 1
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "bot unreachable: ConnectError")
    assert row.next_attempt_at > datetime.now(UTC) - timedelta(seconds=1)
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while rows(sessions)[0].status == "pending" and datetime.now(UTC) < deadline:
        delivery.run_once()
    [row] = rows(sessions)
    assert (row.status, row.attempts, row.last_error) == ("delivered", 3, None)
    assert len(recorder.sent) == 3


def test_past_the_deadline_a_message_is_failed_and_no_longer_tried(sessions):
    add_rows(sessions, 1, 1)
    recorder = Recorder([Outcome(False, "bot answered 503")] * 1000)  # the bot stays down past the deadline
    delivery = worker(sessions, recorder, deadline_seconds=0.2)
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while rows(sessions)[0].status == "pending" and datetime.now(UTC) < deadline:
        delivery.run_once()
    [row] = rows(sessions)
    assert row.status == "failed" and row.last_error == "bot answered 503" and row.attempts >= 2
    tried = len(recorder.sent)
    assert delivery.run_once() == 0 and len(recorder.sent) == tried


def test_a_refusal_that_retrying_cannot_change_fails_at_once(sessions):
    add_rows(sessions, 1, 1)
    delivery = worker(sessions, Recorder([Outcome(False, "bot answered 404: unknown intent", permanent=True)]))
    delivery.run_once()
    assert [(r.status, r.attempts) for r in rows(sessions)] == [("failed", 1)]


def test_a_conversation_gets_its_messages_in_order_even_when_the_first_must_wait(sessions):
    add_rows(sessions, 2, 3)  # conv-0 and conv-1, three messages each
    recorder = Recorder([Outcome(False, "bot answered 503")])  # the very first send fails
    delivery = worker(sessions, recorder)
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while any(r.status == "pending" for r in rows(sessions)) and datetime.now(UTC) < deadline:
        delivery.run_once()
    assert all(r.status == "delivered" for r in rows(sessions))
    for conversation in ("conv-0", "conv-1"):
        texts = [o.payload["text"] for o in recorder.sent if o.conversation_id == conversation]
        texts = list(dict.fromkeys(texts))  # the failed first try and its retry are one message
        assert texts == [f"{conversation[-1]}/0", f"{conversation[-1]}/1", f"{conversation[-1]}/2"]


def test_a_worker_that_died_mid_send_gives_the_message_back_after_its_lease(sessions):
    add_rows(sessions, 1, 1)
    with sessions() as session:
        [claimed] = outbox.claim_due(session, now=datetime.now(UTC), limit=5, lease_seconds=0.3)
    # ...the process died here, without recording anything. Another worker finds nothing due until the lease ends.
    recorder = Recorder()
    other = worker(sessions, recorder)
    assert other.run_once() == 0
    deadline = datetime.now(UTC) + timedelta(seconds=5)
    while not recorder.sent and datetime.now(UTC) < deadline:
        other.run_once()
    assert [o.id for o in recorder.sent] == [claimed.id]
    assert [(r.status, r.attempts) for r in rows(sessions)] == [("delivered", 2)]
    # The dead worker's late answer cannot overwrite the newer attempt.
    with sessions() as session:
        late = outbox.record(
            session,
            outbound=claimed,
            outcome=Outcome(False, "timeout"),
            now=datetime.now(UTC),
            deadline=timedelta(days=1),
            base_seconds=1,
            max_seconds=1,
        )
    assert late == "superseded" and rows(sessions)[0].status == "delivered"


CLAIMER = """
import json, sys
from datetime import UTC, datetime
from sqlalchemy import func, select
from ticketing.channels import outbox
from ticketing.channels.models import OutboundMessage
from ticketing.db import make_engine, session_factory
sessions = session_factory(make_engine(sys.argv[1]))
while True:
    with sessions() as session:
        claimed = outbox.claim_due(session, now=datetime.now(UTC), limit=3, lease_seconds=600)
        left = session.scalar(select(func.count()).where(OutboundMessage.status == "pending"))
    for row in claimed:
        print(json.dumps([row.id, row.conversation_id, row.payload["text"]]), flush=True)
        with sessions() as session:
            outbox.record(session, outbound=row, outcome=outbox.Outcome(True), now=datetime.now(UTC),
                          deadline=__import__("datetime").timedelta(days=1), base_seconds=1, max_seconds=1)
    if not claimed and not left:
        break
"""


def test_two_worker_processes_share_the_outbox_without_sending_anything_twice(sessions, settings):
    add_rows(sessions, 40, 5)  # 200 messages in 40 conversations
    env = {"PYTHONPATH": str(REPO_ROOT)}
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", CLAIMER, settings.database_url],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=REPO_ROOT,
        )
        for _ in range(2)
    ]
    outputs = [w.communicate(timeout=120)[0] for w in workers]
    assert all(w.returncode == 0 for w in workers)
    sent = [[json.loads(line) for line in out.splitlines()] for out in outputs]
    ids = [row[0] for lines in sent for row in lines]
    assert sorted(ids) == [r.id for r in rows(sessions)]  # every message once, none twice
    assert all(lines for lines in sent), "both workers took a share"
    with sessions() as session:
        assert session.scalar(select(func.count()).where(OutboundMessage.status != "delivered")) == 0
    # Each conversation's messages went out in the order they were written, whichever worker sent them.
    for c in range(40):
        delivered = [r.delivered_at for r in rows(sessions) if r.conversation_id == f"conv-{c}"]
        assert delivered == sorted(delivered)


def test_retry_delays_double_up_to_the_cap():
    delays = [outbox.retry_delay(n, 2, 60, jitter=0) for n in range(1, 9)]
    assert delays == [2, 4, 8, 16, 32, 60, 60, 60]
    assert all(1.6 <= outbox.retry_delay(1, 2, 60) <= 2.4 for _ in range(50))
