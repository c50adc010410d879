"""Rasa's SQL tracker store with Mostrador's privacy rules, on PostgreSQL (compose) or SQLite (one machine).

Privacy (docs/privacy.md):
- When the customer answers "no" to the consent question, the store keeps the conversation's intents, not the
  words: every stored event of that conversation is rewritten in the same transaction as the answer — what the
  customer typed (texts, entity values, parse data), the form's slots and anything the bot said that repeats
  them — and every later event of that session is written already withheld. The ticket was created in that same
  turn from the tracker in memory, before the save.
- `erase()` deletes every stored event of a conversation (the privacy channel calls it when the backend erases a
  customer). Rasa's HTTP API cannot: replacing a conversation's events with `PUT .../tracker/events` makes
  Rasa's SQL store append the new events after the old rows, which stay.

Speed on SQLite: Rasa opens a new SQLite connection for every read and write, and in SQLite's default journal
mode a commit waits for the disk: 17.6 ms per commit measured on this machine with plain sqlite3, against
0.04 ms in write-ahead-log mode with synchronous=NORMAL. `SQLiteTrackerStore` keeps its connections open and
uses the write-ahead log. A crash of Rasa loses nothing; a power cut may lose the last messages of a conversation.
"""

import json
import logging
import time
from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.events import Event, SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import event

log = logging.getLogger(__name__)

# The ticket form's slots and the question the customer asked before it: what the customer typed.
PERSONAL_SLOTS = frozenset(
    {"customer_name", "customer_email", "customer_phone", "order_number", "issue_description", "last_question"}
)
CONSENT_SLOT = "data_consent"
WITHHELD = "[withheld]"
# Entities whose values are the bot's own, not the customer's words (the language detector's).
OWN_ENTITIES = frozenset({"language"})
# Metadata a channel attaches to a message that is not about the person (the rest may be: a phone, a name).
SAFE_METADATA = frozenset({"model_id", "assistant_id"})
# Ids a channel gives its messages: not the person's, and too common in other events to replace.
CHANNEL_IDS = frozenset({"wamid", "timestamp", "message_id"})
SKIPPED = "-"  # what a skipped optional slot holds (actions/validators.py)


def personal_values(events: Iterable[dict[str, Any]]) -> list[str]:
    """What the customer typed, as it may be repeated elsewhere: texts, entity values, the form's slots."""
    found: set[str] = set()
    for e in events:
        kind = e.get("event")
        if kind == "user":
            found.add(e.get("text") or "")
            found.update(_strings(e.get("metadata"), skip=SAFE_METADATA | CHANNEL_IDS))  # a profile name, a number
            for entity in (e.get("parse_data") or {}).get("entities") or []:
                if entity.get("entity") not in OWN_ENTITIES:
                    found.add(str(entity.get("value") or ""))
        elif kind == "slot" and e.get("name") in PERSONAL_SLOTS and isinstance(e.get("value"), str):
            found.add(e["value"])
    # Longest first, so a whole text is replaced before a word inside it; short ones ("no", "-") say nothing.
    return sorted((v for v in found if len(v.strip()) >= 3 and v != WITHHELD), key=len, reverse=True)


def _strings(value: Any, skip: frozenset[str]) -> list[str]:
    """Every string inside a channel's metadata, but the keys in `skip`."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k not in skip for s in _strings(v, skip)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v, skip)]
    return []


def _replace(value: Any, personal: list[str]) -> Any:
    if isinstance(value, str):
        for text in personal:
            if text in value:
                value = value.replace(text, WITHHELD)
        return value
    if isinstance(value, dict):
        return {k: _replace(v, personal) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, personal) for v in value]
    return value


def _entities(entities: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    if not entities:
        return entities
    return [e if e.get("entity") in OWN_ENTITIES else {**e, "value": WITHHELD} for e in entities]


def _metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    if not metadata:
        return metadata
    return {k: v for k, v in metadata.items() if k in SAFE_METADATA}


def withhold(e: dict[str, Any], personal: list[str]) -> dict[str, Any]:
    """The event as the store keeps it once the customer declined consent: nothing they typed."""
    e = _replace(e, personal)
    kind = e.get("event")
    if kind in ("user", "session_started") and "metadata" in e:
        e["metadata"] = _metadata(e["metadata"])
    if kind == "user":
        if e.get("text"):
            e["text"] = WITHHELD
        parse = e.get("parse_data")
        if parse:
            e["parse_data"] = {
                **parse,
                "text": WITHHELD if parse.get("text") else parse.get("text"),
                "entities": _entities(parse.get("entities")),
                "metadata": _metadata(parse.get("metadata")),
            }
    elif kind == "entities":
        e["entities"] = _entities(e.get("entities"))
    elif kind == "slot" and e.get("name") in PERSONAL_SLOTS:
        e["value"] = None
    return e


class PrivateSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store that withholds what a customer typed once they decline consent, and can erase."""

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Append the tracker's new events; after a declined consent, withheld, and the older rows rewritten."""
        await self.stream_events(tracker)
        rewritten = False
        with self.session_scope() as session:
            new_events: list[Event] = list(self._additional_events(session, tracker))
            rows = [e.as_dict() for e in new_events]
            if _declined(tracker.events):
                old = []
                if any(isinstance(e, SlotSet) and e.key == CONSENT_SLOT for e in new_events):
                    # The answer was given in this turn: what was kept before it goes too, every session of it.
                    stored = session.query(self.SQLEvent).filter(self.SQLEvent.sender_id == tracker.sender_id)
                    old = [(row, json.loads(row.data)) for row in stored]
                personal = personal_values([*(data for _, data in old), *rows])
                for row, data in old:
                    kept = withhold(data, personal)
                    if kept != data:
                        row.data = json.dumps(kept)
                        rewritten = True
                rows = [withhold(data, personal) for data in rows]
            for data in rows:
                session.add(
                    self.SQLEvent(
                        sender_id=tracker.sender_id,
                        type_name=data.get("event"),
                        timestamp=data.get("timestamp"),
                        intent_name=(data.get("parse_data") or {}).get("intent", {}).get("name"),
                        action_name=data.get("name"),
                        data=json.dumps(data),
                    )
                )
            session.commit()
        if rewritten:
            self.forget_old_versions()

    def stored_events(self, sender_id: str) -> list[dict[str, Any]]:
        """Every stored event of a conversation, all sessions, in order (nothing is created or extended)."""
        with self.session_scope() as session:
            rows = (
                session.query(self.SQLEvent.data)
                .filter(self.SQLEvent.sender_id == sender_id)
                .order_by(self.SQLEvent.id)
                .all()
            )
            return [json.loads(data) for (data,) in rows]

    def erase(self, sender_id: str) -> int:
        """Delete every stored event of a conversation; return how many there were."""
        with self.session_scope() as session:
            deleted = (
                session.query(self.SQLEvent)
                .filter(self.SQLEvent.sender_id == sender_id)
                .delete(synchronize_session=False)
            )
            session.commit()
        if deleted:
            self.forget_old_versions()
        return deleted

    def forget_old_versions(self) -> None:
        """After rows were rewritten or deleted: make the database drop the old versions it may still hold.

        PostgreSQL keeps them as dead tuples until (auto)vacuum reclaims them; nothing to do here (docs/privacy.md).
        """


def _declined(events: Iterable[Event]) -> bool:
    decision = None
    for e in events:
        if isinstance(e, SlotSet) and e.key == CONSENT_SLOT and e.value is not None:
            decision = e.value
    return decision is False


class SQLiteTrackerStore(PrivateSQLTrackerStore):
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
            # Withheld or erased text is overwritten with zeros in the file, not just unlinked from the table.
            dbapi_connection.execute("PRAGMA secure_delete=ON")

        self.sessionmaker = sa.orm.session.sessionmaker(bind=self.engine)

    def forget_old_versions(self, patience: float = 5.0) -> None:
        """Leave no old copy of a deleted or rewritten row in the files.

        secure_delete zeroes a deleted row, but a row that SQLite moved earlier (its page was reorganised when a
        neighbour was rewritten or the table grew) can leave a copy in the page's unused space: VACUUM rebuilds the
        file from the live rows. It takes time in proportion to the whole store, which an erasure can afford. Then
        the write-ahead log, which still holds the pages as they were, is copied into the file and emptied; that
        cannot finish while another connection is reading (another conversation's turn), so it is tried again for
        `patience` seconds."""
        with self.engine.connect() as connection:
            connection.exec_driver_sql("VACUUM")
        deadline = time.monotonic() + patience
        while True:
            with self.engine.connect() as connection:
                busy, _log_frames, _copied = connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)").one()
            if not busy:
                return
            if time.monotonic() > deadline:
                log.warning("the tracker store's write-ahead log could not be emptied: old versions of rows remain")
                return
            time.sleep(0.05)


def private_store(tracker_store: Any) -> PrivateSQLTrackerStore | None:
    """Our store inside the wrappers Rasa puts around it (AwaitableTrackerStore, FailSafeTrackerStore)."""
    seen = 0
    while tracker_store is not None and seen < 5:
        if isinstance(tracker_store, PrivateSQLTrackerStore):
            return tracker_store
        tracker_store = getattr(tracker_store, "_tracker_store", None)
        seen += 1
    return None
