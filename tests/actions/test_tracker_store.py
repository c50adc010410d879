"""The tracker store's privacy rules, checked on the rows themselves, on SQLite and (with TEST_POSTGRES_URL) PostgreSQL.

A conversation is saved turn by turn as the Rasa server does: the tracker of the turn is the stored one plus
the turn's events. The end-to-end test (tests/e2e/test_privacy.py) runs the same through the real bot.
"""

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered

from mostrador_nlu.tracker_store import WITHHELD, PrivateSQLTrackerStore, SQLiteTrackerStore

DOMAIN = Domain.load(str(Path(__file__).resolve().parents[2] / "bot" / "domain.yml"))
NAME, EMAIL, PHONE, ORDER = "Wilfreda Quispe", "wilfreda.q@example.org", "+56987651234", "CS-7654321"
PROBLEM = "mi notebook no enciende desde ayer"


def _user(text: str, intent: str, entities: list[dict] | None = None, metadata: dict | None = None) -> UserUttered:
    entities = entities or []
    return UserUttered(
        text,
        intent={"name": intent, "confidence": 0.9},
        entities=entities,
        parse_data={"text": text, "intent": {"name": intent}, "entities": entities},
        metadata=metadata,
    )


def _turns(consent: bool) -> list[list]:
    """The ticket form as the bot runs it, one list of events per saved turn."""
    return [
        [ActionExecuted("action_listen"), _user("quiero hablar con una persona", "request_human")],
        [ActionExecuted("ticket_form"), BotUttered("¿Cómo te llamas?"), ActionExecuted("action_listen")],
        [_user(f"me llamo {NAME}", "inform", [{"entity": "language", "value": "es"}]), SlotSet("customer_name", NAME)],
        [
            _user(EMAIL, "inform", [{"entity": "email", "value": EMAIL, "start": 0, "end": len(EMAIL)}]),
            SlotSet("customer_email", EMAIL),
            BotUttered(f"Anoté {EMAIL}, gracias {NAME}."),
        ],
        [
            _user(
                f"mi teléfono es {PHONE}", "inform", metadata={"whatsapp": {"wa_id": PHONE, "profile_name": "Wilfi Q"}}
            ),
            SlotSet("customer_phone", PHONE),
            BotUttered("¿Te llamamos Wilfi Q?", data={"buttons": [{"title": "Wilfi Q", "payload": "/affirm"}]}),
        ],
        [_user(ORDER, "inform"), SlotSet("order_number", ORDER)],
        [_user(PROBLEM, "inform"), SlotSet("issue_description", PROBLEM)],
        [
            _user("sí" if consent else "no", "affirm" if consent else "deny"),
            SlotSet("data_consent", consent),
            BotUttered("Listo, tu ticket es el T-000042."),
            SlotSet("ticket_number", "T-000042"),
            *([] if consent else [SlotSet(s, None) for s in ("customer_name", "customer_email", "data_consent")]),
        ],
        [_user(f"les escribo de nuevo, soy {NAME}", "inform"), BotUttered("Se lo pasé a la persona que te atiende.")],
    ]


def _converse(store: PrivateSQLTrackerStore, sender: str, consent: bool) -> None:
    for turn in _turns(consent):
        tracker = asyncio.run(store.retrieve(sender)) or store.init_tracker(sender)
        for event in turn:
            tracker.update(event)
        asyncio.run(store.save(tracker))


def _rows(store: PrivateSQLTrackerStore, sender: str) -> list[str]:
    with store.engine.connect() as connection:
        result = connection.execute(sa.text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender})
        return [data for (data,) in result]


def _personal_in(rows: list[str]) -> set[str]:
    text = "\n".join(rows) + "\n".join(json.dumps(json.loads(row), ensure_ascii=False) for row in rows)
    return {value for value in (NAME, "Wilfreda", EMAIL, PHONE, ORDER, PROBLEM, "Wilfi Q") if value in text}


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    if request.param == "sqlite":
        yield SQLiteTrackerStore(DOMAIN, db=str(tmp_path / "tracker.db"))
        return
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip(
            "TEST_POSTGRES_URL is not set (CI sets it; locally: postgresql+psycopg://postgres@127.0.0.1/postgres)"
        )
    url = sa.engine.make_url(admin_url).set(drivername="postgresql")
    name = f"mostrador_tracker_{uuid.uuid4().hex[:8]}"
    admin = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    tracker_store = PrivateSQLTrackerStore(DOMAIN, host=str(url.set(database=name)))
    try:
        yield tracker_store
    finally:
        tracker_store.engine.dispose()
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_declining_consent_leaves_nothing_the_customer_typed_in_the_stored_rows(store):
    _converse(store, "declines", consent=False)
    rows = _rows(store, "declines")
    assert _personal_in(rows) == set()
    events = [json.loads(row) for row in rows]
    users = [e for e in events if e["event"] == "user"]
    assert users and all(e["text"] == WITHHELD and e["parse_data"]["text"] == WITHHELD for e in users)
    # The conversation still reads as a conversation: intents, the consent answer, the ticket.
    assert [e["parse_data"]["intent"]["name"] for e in users][-2:] == ["deny", "inform"]
    assert {"name": "data_consent", "value": False} in [
        {"name": e.get("name"), "value": e.get("value")} for e in events
    ]
    assert any(e["event"] == "slot" and e["value"] == "T-000042" for e in events)
    assert all("whatsapp" not in (e.get("metadata") or {}) for e in events)
    # Rasa reads it back, and the next turn appends after it (the count of rows is unchanged by the rewrite).
    tracker = asyncio.run(store.retrieve("declines"))
    assert len(tracker.events) == len(rows)
    assert tracker.get_slot("customer_email") is None and tracker.get_slot("ticket_number") == "T-000042"


def test_a_customer_who_consents_keeps_the_conversation_as_typed(store):
    _converse(store, "consents", consent=True)
    assert _personal_in(_rows(store, "consents")) == {NAME, "Wilfreda", EMAIL, PHONE, ORDER, PROBLEM, "Wilfi Q"}


def test_declining_in_one_conversation_leaves_another_alone(store):
    _converse(store, "consents", consent=True)
    _converse(store, "declines", consent=False)
    assert _personal_in(_rows(store, "consents")) == {NAME, "Wilfreda", EMAIL, PHONE, ORDER, PROBLEM, "Wilfi Q"}


def test_erasing_deletes_every_row_of_the_conversation_and_only_it(store):
    _converse(store, "erased", consent=True)
    _converse(store, "kept", consent=True)
    stored = len(_rows(store, "erased"))
    assert store.stored_events("erased")[0]["event"] == "action"
    assert store.erase("erased") == stored
    assert _rows(store, "erased") == [] and store.stored_events("erased") == []
    assert store.erase("erased") == 0
    assert len(_rows(store, "kept")) == stored


def test_an_erased_conversation_leaves_no_old_copy_anywhere_in_the_files(tmp_path):
    """Rows moved while the table grew leave copies in the pages' unused space, which secure_delete does not clear."""
    path = tmp_path / "tracker.db"
    store = SQLiteTrackerStore(DOMAIN, db=str(path))
    for i in range(12):  # interleaved conversations: their rows share pages, which split as the table grows
        _converse(store, f"conversation-{i:02d}", consent=True)
        if i == 3:
            _converse(store, "erased-one", consent=True)
    assert store.erase("erased-one") > 0
    wal = path.with_name(path.name + "-wal")
    on_disk = path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")
    assert b"erased-one" not in on_disk
    assert b"conversation-07" in on_disk  # the others are still there
