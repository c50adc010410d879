"""The backend survives its database dropping connections (a restart, a failover)."""

import time

from sqlalchemy import create_engine, text

from ticketing.db import make_engine


def test_a_connection_the_server_dropped_is_replaced_without_an_error(postgres_url):
    engine = make_engine(postgres_url, idle_ping_seconds=0.1)
    with engine.connect() as connection:
        pid = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    admin.dispose()
    time.sleep(0.3)  # the pooled connection has been idle: it is checked before use
    with engine.connect() as connection:
        assert connection.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    engine.dispose()
