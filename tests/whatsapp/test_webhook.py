"""Reading Meta's notifications: signature, shape, and what each kind of message becomes."""

import json

import pytest

from mostrador_whatsapp.webhook import BadNotification, parse_body, read_notification, sign, signature_is_valid
from tests.whatsapp.meta import notification

SECRET = "app-secret"


def test_only_the_hmac_of_the_exact_body_with_the_app_secret_is_accepted():
    body = b'{"object": "whatsapp_business_account"}'
    assert signature_is_valid(SECRET, body, sign(SECRET, body))
    assert not signature_is_valid(SECRET, body + b" ", sign(SECRET, body))
    assert not signature_is_valid(SECRET, body, sign("other", body))
    assert not signature_is_valid(SECRET, body, None)
    assert not signature_is_valid(SECRET, body, sign(SECRET, body).replace("sha256=", "sha1="))
    assert not signature_is_valid("", body, sign("", body))  # no secret configured: nothing is valid


@pytest.mark.parametrize(
    "body,code",
    [
        (b"\xff\xfe", "invalid_json"),
        (b"null", "invalid_notification"),
        (b'{"object": "instagram", "entry": [{}]}', "unknown_object"),
        (b'{"object": "whatsapp_business_account"}', "empty_entry"),
    ],
)
def test_bodies_that_are_not_notifications_name_the_problem(body, code):
    with pytest.raises(BadNotification) as problem:
        parse_body(body)
    assert problem.value.code == code


def read(payload):
    return read_notification(parse_body(json.dumps(payload).encode()))


def test_a_text_carries_the_sender_profile_name_and_is_cut_at_whatsapps_limit():
    (message,), statuses = read(notification("text", "56911112222", text="x" * 70000, profile_name="Ana Soto"))
    assert statuses == []
    assert (message.wa_id, message.profile_name, len(message.text), message.is_reply) == (
        "56911112222",
        "Ana Soto",
        4096,
        False,
    )


def test_button_and_list_replies_carry_the_id_we_sent_and_the_title_tapped():
    (button,), _ = read(notification("button_reply", "569", button=("/affirm", "Sí")))
    (row,), _ = read(notification("list_reply", "569", row=("Plazos de entrega", "Plazos de entrega")))
    assert (button.text, button.reply_title, button.is_reply) == ("/affirm", "Sí", True)
    assert (row.text, row.is_reply) == ("Plazos de entrega", True)


def test_media_and_unknown_types_become_attachments_with_their_caption():
    (image,), _ = read(notification("image", "569", caption="la caja llegó así"))
    (odd,), _ = read(notification("unsupported", "569"))
    assert image.attachment.type == "image" and image.attachment.id == "1043218493746092"
    assert image.text == "la caja llegó así" and image.attachment.mime_type == "image/jpeg"
    assert odd.attachment.type == "unsupported" and odd.text == ""


def test_statuses_are_not_messages():
    messages, (status,) = read(notification("status_failed", "569"))
    assert messages == []
    assert (status.status, status.recipient, status.errors[0]["code"]) == ("failed", "569", 131047)
