"""The channel's output side where no Graph API is involved."""

import asyncio

import pytest

from mostrador_whatsapp.channel import SendFailed, WhatsAppInput
from mostrador_whatsapp.settings import WhatsAppSettings


def test_a_push_to_a_whatsapp_conversation_on_a_server_without_whatsapp_settings_fails_instead_of_vanishing(tmp_path):
    settings = WhatsAppSettings("", "", "", "", "https://graph.facebook.com/v21.0", tmp_path / "inbox.db", None, 10)
    output = WhatsAppInput(settings).get_output_channel()
    assert output is not None  # Rasa would otherwise collect the message and answer 200
    with pytest.raises(SendFailed, match=r"whatsapp 0 \(temporary\): the WhatsApp channel is not configured"):
        asyncio.run(output.send_response("56912345678", {"text": "Hola"}))
