"""Tickets created in batches (group commit): each ticket ends as if it had come alone, in arrival order."""

import asyncio
from datetime import UTC, datetime

import httpx
from sqlalchemy import func, select, update

from tests.ticketing.conftest import AUTH, new_ticket
from tests.ticketing.test_routing import only_online, pg_sessions, run_in_parallel  # noqa: F401 (a fixture)
from ticketing.agents.models import Agent
from ticketing.customers.models import Customer
from ticketing.errors import InvalidInput
from ticketing.tickets.intake import Outcome, create_tickets, prepare
from ticketing.tickets.models import Ticket, TicketEvent
from ticketing.tickets.schemas import TicketIn

NOW = datetime(2026, 11, 18, 15, 0, tzinfo=UTC)  # a Wednesday, mid-afternoon in Santiago


def draft(business, key=None, now=NOW, **overrides):
    return prepare(TicketIn(**new_ticket(**overrides)), business, actor="test", idempotency_key=key, now=now)


def batch(sessions, business, drafts) -> list[Outcome | Exception]:
    with sessions() as session:
        return create_tickets(session, business, drafts)


def test_a_batch_gives_each_ticket_its_own_number_customer_and_timeline(sessions, business):
    outcomes = batch(
        sessions,
        business,
        [
            draft(business, customer={"name": "Ana", "email": "ana@example.com"}),
            draft(business, customer={"name": "Ben", "email": "ben@example.com"}, description="My wifi drops"),
            draft(business, customer={"name": "Cata", "phone": "+56 9 1234 5678"}),
        ],
    )
    assert [o.created for o in outcomes] == [True, True, True]
    numbers = [o.ticket.number for o in outcomes]
    assert len(set(numbers)) == 3
    with sessions() as session:
        stored = {t.number: t for t in session.scalars(select(Ticket))}
        assert [stored[n].customer.name for n in numbers] == ["Ana", "Ben", "Cata"]
        assert stored[numbers[1]].category == "technical_support"
        for n in numbers:
            kinds = [e.kind for e in stored[n].events]
            assert kinds[:5] == ["created", "classified", "prioritised", "routed", "sla_started"]


def test_the_same_idempotency_key_twice_in_one_batch_makes_one_ticket(sessions, business):
    first, second = batch(sessions, business, [draft(business, key="k-1"), draft(business, key="k-1")])
    assert (first.created, second.created) == (True, False)
    assert first.ticket.id == second.ticket.id
    again = batch(sessions, business, [draft(business, key="k-1"), draft(business, key="k-2")])
    assert (again[0].created, again[0].ticket.id) == (False, first.ticket.id)
    assert again[1].created
    with sessions() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 2


def test_a_customer_writing_twice_in_one_batch_is_one_customer_and_a_repeat_contact(sessions, business):
    same = {"name": "Dora", "email": "Dora@Example.com"}
    first, second = batch(
        sessions,
        business,
        [draft(business, customer=same), draft(business, customer=same | {"email": "dora@example.com"})],
    )
    assert first.ticket.customer_id == second.ticket.customer_id
    assert not any("repeat" in r for r in first.ticket.priority_reasons)
    assert any("repeat" in r for r in second.ticket.priority_reasons)
    third = batch(sessions, business, [draft(business, customer=same)])[0]
    assert third.ticket.customer_id == first.ticket.customer_id
    with sessions() as session:
        assert session.scalar(select(func.count(Customer.id))) == 1


def test_agents_fill_up_within_a_batch_and_the_rest_waits_in_the_queue(sessions, business):
    only_online(sessions, {"laura@condorstore.cl": 2})
    with sessions() as session:
        session.execute(update(Agent).where(Agent.email == "laura@condorstore.cl").values(shift=None))
        session.commit()
    outcomes = batch(
        sessions,
        business,
        [draft(business, customer={"name": f"Q{i}", "email": f"q{i}@example.com"}) for i in range(4)],
    )
    assert [o.assignee for o in outcomes] == ["laura@condorstore.cl"] * 2 + [None] * 2
    with sessions() as session:
        laura = session.scalars(select(Agent).where(Agent.email == "laura@condorstore.cl")).one()
        assert laura.open_assigned == 2
        queued = session.scalars(select(TicketEvent).where(TicketEvent.kind == "queued")).all()
        assert len(queued) == 2 and all("at capacity (2/2)" in e.reason for e in queued)


def test_a_ticket_received_in_the_future_is_refused_before_it_reaches_a_batch(sessions, business):
    try:
        draft(business, received_at="2030-01-01T00:00:00Z")
    except InvalidInput as exc:
        assert "future" in str(exc)
    else:
        raise AssertionError("a received_at years ahead was accepted")
    ok = batch(sessions, business, [draft(business), draft(business, customer={"name": "E", "email": "e@example.com"})])
    assert all(o.created for o in ok)


def test_a_batch_that_fails_goes_again_one_by_one(sessions, business):
    """A metadata value the database cannot store fails its own ticket; the others of the batch are created."""
    good = draft(business, customer={"name": "F", "email": "f@example.com"})
    bad = draft(business, customer={"name": "G", "email": "g@example.com"}, subject="x" * 300)
    object.__setattr__(bad, "description", None)  # NOT NULL column: the batch's INSERT fails
    outcomes = batch(sessions, business, [good, bad])
    assert isinstance(outcomes[0], Outcome) and outcomes[0].created
    assert isinstance(outcomes[1], Exception)
    with sessions() as session:
        assert session.scalars(select(Ticket.id)).all() == [outcomes[0].ticket.id]


def test_concurrent_requests_through_the_api_each_get_their_ticket(client, sessions):
    """Sixteen requests at once through the ASGI app (one writer, batches): sixteen tickets, one per key."""
    app = client.app

    async def send_all():
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
            bodies = [new_ticket(customer={"name": f"P{i}", "email": f"p{i % 8}@example.com"}) for i in range(16)]
            sends = [
                http.post("/api/v1/tickets", json=b, headers=AUTH | {"Idempotency-Key": f"key-{i % 12}"})
                for i, b in enumerate(bodies)
            ]
            return await asyncio.gather(*sends)

    responses = asyncio.run(send_all())
    assert sorted(r.status_code for r in responses).count(201) == 12
    by_key: dict[str, set[int]] = {}
    for i, r in enumerate(responses):
        by_key.setdefault(f"key-{i % 12}", set()).add(r.json()["id"])
    assert all(len(ids) == 1 for ids in by_key.values())
    with sessions() as session:
        assert session.scalar(select(func.count(Ticket.id))) == 12
        assert session.scalar(select(func.count(Customer.id))) == 8


def test_parallel_batches_never_exceed_capacity_nor_assign_a_ticket_twice(pg_sessions, business):  # noqa: F811
    """Four writers (as four backend processes would) create batches at once on PostgreSQL."""
    sessions = pg_sessions
    only_online(sessions, {"laura@condorstore.cl": 9, "ana@condorstore.cl": 6})

    def writer(n: int) -> None:
        for b in range(5):
            drafts = [
                draft(business, customer={"name": f"W{n}", "email": f"w{n}-{b}-{i}@example.com"}, now=NOW)
                for i in range(6)
            ]
            for outcome in batch(sessions, business, drafts):
                if isinstance(outcome, Exception):
                    raise outcome

    assert run_in_parallel(writer, 4) == []
    with sessions() as session:
        agents = {a.email: a for a in session.scalars(select(Agent))}
        held = dict(
            session.execute(
                select(Ticket.assignee_id, func.count(Ticket.id))
                .where(Ticket.assignee_id.is_not(None))
                .group_by(Ticket.assignee_id)
            ).all()
        )
        assert session.scalar(select(func.count(Ticket.id))) == 120
        laura, ana = agents["laura@condorstore.cl"], agents["ana@condorstore.cl"]
        assert (laura.open_assigned, ana.open_assigned) == (held.get(laura.id, 0), held.get(ana.id, 0))
        assert (laura.open_assigned, ana.open_assigned) == (9, 6)  # full, never over
        assigned = session.scalar(select(func.count(TicketEvent.id)).where(TicketEvent.kind == "assigned"))
        assert assigned == laura.open_assigned + ana.open_assigned
