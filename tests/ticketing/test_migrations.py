"""Schema changes keep the data: a database can go back one release and forward again."""

from alembic import command
from sqlalchemy import create_engine, text

from ticketing.migrate import alembic_config, upgrade


def test_ticket_numbers_survive_a_downgrade_and_upgrade(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    upgrade(url)
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO customer (name, plan, consent, created_at) VALUES ('Ana', 'standard', 1, '2026-11-20')")
        )
        db.execute(
            text(
                "INSERT INTO ticket (id, customer_id, description, channel, language, status, category, priority,"
                " priority_rank, priority_reasons, team, tier, consent, metadata, received_at, created_at, updated_at,"
                " sla_state, first_response_breached, resolution_breached)"
                " VALUES (42, 1, 'x', 'web', 'es', 'new', 'billing', 'normal', 1, '[]', 'billing', 1, 1, '{}',"
                " '2026-11-20', '2026-11-20', '2026-11-20', 'ok', 0, 0)"
            )
        )
    command.downgrade(alembic_config(url), "0001")
    with engine.connect() as db:
        assert db.execute(text("SELECT number FROM ticket WHERE id = 42")).scalar() == "T-000042"
    upgrade(url)
    with engine.connect() as db:
        columns = [row[1] for row in db.execute(text("PRAGMA table_info(ticket)"))]
    assert "number" not in columns and "description" in columns
    engine.dispose()


def test_a_vip_promise_written_as_a_suffix_becomes_the_policy_name_and_the_vip_flag(tmp_path):
    url = f"sqlite:///{tmp_path / 'migrations.db'}"
    config = alembic_config(url)
    command.upgrade(config, "0003")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(
            text("INSERT INTO customer (name, plan, consent, created_at) VALUES ('Ana', 'vip', 1, '2026-11-20')")
        )
        for ticket_id, policy in ((1, "normal (VIP)"), (2, "high")):
            db.execute(
                text(
                    "INSERT INTO ticket (id, customer_id, description, channel, language, status, category, priority,"
                    " priority_rank, priority_reasons, team, tier, consent, metadata, received_at, created_at,"
                    " updated_at, sla_state, first_response_breached, resolution_breached, sla_policy)"
                    " VALUES (:id, 1, 'x', 'web', 'es', 'new', 'billing', 'normal', 1, '[]', 'billing', 1, 1, '{}',"
                    " '2026-11-20', '2026-11-20', '2026-11-20', 'ok', 0, 0, :policy)"
                ),
                {"id": ticket_id, "policy": policy},
            )
    upgrade(url)
    with engine.connect() as db:
        rows = db.execute(text("SELECT id, sla_policy, sla_vip FROM ticket ORDER BY id")).all()
    assert [tuple(r) for r in rows] == [(1, "normal", 1), (2, "high", 0)]
    command.downgrade(config, "0003")
    with engine.connect() as db:
        policies = db.execute(text("SELECT sla_policy FROM ticket ORDER BY id")).scalars().all()
    assert policies == ["normal (VIP)", "high"]
    engine.dispose()
