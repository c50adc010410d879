"""Privacy end to end, through the real bot, action server and backend (docs/privacy.md).

Two customers with known personal data talk to the bot: one agrees to have their details stored, one declines.
Then a supervisor exports and erases the first. What is checked is what stays: Rasa's tracker store (its rows),
the tickets, the action server's outbox, and the three services' logs at their default level.
"""

import json
import random
import re
import sqlite3
import time
import uuid

import httpx
import pytest
from sqlalchemy import create_engine, text

from tests.e2e.conftest import Bot, texts


def _person(name: str) -> dict:
    mobile = f"9{random.randint(20, 68)}{random.randint(10, 99)}{random.randint(1000, 9999)}"  # all valid in Chile
    return {
        "name": name,
        "email": f"{name.split()[0].lower()}.{uuid.uuid4().hex[:8]}@example.org",
        "phone_typed": f"+56 {mobile[0]} {mobile[1:5]} {mobile[5:]}",
        "phone": f"+56{mobile}",
        "order": f"CS-{random.randint(1000000, 9999999)}",
        "sender": f"e2e-privacy-{uuid.uuid4().hex[:10]}",
    }


def _traces(person: dict) -> dict[str, str]:
    """Every form of the person's data that must not stay: the name and its parts, email, phone, order."""
    first, last = person["name"].split()
    return {
        "name": person["name"],
        "first name": first,
        "last name": last,
        "email": person["email"],
        "phone": person["phone"][-8:],
        "order": person["order"].removeprefix("CS-"),
    }


def _found(text: str, person: dict) -> set[str]:
    lowered = text.lower()
    return {
        what
        for what, value in _traces(person).items()
        if re.search(rf"(?<![\w.]){re.escape(value.lower())}(?!\w)", lowered)
    }


def _tracker_rows(stack, sender: str) -> str:
    with sqlite3.connect(stack.tracker_db) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ? ORDER BY id", (sender,)).fetchall()
    return "\n".join(data + json.dumps(json.loads(data), ensure_ascii=False) for (data,) in rows)


def _tracker_files(stack) -> str:
    """The tracker store's files as bytes on disk (the database and its write-ahead log): old versions of rows too."""
    files = [stack.tracker_db, stack.tracker_db.with_name(stack.tracker_db.name + "-wal")]
    return "\n".join(f.read_bytes().decode("utf-8", "replace") for f in files if f.exists())


def _outbox_rows(stack, sender: str) -> int:
    with sqlite3.connect(stack.env["ACTIONS_OUTBOX_DB"]) as db:
        return db.execute("SELECT COUNT(*) FROM pending_ticket WHERE conversation_id = ?", (sender,)).fetchone()[0]


def _rows_naming(stack, conversation_id: str) -> dict[str, int]:
    """The backend's rows that name a conversation, per table."""
    engine = create_engine(stack.env["TICKETING_DATABASE_URL"])
    with engine.connect() as db:
        counts = {
            table: db.execute(
                text(f"SELECT COUNT(*) FROM {table} WHERE conversation_id = :c"), {"c": conversation_id}
            ).scalar()
            for table in ("outbound_message", "conversation", "ticket", "kb_gap")
        }
    engine.dispose()
    return counts


@pytest.fixture(scope="module")
def journeys(stack, rasa_url, api):
    """Both conversations, a status question, an agent reply, then the supervisor's export and erasures."""
    keeps, declines = _person("Wilfreda Quispe"), _person("Eulalia Mamani")
    ticketing = f"http://127.0.0.1:{stack.ports.ticketing}"
    token = httpx.post(
        f"{ticketing}/api/v1/auth/login", json={"email": "ana@condorstore.cl", "password": "condor-demo"}
    ).json()["token"]
    supervisor = httpx.Client(base_url=ticketing, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    seen: dict = {"keeps": keeps, "declines": declines, "supervisor": supervisor}

    bot = Bot(rasa_url, keeps["sender"])
    bot.say("quiero hablar con una persona")
    bot.say(keeps["name"])
    bot.say(keeps["email"])
    bot.say(keeps["order"])
    bot.say(f"Soy {keeps['name']} y el notebook del pedido {keeps['order']} llegó con la pantalla rota")
    seen["keeps_final"] = texts(bot.say("sí"))
    assert "T-" in seen["keeps_final"], seen["keeps_final"]
    number = seen["keeps_final"].split("T-")[1][:6]
    seen["keeps_ticket"] = api.get(f"/api/v1/tickets/by-number/T-{number}").json()
    supervisor.post(
        f"/api/v1/tickets/{seen['keeps_ticket']['id']}/messages",
        json={"author": "agent", "body": f"Hola {keeps['name'].split()[0]}, ya revisé el pedido {keeps['order']}"},
    )
    # The reply reaches the conversation before the erasure below: a reply still on its way when the conversation
    # is erased would open it again (docs/privacy.md, limits).
    deadline = time.monotonic() + 60
    while "ya revis" not in _tracker_rows(stack, keeps["sender"]) and time.monotonic() < deadline:
        time.sleep(0.2)
    asker = Bot(rasa_url, f"e2e-privacy-{uuid.uuid4().hex[:10]}")
    asker.say(f"cuál es el estado del ticket T-{number}? mi correo es {keeps['email']}")

    bot = Bot(rasa_url, declines["sender"])
    bot.say("necesito ayuda de una persona")
    bot.say(f"me llamo {declines['name']}")
    bot.say("no tengo correo")
    bot.say(declines["phone_typed"])
    bot.say(declines["order"])
    bot.say(f"Soy {declines['name']}, la tablet del pedido {declines['order']} no carga")
    seen["declines_final"] = texts(bot.say("no"))
    seen["declines_relay"] = texts(bot.say(f"por si acaso mi número es {declines['phone_typed']}"))
    assert "T-" in seen["declines_final"], (seen["declines_final"], _tracker_rows(stack, declines["sender"])[-3000:])
    number = seen["declines_final"].split("T-")[1][:6]
    seen["declines_ticket"] = api.get(f"/api/v1/tickets/by-number/T-{number}").json()
    seen["declines_rows"] = _tracker_rows(stack, declines["sender"])
    seen["declines_api"] = httpx.get(
        f"{rasa_url}/conversations/{declines['sender']}/tracker",
        params={"token": stack.env["BOT_API_TOKEN"], "include_events": "ALL"},
        timeout=30,
    ).text

    seen["export"] = supervisor.post("/api/v1/privacy/exports", json={"email": keeps["email"]})
    seen["export_declined"] = supervisor.post("/api/v1/privacy/exports", json={"phone": declines["phone_typed"]})
    seen["keeps_rows_before"] = _tracker_rows(stack, keeps["sender"])
    # A ticket of theirs still waiting in the action server's outbox (as when the backend was down): due much later.
    with sqlite3.connect(stack.env["ACTIONS_OUTBOX_DB"]) as db:
        db.execute(
            "INSERT INTO pending_ticket (idempotency_key, conversation_id, payload, next_attempt_at) VALUES (?, ?, ?, ?)",
            (f"rasa:{keeps['sender']}:1", keeps["sender"], json.dumps({"email": keeps["email"]}), time.time() + 3600),
        )
    seen["keeps_named_before"] = _rows_naming(stack, keeps["sender"])
    seen["erasure"] = supervisor.post("/api/v1/privacy/erasures", json={"email": keeps["email"]})
    seen["erasure_again"] = supervisor.post("/api/v1/privacy/erasures", json={"email": keeps["email"]})
    seen["keeps_rows_after"] = _tracker_rows(stack, keeps["sender"])
    seen["keeps_after"] = supervisor.get(f"/api/v1/tickets/{seen['keeps_ticket']['id']}").json()
    seen["keeps_named"] = _rows_naming(stack, keeps["sender"])
    yield seen
    supervisor.close()


def test_a_customer_who_declines_consent_gets_an_anonymous_ticket_and_is_told_so(journeys):
    assert "no guardaremos tus datos personales" in journeys["declines_final"]
    assert "T-" in journeys["declines_final"]
    assert "pasé a la persona" in journeys["declines_relay"]
    ticket = journeys["declines_ticket"]
    assert ticket["consent"] is False and ticket["order_number"] is None
    assert ticket["customer"]["name"] == "Anonymous customer" and ticket["customer"]["phone"] is None
    assert "la tablet" in ticket["description"] and "no carga" in ticket["description"]
    assert any(m["source"] == "transcript" for m in ticket["messages"])
    assert any(m["source"] == "live" and m["author"] == "customer" for m in ticket["messages"])
    assert _found(json.dumps(ticket, ensure_ascii=False), journeys["declines"]) == set()


def test_the_declined_conversation_in_the_tracker_store_keeps_nothing_the_customer_typed(journeys):
    rows, person = journeys["declines_rows"], journeys["declines"]
    assert rows.count('"event": "user"') >= 8  # the whole conversation is there, as intents
    assert '"data_consent"' in rows and '"[withheld]"' in rows
    assert _found(rows, person) == set()
    assert "tablet" not in rows and "no carga" not in rows
    # And as Rasa's own API serves it (read from the same store).
    assert _found(journeys["declines_api"], person) == set()


def test_the_tracker_stores_files_keep_no_old_version_of_a_withheld_or_erased_row(journeys, stack):
    on_disk = _tracker_files(stack)
    assert journeys["declines"]["sender"] in on_disk  # the files are read: the declined conversation is there
    assert _found(on_disk, journeys["declines"]) == set()
    # The erased customer's conversation is gone from the files too. (Their email stays where they typed it in
    # another conversation, the status question, which nothing links to them: docs/privacy.md, limits.)
    assert _found(on_disk, journeys["keeps"]) <= {"email", "first name"}
    assert journeys["keeps"]["sender"] not in on_disk


def test_a_customer_who_consents_keeps_their_ticket_and_conversation_until_erased(journeys):
    person = journeys["keeps"]
    assert "T-" in journeys["keeps_final"]
    assert journeys["keeps_ticket"]["customer"]["email"] == person["email"]
    assert journeys["keeps_ticket"]["order_number"] == person["order"]
    assert _found(journeys["keeps_rows_before"], person) >= {"name", "email", "order"}


def test_the_supervisors_export_holds_the_tickets_and_the_bot_conversation(journeys):
    response = journeys["export"]
    assert response.status_code == 200, response.text
    export = response.json()
    person = journeys["keeps"]
    assert [c["email"] for c in export["customers"]] == [person["email"]]
    assert journeys["keeps_ticket"]["number"] in [t["number"] for t in export["tickets"]]
    [conversation] = export["conversations"]
    assert conversation["conversation_id"] == person["sender"]
    typed = [e.get("text") for e in conversation["events"] if e["event"] == "user"]
    assert person["email"] in typed and person["order"] in typed


def test_nothing_is_held_by_the_phone_of_a_customer_who_declined(journeys):
    export = journeys["export_declined"].json()
    assert export["found"] is False and export["tickets"] == [] and export["conversations"] == []


def test_erasure_removes_the_conversation_the_outbox_entry_and_every_personal_detail(journeys, stack):
    person = journeys["keeps"]
    erasure = journeys["erasure"]
    assert erasure.status_code == 200, erasure.text
    result = erasure.json()
    assert result["outcome"] == "erased" and result["conversations"] == 1
    assert result["conversation_events"] > 10 and result["pending_tickets"] == 1
    assert journeys["keeps_rows_after"] == ""  # no row of the conversation is left in the tracker store
    assert _outbox_rows(stack, person["sender"]) == 0
    ticket = journeys["keeps_after"]
    assert _found(json.dumps(ticket, ensure_ascii=False), person) == set()
    assert ticket["conversation_id"] is None and ticket["timeline"][-1]["kind"] == "personal_data_erased"
    # The agent's reply on its way (outbox), deflection's record, the ticket: none names the conversation any more.
    assert journeys["keeps_named_before"]["outbound_message"] == 1 and journeys["keeps_named_before"]["ticket"] == 1
    assert journeys["keeps_named"] == {"outbound_message": 0, "conversation": 0, "ticket": 0, "kb_gap": 0}
    again = journeys["erasure_again"].json()
    assert again["outcome"] == "nothing_held" and again["conversations"] == 0
    trail = journeys["supervisor"].get("/api/v1/privacy/requests").json()["items"]
    assert [r["kind"] for r in trail[:3]] == ["erasure", "erasure", "export"]
    assert _found(json.dumps(trail), person) == set()


def test_no_service_logs_a_customers_personal_data_at_the_default_level(journeys, stack):
    logs = {name: stack.log_path(name).read_text(encoding="utf-8") for name in ("ticketing", "actions", "rasa")}
    # The files hold what each service printed (its start-up lines at least): the grep below reads real output.
    assert "Starting Rasa server" in logs["rasa"] and "Action endpoint is up" in logs["actions"]
    assert stack.log_path("ticketing").exists()
    for person in (journeys["keeps"], journeys["declines"]):
        leaks = {name: _found(text, person) for name, text in logs.items()}
        assert leaks == {"ticketing": set(), "actions": set(), "rasa": set()}, leaks


def test_erasing_by_phone_removes_the_whatsapp_conversation_that_number_names(journeys, stack):
    from tests.e2e.test_whatsapp import WhatsAppCustomer

    phone = WhatsAppCustomer(stack, profile_name="Eulalia Mamani")
    phone.say("hola, cuánto demora el envío a regiones?")
    phone.wait(lambda sent: len(sent) >= 1)
    deadline = time.monotonic() + 30  # the turn is stored after its answers are sent
    while '"event": "user"' not in _tracker_rows(stack, phone.wa_id):
        assert time.monotonic() < deadline, "the WhatsApp conversation never reached the tracker store"
        time.sleep(0.2)
    supervisor = journeys["supervisor"]
    export = supervisor.post("/api/v1/privacy/exports", json={"phone": f"+{phone.wa_id}"}).json()
    assert export["found"] is True and [c["conversation_id"] for c in export["conversations"]] == [phone.wa_id]
    erased = supervisor.post("/api/v1/privacy/erasures", json={"phone": f"+{phone.wa_id}"}).json()
    assert erased["outcome"] == "erased" and erased["conversations"] == 1 and erased["tickets"] == []
    assert _tracker_rows(stack, phone.wa_id) == ""
    assert _rows_naming(stack, phone.wa_id)["conversation"] == 0  # deflection counts it under another name
    again = supervisor.post("/api/v1/privacy/erasures", json={"phone": f"+{phone.wa_id}"}).json()
    assert again["outcome"] == "nothing_held"
