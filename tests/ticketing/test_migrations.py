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
