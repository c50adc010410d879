"""Rasa's SQL tracker store, tuned for SQLite (the default on one machine; compose uses PostgreSQL).

Rasa opens a new SQLite connection for every read and write, and in SQLite's default journal mode every commit
waits for the disk twice: measured here, about 18 ms to save a tracker after each message. This store keeps its
connections open and uses the write-ahead log with synchronous=NORMAL, so a save costs a fraction of a
millisecond; a crash of Rasa loses nothing, a power cut may lose the last messages of a conversation.
"""

from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from sqlalchemy import event


class SQLiteTrackerStore(SQLTrackerStore):
    def __init__(self, domain: Any = None, db: str = "rasa.db", event_broker: Any = None, **kwargs: Any) -> None:
        kwargs.pop("dialect", None)
        kwargs.pop("host", None)
        super().__init__(domain, dialect="sqlite", db=db, event_broker=event_broker, **kwargs)
        url = self.engine.url
        self.engine.dispose()
        self.engine = sa.create_engine(
            url, poolclass=sa.pool.QueuePool, pool_size=4, connect_args={"check_same_thread": False}
        )

        @event.listens_for(self.engine, "connect")
        def _write_ahead_log(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA journal_mode=WAL")
            dbapi_connection.execute("PRAGMA synchronous=NORMAL")

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)
