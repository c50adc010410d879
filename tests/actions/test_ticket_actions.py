"""The ticket form and the handoff, against a real backend over HTTP."""

import time
import uuid

import pytest
import requests
from rasa_sdk.executor import CollectingDispatcher

from actions.ticket_actions import (
    ActionAnnounceTicket,
    ActionCreateTicket,
    ActionTicketStatus,
    ValidateTicketForm,
    ticket_payload,
)
from tests.actions.conftest import TOKEN
from tests.actions.helpers import tracker

FORM_SLOTS = {
    "customer_name": "Ana Pérez",
    "customer_phone": None,
    "order_number": "CS-4821937",
    "issue_description": "Mi pedido llegó con la pantalla rota",
    "data_consent": True,
}


def run(action, t):
    dispatcher = CollectingDispatcher()
    events = action.run(dispatcher, t, {})
    return dispatcher.messages, events


def slot_events(events):
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


def test_create_ticket_posts_to_the_backend_and_tells_the_number_team_and_due_date(actions_env, backend_url):
    email = f"ana.{uuid.uuid4().hex[:6]}@example.com"
    messages, events = run(ActionCreateTicket(), tracker("sí", "affirm", {**FORM_SLOTS, "customer_email": email}))
    created = messages[0]
    assert created["response"] == "utter_ticket_created"
    number = created["number"]
    assert number.startswith("T-")
    assert created["team"] == "despachos y devoluciones"
    assert " a las " in created["due"]
    assert slot_events(events)["ticket_number"] == number

    found = requests.get(
        f"{backend_url}/api/v1/tickets", params={"customer_email": email}, headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()
    assert [t["number"] for t in found["items"]] == [number]
    assert found["items"][0]["conversation_id"] == "conv-1"


def test_running_the_same_submission_twice_creates_one_ticket(actions_env, backend_url):
    email = f"bea.{uuid.uuid4().hex[:6]}@example.com"
    t = tracker("sí", "affirm", {**FORM_SLOTS, "customer_email": email})
    first, _ = run(ActionCreateTicket(), t)
    second, _ = run(ActionCreateTicket(), t)
    assert first[0]["number"] == second[0]["number"]


def test_when_the_backend_is_down_nothing_is_lost_and_the_number_arrives_later(
    actions_env, backend_url, monkeypatch, tmp_path
):
    from actions import runtime
    from actions.outbox import TicketOutbox

    email = f"down.{uuid.uuid4().hex[:6]}@example.com"
    monkeypatch.setenv("ACTIONS_TICKETING_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("ACTIONS_OUTBOX_DB", str(tmp_path / "outbox.db"))
    runtime.settings.cache_clear()
    runtime.ticketing.cache_clear()
    runtime.outbox.cache_clear()
    t = tracker("sí", "affirm", {**FORM_SLOTS, "customer_email": email}, sender="conv-down")
    messages, events = run(ActionCreateTicket(), t)
    assert [m["response"] for m in messages] == ["utter_backend_down"]
    assert runtime.outbox().pending() == 1

    # The backend is back. The outbox retries with the same idempotency key and announces the number.
    monkeypatch.setenv("ACTIONS_TICKETING_URL", backend_url)
    runtime.settings.cache_clear()
    runtime.ticketing.cache_clear()
    announced = []
    box = TicketOutbox(
        tmp_path / "outbox.db",
        create=lambda payload, key: runtime.ticketing().create_ticket(payload, key),
        announce=lambda conversation, ticket: announced.append((conversation, ticket.number)) or True,
    )
    assert box.process_once(now=time.time() + 3600) == 1
    assert box.pending() == 0
    auth = {"Authorization": f"Bearer {TOKEN}"}
    found = requests.get(f"{backend_url}/api/v1/tickets", params={"customer_email": email}, headers=auth).json()
    assert announced == [("conv-down", found["items"][0]["number"])]
    # A retry of the same submission (the customer pressed "yes" again) does not make a second ticket.
    run(ActionCreateTicket(), t)
    again = requests.get(f"{backend_url}/api/v1/tickets", params={"customer_email": email}, headers=auth).json()
    assert again["total"] == 1
    runtime.outbox.cache_clear()


def test_status_is_told_to_the_conversation_that_owns_the_ticket_and_to_whoever_gives_its_email(actions_env):
    email = f"carla.{uuid.uuid4().hex[:6]}@example.com"
    created, _ = run(
        ActionCreateTicket(), tracker("sí", "affirm", {**FORM_SLOTS, "customer_email": email}, sender="owner")
    )
    number = created[0]["number"]

    mine, events = run(ActionTicketStatus(), tracker(f"¿cómo va mi ticket {number}?", "ticket_status", sender="owner"))
    assert number in mine[0]["text"] and "recibido" in mine[0]["text"]
    assert events == []  # the conversation's own ticket (slot ticket_number) is set only when it is created

    verified, _ = run(
        ActionTicketStatus(),
        tracker(f"estado del ticket {number}", "ticket_status", {"customer_email": email}, sender="other-device"),
    )
    assert number in verified[0]["text"]


def test_someone_elses_ticket_and_one_that_does_not_exist_get_the_same_words_in_both_languages(actions_env):
    created, _ = run(
        ActionCreateTicket(),
        tracker("sí", "affirm", {**FORM_SLOTS, "customer_email": f"d.{uuid.uuid4().hex[:6]}@example.com"}, sender="o"),
    )
    taken, unknown = created[0]["number"], "T-999999"
    for language, ask in (("es", "estado del ticket {}"), ("en", "status of ticket {}")):
        replies = []
        for number in (taken, unknown):
            slots = {"language": language, "customer_email": "intruso@example.com"}
            messages, events = run(ActionTicketStatus(), tracker(ask.format(number), "ticket_status", slots, "x"))
            assert events == []
            replies.append([m["text"] for m in messages])
        assert replies[0] == replies[1] and len(replies[0]) == 1
        assert taken not in replies[0][0] and unknown not in replies[0][0]
        assert ("Por seguridad" if language == "es" else "For your security") in replies[0][0]


def test_a_late_ticket_is_announced_only_if_the_backend_says_it_is_this_conversations(actions_env):
    created, _ = run(
        ActionCreateTicket(),
        tracker(
            "sí", "affirm", {**FORM_SLOTS, "customer_email": f"e.{uuid.uuid4().hex[:6]}@example.com"}, sender="late"
        ),
    )
    number = created[0]["number"]
    ticket_id = int(number.removeprefix("T-"))
    pushed = [
        {"entity": "ticket_id", "value": str(ticket_id)},
        {"entity": "ticket_number", "value": number},
        {"entity": "team", "value": "logistics"},
    ]
    mine, events = run(
        ActionAnnounceTicket(), tracker("EXTERNAL: ticket_created", "ticket_created", sender="late", entities=pushed)
    )
    assert mine[0]["number"] == number
    assert slot_events(events) == {"ticket_id": float(ticket_id), "ticket_number": number, "handoff": True}

    # Pushed on another conversation (by mistake, or by anyone holding the token): no handoff on that ticket.
    theirs, events = run(
        ActionAnnounceTicket(),
        tracker("EXTERNAL: ticket_created", "ticket_created", sender="someone-else", entities=pushed),
    )
    assert (theirs, events) == ([], [])


def test_an_invalid_email_is_re_asked_with_an_example():
    dispatcher = CollectingDispatcher()
    result = ValidateTicketForm().validate_customer_email("ana@gmail", dispatcher, tracker("ana@gmail"), {})
    assert result == {"customer_email": None}
    assert "nombre@dominio.cl" in dispatcher.messages[0]["text"]


def test_skipping_the_email_then_the_phone_asks_for_one_of_them_again():
    form = ValidateTicketForm()
    t = tracker("saltar", "deny", {"requested_slot": "customer_email"})
    assert form.validate_customer_email("saltar", CollectingDispatcher(), t, {}) == {"customer_email": "-"}
    dispatcher = CollectingDispatcher()
    t = tracker("no tengo", "deny", {"requested_slot": "customer_phone", "customer_email": "-"})
    assert form.validate_customer_phone("no tengo", dispatcher, t, {}) == {
        "customer_phone": None,
        "customer_email": None,
    }
    assert "al menos" in dispatcher.messages[0]["text"]


def test_the_order_number_may_be_skipped():
    t = tracker("no tengo", "deny", {"requested_slot": "order_number"})
    assert ValidateTicketForm().validate_order_number("no tengo", CollectingDispatcher(), t, {}) == {
        "order_number": "-"
    }


def order_answers(*answers: str, language: str = "es"):
    """The form asked for the order number, and the customer answered these, one after another."""
    now = time.time()
    events = [{"event": "slot", "name": "requested_slot", "value": "customer_email", "timestamp": now - 60}]
    events += [{"event": "user", "text": "ana@example.com", "timestamp": now - 50}]
    events += [{"event": "slot", "name": "requested_slot", "value": "order_number", "timestamp": now - 49}]
    for i, answer in enumerate(answers):
        events += [{"event": "user", "text": answer, "timestamp": now - 40 + i}]
        events += [{"event": "slot", "name": "requested_slot", "value": "order_number", "timestamp": now - 40 + i}]
    slots = {"requested_slot": "order_number", "language": language}
    return tracker(answers[-1], "inform", slots, events=events[:-1])


def validate_order(t):
    dispatcher = CollectingDispatcher()
    result = ValidateTicketForm().validate_order_number(t.latest_message["text"], dispatcher, t, {})
    return result["order_number"], dispatcher.messages


def test_an_order_number_in_another_format_is_asked_again_once_with_the_format():
    order, messages = validate_order(order_answers("48213"))
    assert order is None
    assert "CS-1234567" in messages[0]["text"] and not messages[0]["buttons"]


def test_after_the_second_miss_the_customer_may_keep_the_number_as_written_or_skip_it():
    order, messages = validate_order(order_answers("48213", "es el 48213"))
    assert order is None
    assert '"es el 48213"' in messages[0]["text"]
    assert [b["title"] for b in messages[0]["buttons"]] == ["Guardar así", "Saltar"]


@pytest.mark.parametrize(("language", "keep"), [("es", "Guardar así"), ("en", "Keep it as written")])
def test_keeping_it_stores_the_number_as_the_customer_wrote_it_in_either_language(language, keep):
    order, messages = validate_order(order_answers("48213", "48213", keep, language=language))
    assert (order, messages) == ("48213", [])


def test_skipping_it_after_the_offer_moves_on_without_a_number():
    t = order_answers("48213", "48213", "saltar")
    t.latest_message["intent"]["name"] = "deny"
    assert validate_order(t)[0] == "-"


def test_a_valid_number_after_two_misses_is_taken_normally():
    assert validate_order(order_answers("48213", "48213", "CS-4821937"))[0] == "CS-4821937"


def test_a_number_kept_as_written_is_marked_unverified_on_the_ticket_and_a_valid_one_is_not():
    kept = ticket_payload(tracker("sí", "affirm", {**FORM_SLOTS, "order_number": "48213"}))
    assert kept["order_number"] == "48213" and kept["metadata"]["order_number_unverified"] is True
    valid = ticket_payload(tracker("sí", "affirm", FORM_SLOTS))
    assert "order_number_unverified" not in valid["metadata"]


def test_a_question_the_kb_answers_given_as_the_name_is_answered_and_the_name_asked_again():
    form, dispatcher = ValidateTicketForm(), CollectingDispatcher()
    question = "olvidé mi clave, cómo la cambio"
    asked = {"requested_slot": "customer_name"}
    assert form.validate_customer_name(question, dispatcher, tracker(question, slots=asked), {}) == {
        "customer_name": None
    }
    assert dispatcher.messages[0]["custom"]["kb_article"]["id"] == "reset-password"
    # A name is still a name, and a name that is not a question gets no article.
    dispatcher = CollectingDispatcher()
    assert form.validate_customer_name("Marta Díaz", dispatcher, tracker("Marta Díaz", slots=asked), {}) == {
        "customer_name": "Marta Díaz"
    }
    assert dispatcher.messages == []


@pytest.mark.parametrize("reply", ["quizás", "tal vez", "no sé", "mmm", "maybe", "I guess so", "not sure"])
def test_a_hedge_is_no_answer_to_the_consent_question_even_when_nlu_reads_a_yes(reply):
    t = tracker(reply, "affirm", {"requested_slot": "data_consent"})
    dispatcher = CollectingDispatcher()
    assert ValidateTicketForm().validate_data_consent(True, dispatcher, t, {}) == {"data_consent": None}
    assert "sí o un no" in dispatcher.messages[0]["text"]


@pytest.mark.parametrize(
    ("reply", "intent", "value"),
    [("sí", "affirm", True), ("/affirm", "affirm", True), ("no", "deny", False), ("dale, sí", "affirm", True)],
)
def test_a_clear_yes_or_no_to_the_consent_question_is_taken(reply, intent, value):
    t = tracker(reply, intent, {"requested_slot": "data_consent"})
    assert ValidateTicketForm().validate_data_consent(value, CollectingDispatcher(), t, {}) == {"data_consent": value}


def test_a_status_question_where_the_name_is_asked_is_not_taken_for_a_name():
    t = tracker("como va mi ticket", "ticket_status", {"requested_slot": "customer_name"})
    t.latest_message["intent"]["confidence"] = 0.99
    dispatcher = CollectingDispatcher()
    assert ValidateTicketForm().validate_customer_name("como va mi ticket", dispatcher, t, {}) == {
        "customer_name": None
    }
    assert "nombre" in dispatcher.messages[0]["text"]


def test_a_phone_number_given_where_the_email_is_asked_is_taken_as_the_contact(actions_env):
    t = tracker("+56 9 8765 4321", "inform", {"requested_slot": "customer_email"})
    dispatcher = CollectingDispatcher()
    result = ValidateTicketForm().validate_customer_email("+56 9 8765 4321", dispatcher, t, {})
    assert result == {"customer_email": "-", "customer_phone": "+56987654321"} and dispatcher.messages == []


def test_a_pressed_button_shows_in_the_transcript_as_the_customer_saw_it():
    """The agent reads "Sí", not the payload "/affirm"; a typed word stays as typed."""
    from actions.ticket_actions import transcript

    consent = [{"title": "Sí", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}]
    events = [
        {"event": "bot", "text": "¿Nos autorizas a guardar tus datos?", "data": {"buttons": consent}},
        {"event": "user", "text": "/affirm"},
        {"event": "bot", "text": "¿Te sirvió esta respuesta?", "data": {"buttons": consent}},
        {"event": "user", "text": "no mucho"},
        {"event": "bot", "text": "Tu ticket es T-000001."},
        {"event": "user", "text": "/deny"},  # no button offered: as it came
    ]
    lines = transcript(tracker("/deny", events=events))
    assert [line["text"] for line in lines if line["sender"] == "customer"] == ["Sí", "no mucho", "/deny"]
