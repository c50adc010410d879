"""The bot's messages as Graph API requests, within WhatsApp's limits."""

from mostrador_whatsapp.messages import graph_messages, split_text


def test_long_text_is_split_at_word_boundaries_under_4096_characters():
    text = " ".join(["palabra"] * 1500)  # 11,999 characters
    pieces = split_text(text)
    assert len(pieces) == 3 and all(len(p) <= 4096 for p in pieces)
    assert " ".join(pieces) == text


def test_up_to_three_short_buttons_are_reply_buttons():
    (message,) = graph_messages(
        "569",
        {
            "text": "¿Te sirvió?",
            "buttons": [{"title": "Sí", "payload": "/affirm"}, {"title": "No", "payload": "/deny"}],
        },
    )
    assert message["type"] == "interactive" and message["interactive"]["type"] == "button"
    assert message["interactive"]["body"] == {"text": "¿Te sirvió?"}
    assert [b["reply"] for b in message["interactive"]["action"]["buttons"]] == [
        {"id": "/affirm", "title": "Sí"},
        {"id": "/deny", "title": "No"},
    ]


def test_more_buttons_or_long_titles_become_a_list_with_the_whole_title_in_the_description():
    buttons = [{"title": "Plazos de entrega a regiones y Santiago", "payload": "Plazos"}] + [
        {"title": str(n), "payload": str(n)} for n in range(1, 5)
    ]
    (message,) = graph_messages("569", {"text": "¿Te refieres a alguno de estos temas?", "buttons": buttons})
    action = message["interactive"]["action"]
    assert message["interactive"]["type"] == "list" and action["button"] == "Ver opciones"
    first = action["sections"][0]["rows"][0]
    assert len(first["title"]) <= 24 and first["description"] == "Plazos de entrega a regiones y Santiago"
    assert [r["id"] for r in action["sections"][0]["rows"]] == ["Plazos", "1", "2", "3", "4"]


def test_a_link_is_previewed_and_a_custom_payload_is_never_sent_as_text():
    messages = graph_messages(
        "569",
        {
            "text": "Tarda 3 días.\nMás detalles: https://x.cl/help/es/delivery-times",
            "custom": {"kb_article": {"id": 1}},
        },
    )
    assert messages == [
        {
            "messaging_product": "whatsapp",
            "recipient_type": "individual",
            "to": "569",
            "type": "text",
            "text": {"preview_url": True, "body": "Tarda 3 días.\nMás detalles: https://x.cl/help/es/delivery-times"},
        }
    ]


def test_a_template_replaces_the_text_outside_the_window():
    (message,) = graph_messages(
        "569",
        {
            "text": "Hola",
            "whatsapp_template": {"name": "agent_reply", "language": "es", "parameters": ["T-000001", "Hola"]},
        },
    )
    assert message["type"] == "template"
    assert message["template"] == {
        "name": "agent_reply",
        "language": {"code": "es"},
        "components": [
            {"type": "body", "parameters": [{"type": "text", "text": "T-000001"}, {"type": "text", "text": "Hola"}]}
        ],
    }


def test_a_text_too_long_to_carry_buttons_goes_first_and_its_end_carries_them():
    text = "a " * 1000  # 2,000 characters: more than an interactive body's 1,024
    messages = graph_messages("569", {"text": text, "buttons": [{"title": "Sí", "payload": "/affirm"}]})
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert len(messages[1]["interactive"]["body"]["text"]) <= 1024
