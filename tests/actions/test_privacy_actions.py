"""What the action server sends and keeps when a customer declines consent, and forgetting a conversation."""

import json
import time

from rasa_sdk.executor import CollectingDispatcher

from actions.outbox import TicketOutbox
from actions.privacy_actions import ActionForgetConversation
from actions.ticket_actions import ActionCreateTicket, ticket_payload
from tests.actions.helpers import tracker

NAME, EMAIL, PHONE, ORDER = "Wilfreda Quispe", "wilfreda.q@example.org", "+56987651234", "CS-7654321"
DECLINED = {
    "customer_name": NAME,
    "customer_email": EMAIL,
    "customer_phone": PHONE,
    "order_number": ORDER,
    "issue_description": f"Soy Wilfreda y mi pedido {ORDER} llegó roto, llámenme al +56 9 8765 1234",
    "data_consent": False,
}


def _declined_tracker(sender: str = "conv-declines"):
    now = time.time()
    events = [
        {"event": "bot", "text": "¿Cómo te llamas?", "timestamp": now - 5},
        {"event": "user", "text": f"me llamo {NAME}", "timestamp": now - 4},
        {"event": "user", "text": EMAIL, "timestamp": now - 3},
        {"event": "bot", "text": "También puedes llamarnos al 600 600 1234.", "timestamp": now - 2},
        {"event": "user", "text": "no", "timestamp": now},
    ]
    return tracker("no", "deny", DECLINED, sender=sender, events=events)


def _personal(text: str) -> set[str]:
    return {v for v in ("Wilfreda", "Quispe", EMAIL, "87651234", "8765 1234", "7654321") if v.lower() in text.lower()}


def test_a_declined_ticket_leaves_the_action_server_without_the_customers_details():
    payload = ticket_payload(_declined_tracker())
    assert payload["consent"] is False
    assert payload["customer"]["email"] is None and payload["customer"]["phone"] is None
    assert payload["customer"]["name"] == "Customer" and payload["order_number"] is None
    assert _personal(json.dumps(payload, ensure_ascii=False)) == set()
    assert "llegó roto" in payload["description"]  # the problem stays for the agent
    assert "600 600 1234" in payload["transcript"][3]["text"]  # the store's own phone, said by the bot, stays


def test_a_declined_ticket_waiting_for_the_backend_is_kept_without_the_details(actions_env, monkeypatch, tmp_path):
    from actions import runtime

    monkeypatch.setenv("ACTIONS_TICKETING_URL", "http://127.0.0.1:9")  # the backend is down
    runtime.settings.cache_clear()
    runtime.ticketing.cache_clear()
    dispatcher = CollectingDispatcher()
    ActionCreateTicket().run(dispatcher, _declined_tracker(), {})
    assert runtime.outbox().pending() == 1
    stored = "\n".join(line for line in (tmp_path / "outbox.db").read_bytes().decode("utf-8", "replace").splitlines())
    assert _personal(stored) == set()
    runtime.outbox().forget_conversation("conv-declines")  # its retry thread outlives the test: nothing left to retry


def test_forgetting_a_conversation_drops_its_waiting_tickets_and_only_them(tmp_path):
    box = TicketOutbox(tmp_path / "outbox.db", create=lambda payload, key: None, announce=lambda c, t: True)
    box.add("k1", "conv-erased", {"description": "a"})
    box.add("k2", "conv-erased", {"description": "b"})
    box.add("k3", "conv-kept", {"description": "c"})
    assert box.forget_conversation("conv-erased") == 2
    assert box.forget_conversation("conv-erased") == 0
    assert box.pending() == 1


def test_the_forget_action_answers_how_many_tickets_it_dropped(actions_env):
    from actions import runtime

    runtime.outbox().add("k1", "conv-erased", {"description": "a"})
    dispatcher = CollectingDispatcher()
    assert ActionForgetConversation().run(dispatcher, tracker(sender="conv-erased"), {}) == []
    assert dispatcher.messages[0]["custom"] == {"pending_tickets_deleted": 1}
    assert runtime.outbox().pending() == 0
