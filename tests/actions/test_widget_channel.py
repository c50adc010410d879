"""The web widget's socket.io channel: its session keys, and the history it sends back to a returning customer."""

from channels.widget import (
    TokenBucket,
    WidgetInput,
    _metadata,
    _origins,
    _site,
    conversation_id,
    history,
    new_session_key,
    valid_session_key,
    widget_message,
)
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered


def test_a_new_session_key_is_long_random_and_accepted_back():
    keys = {new_session_key() for _ in range(100)}
    assert len(keys) == 100
    assert all(valid_session_key(k) and len(k) == 43 for k in keys)


def test_a_conversation_id_is_a_hash_of_the_key_that_does_not_contain_it():
    key = new_session_key()
    assert conversation_id(key) == conversation_id(key)
    assert conversation_id(key).startswith("web-") and key not in conversation_id(key)
    assert conversation_id(key) != conversation_id(new_session_key())


def test_ids_of_other_channels_and_conversation_ids_are_not_session_keys():
    for value in ("ana", "+56912345678", "e2e-1234567890", conversation_id(new_session_key()), None, 42, "A" * 44):
        assert not valid_session_key(value)


def test_history_shows_what_the_customer_saw_and_said_without_pushed_intents_or_payloads():
    events = [
        UserUttered("hola", timestamp=1),
        ActionExecuted("action_answer_from_kb", timestamp=2),
        BotUttered("¿Te sirvió?", {"buttons": [{"title": "Sí", "payload": "/affirm"}]}, timestamp=3),
        UserUttered("/affirm", metadata={"display": "Sí"}, timestamp=4),
        UserUttered("/deny", timestamp=5),
        UserUttered("EXTERNAL: agent_reply", timestamp=6),
        BotUttered("Laura: hola", {"custom": {"from": "agent", "agent_name": "Laura"}}, timestamp=7),
        SlotSet("handoff", True, timestamp=8),
    ]
    assert history(events) == [
        {"from": "customer", "text": "hola", "timestamp": 1},
        {"from": "bot", "text": "¿Te sirvió?", "buttons": [{"title": "Sí", "payload": "/affirm"}], "timestamp": 3},
        {"from": "customer", "text": "Sí", "timestamp": 4},
        {"from": "agent", "text": "Laura: hola", "agent_name": "Laura", "timestamp": 7},
    ]


def test_a_kb_answer_keeps_its_article_link_and_nothing_else_of_the_payload():
    message = widget_message(
        "Despachamos en 24 horas.\nMás detalles: https://x/help/es/delivery-times",
        {"custom": {"kb_article": {"id": "delivery-times", "title": "Plazos", "url": "https://x", "score": 0.9}}},
    )
    assert message["kb_article"] == {"id": "delivery-times", "title": "Plazos", "url": "https://x"}


def test_metadata_keeps_only_the_button_title_and_a_locale():
    assert _metadata({"display": " Sí ", "locale": "es-CL", "token": "x"}) == {"display": "Sí", "locale": "es-CL"}
    assert _metadata({"locale": "<script>"}) == {}
    assert _metadata("nonsense") == {}


def test_a_socket_may_send_a_burst_then_one_message_a_second():
    bucket = TokenBucket(burst=3, per_second=1.0)
    assert [bucket.take() for _ in range(4)] == [True, True, True, False]
    assert 0 < bucket.wait() <= 1.0


def test_without_configured_origins_only_the_backends_own_site_may_open_a_socket(monkeypatch):
    monkeypatch.delenv("BOT_WIDGET_ORIGINS", raising=False)
    monkeypatch.setenv("TICKETING_PUBLIC_URL", "http://localhost:8000/")
    assert WidgetInput.from_credentials(None).origins == [
        "http://127.0.0.1:8000",
        "http://localhost:8000",
    ]
    assert _origins(_site("")) is None  # python-engineio: the Rasa server's own origin only
    monkeypatch.setenv("BOT_WIDGET_ORIGINS", "https://shop.example")
    assert WidgetInput.from_credentials(None).origins == ["https://shop.example"]
    assert _origins("https://shop.example, https://www.shop.example") == [
        "https://shop.example",
        "https://www.shop.example",
    ]
