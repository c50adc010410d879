"""Live updates: a committed ticket change wakes the consoles' subscriptions; a rolled-back one does not."""

import asyncio

from sqlalchemy import update

from ticketing.agents.models import Agent
from ticketing.db import make_engine, session_factory
from ticketing.live import LiveHub, is_ticket_write
from ticketing.tickets.models import Ticket


def test_writes_to_tickets_messages_and_timelines_are_noticed_and_others_are_not():
    assert is_ticket_write("INSERT INTO ticket (subject) VALUES (?)")
    assert is_ticket_write('UPDATE "message" SET delivery_status=%(s)s')
    assert is_ticket_write("INSERT INTO ticket_event (kind) SELECT kind FROM json_populate_recordset(NULL)")
    assert not is_ticket_write("SELECT * FROM ticket")
    assert not is_ticket_write("UPDATE agent SET status='online'")
    assert not is_ticket_write("INSERT INTO ticket_lookup (x) VALUES (1)")


def test_a_committed_ticket_change_wakes_a_subscriber_and_a_rolled_back_one_does_not(tmp_path):
    from ticketing.migrate import upgrade

    url = f"sqlite:///{tmp_path / 'live.db'}"
    upgrade(url)
    engine = make_engine(url)
    hub = LiveHub(engine)
    sessions = session_factory(engine)

    async def scenario() -> tuple[bool, bool]:
        loop, flag = subscription = hub.subscribe()

        def change(commit: bool) -> None:
            with sessions() as session:
                session.execute(update(Ticket).where(Ticket.id == -1).values(subject="x"))
                session.commit() if commit else session.rollback()

        def unrelated_commit() -> None:
            with sessions() as session:
                session.execute(update(Agent).where(Agent.id == -1).values(status="away"))
                session.commit()

        await asyncio.to_thread(change, False)
        await asyncio.to_thread(unrelated_commit)  # the rolled-back ticket write must not ride on this commit
        try:
            await asyncio.wait_for(flag.wait(), timeout=0.5)
            woken_by_rollback = True
        except TimeoutError:
            woken_by_rollback = False
        await asyncio.to_thread(change, True)
        await asyncio.wait_for(flag.wait(), timeout=2)
        hub.unsubscribe(subscription)
        return woken_by_rollback, flag.is_set()

    woken_by_rollback, woken_by_commit = asyncio.run(scenario())
    hub.close()
    engine.dispose()
    assert not woken_by_rollback
    assert woken_by_commit
