"""What the stack keeps in Redis when it has one, as in the compose deployment (skipped, with the reason, without)."""

import os

from redis import Redis

from tests.e2e.conftest import requires_redis
from tests.e2e.test_whatsapp import WhatsAppCustomer
from tests.whatsapp.meta import notification

pytestmark = requires_redis


def test_a_whatsapp_message_is_claimed_in_redis_so_no_other_rasa_server_answers_it_again(stack):
    phone = WhatsAppCustomer(stack)
    payload = notification("text", phone.wa_id, text="hola")
    wamid = payload["entry"][0]["changes"][0]["value"]["messages"][0]["id"]
    assert phone.post(payload).status_code == 200
    phone.wait(lambda sent: len(sent) >= 1)
    redis = Redis.from_url(os.environ["TEST_REDIS_URL"])
    try:
        key = f"mostrador:whatsapp:wamid:{wamid}"
        assert redis.exists(key) and redis.ttl(key) > 0  # claimed across servers, and forgotten after a while
    finally:
        redis.close()
