"""Assignment on the real database: queues, capacity, agents coming online, and parallel workers."""

import threading
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update

from tests.ticketing.conftest import AUTH, clean_database, login, new_ticket
from ticketing.agents.models import Agent
from ticketing.business.config import ConfigError, load_business
from ticketing.migrate import upgrade
from ticketing.routing.service import drain_queue
from ticketing.tickets import intake
from ticketing.tickets.models import Ticket
from ticketing.tickets.schemas import TicketIn


def only_online(sessions, emails: dict[str, int]) -> None:
    """Every agent offline except these, with these capacities."""
    with sessions() as session:
        session.execute(update(Agent).values(status="offline"))
        for email, capacity in emails.items():
            session.execute(update(Agent).where(Agent.email == email).values(status="online", capacity=capacity))
        session.commit()


def run_in_parallel(work, n: int) -> list[BaseException]:
    """Run work(0) … work(n - 1) on n threads at once; the errors they raised."""
    errors: list[BaseException] = []

    def guarded(i: int) -> None:
        try:
            work(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=guarded, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def create(client, n: int = 0, **overrides) -> dict:
    body = new_ticket(**{"customer": {"name": f"C{n}", "email": f"c{n}@example.com"}, **overrides})
    return client.post("/api/v1/tickets", json=body, headers=AUTH).json()


def test_without_a_free_agent_the_ticket_waits_and_says_why(client, sessions):
    only_online(sessions, {})
    ticket = create(client)
    assert ticket["assignee"] is None
    queued = [
        e
        for e in client.get(f"/api/v1/tickets/{ticket['id']}", headers=AUTH).json()["timeline"]
        if e["kind"] == "queued"
    ]
    assert "Laura Smith status offline" in queued[0]["reason"]


def test_a_freed_slot_goes_to_the_most_urgent_waiting_ticket(client, sessions):
    only_online(sessions, {"laura@condorstore.cl": 1})
    first = create(client, 1)
    calm = create(client, 2)
    angry = create(client, 3, description="Pésimo servicio, mi pedido no llega y nadie responde!!!")
    assert first["assignee"] == "laura@condorstore.cl"
    assert calm["assignee"] is None and angry["assignee"] is None
    client.patch(f"/api/v1/tickets/{first['id']}", json={"status": "resolved"}, headers=AUTH)
    assert client.get(f"/api/v1/tickets/{angry['id']}", headers=AUTH).json()["assignee"] == "laura@condorstore.cl"
    assert client.get(f"/api/v1/tickets/{calm['id']}", headers=AUTH).json()["assignee"] is None


def test_an_agent_coming_online_takes_waiting_tickets_up_to_capacity(client, sessions):
    only_online(sessions, {})
    tickets = [create(client, i) for i in range(3)]
    with sessions() as session:
        session.execute(update(Agent).where(Agent.email == "luis@condorstore.cl").values(capacity=2, shift=None))
        session.commit()
    luis = login(client, "luis@condorstore.cl")
    me = client.put("/api/v1/agents/me/status", json={"status": "online"}, headers=luis).json()
    assert me["open_assigned"] == 2
    assignees = [client.get(f"/api/v1/tickets/{t['id']}", headers=AUTH).json()["assignee"] for t in tickets]
    assert assignees.count("luis@condorstore.cl") == 2 and assignees.count(None) == 1


def test_a_vip_ticket_goes_to_a_vip_enabled_agent_even_if_busier(client, sessions):
    only_online(sessions, {"luis@condorstore.cl": 5, "laura@condorstore.cl": 5})
    with sessions() as session:
        session.execute(update(Agent).where(Agent.email == "luis@condorstore.cl").values(shift=None))
        session.execute(update(Agent).where(Agent.email == "laura@condorstore.cl").values(open_assigned=3))
        session.commit()
    vip = create(client, 9, customer={"name": "V", "email": "v@example.com", "plan": "vip"})
    assert vip["assignee"] == "laura@condorstore.cl"


def test_a_spanish_only_agent_does_not_get_an_english_ticket(client, sessions):
    only_online(sessions, {"luis@condorstore.cl": 5})
    with sessions() as session:
        session.execute(update(Agent).where(Agent.email == "luis@condorstore.cl").values(shift=None))
        session.commit()
    english = create(client, 1, language="en", description="Where is my order? It has been a week.")
    assert english["assignee"] is None


@pytest.fixture
def pg_sessions(postgres_url, business):
    """A clean, migrated PostgreSQL database: row locking is what this test is about."""
    upgrade(postgres_url)
    yield from clean_database(postgres_url, business)


def test_parallel_workers_never_exceed_capacity_nor_assign_a_ticket_twice(pg_sessions, business):
    sessions = pg_sessions
    only_online(sessions, {"laura@condorstore.cl": 7, "ana@condorstore.cl": 5})
    now = datetime.now(UTC)

    def worker(n: int) -> None:
        for i in range(10):
            body = new_ticket(customer={"name": f"W{n}", "email": f"w{n}-{i}@example.com"})
            draft = intake.prepare(TicketIn(**body), business, actor="test", idempotency_key=None, now=now)
            with sessions() as session:
                (outcome,) = intake.create_tickets(session, business, [draft])  # a batch of one, in this thread
            assert not isinstance(outcome, Exception), outcome
        with sessions() as session:
            drain_queue(session, business, now)
            session.commit()

    assert run_in_parallel(worker, 8) == []
    with sessions() as session:
        agents = {a.email: a for a in session.scalars(select(Agent))}
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 80
        held = {}
        for t in tickets:
            if t.assignee_id:
                held[t.assignee_id] = held.get(t.assignee_id, 0) + 1
        assert held.get(agents["laura@condorstore.cl"].id) == 7
        assert held.get(agents["ana@condorstore.cl"].id) == 5
        for agent in agents.values():
            assert agent.open_assigned == held.get(agent.id, 0) <= agent.capacity
        events = [e for t in tickets for e in t.events if e.kind == "assigned"]
        assert len(events) == 12  # one assignment per assigned ticket: none assigned twice


def test_a_broken_business_file_names_the_file_the_key_and_the_problem(tmp_path):
    bad = tmp_path / "business.yml"
    good = (
        load_business.__globals__["Path"](__file__).resolve().parents[2] / "ticketing" / "data" / "demo_business.yml"
    ).read_text()
    bad.write_text(
        good.replace("base_priority: low", "base_priority: whenever", 1).replace(
            "calendar: santiago}", "calendar: mars}", 1
        )
    )
    with pytest.raises(ConfigError) as caught:
        load_business(bad)
    message = str(caught.value)
    assert str(bad) in message
    assert "categories.sales.base_priority" in message
    bad.write_text("name: [unclosed")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_business(bad)
    bad.write_text(good.replace("calendar: santiago}", "calendar: mars}", 1))
    with pytest.raises(ConfigError, match="teams.billing.calendar: unknown calendar 'mars'"):
        load_business(bad)
