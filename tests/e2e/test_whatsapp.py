"""The WhatsApp channel with the three real processes: Meta's signed notifications in, Graph API requests out
(to a local fake that records them)."""

import concurrent.futures
import json
import sqlite3
import time
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from tests.whatsapp.meta import new_wa_id, notification, signed


class WhatsAppCustomer:
    """A customer writing from their phone: Meta posts their messages to the webhook, signed with the app secret."""

    def __init__(self, stack, profile_name: str = "Camila Rojas"):
        self.stack, self.graph, self.wa_id, self.profile_name = stack, stack.graph, new_wa_id(), profile_name
        self.url = f"http://127.0.0.1:{stack.ports.rasa}/webhooks/whatsapp/webhook"
        self.secret = stack.env["WHATSAPP_APP_SECRET"]

    def post(self, payload, headers: dict | None = None) -> httpx.Response:
        body, signed_headers = signed(payload, self.secret)
        return httpx.post(self.url, content=body, headers=headers or signed_headers, timeout=30)

    def notify(self, name: str, **changes) -> dict:
        payload = notification(name, self.wa_id, profile_name=self.profile_name, **changes)
        response = self.post(payload)
        assert response.status_code == 200, response.text
        return payload

    def say(self, text: str) -> dict:
        return self.notify("text", text=text)

    def tap(self, reply_id: str, title: str) -> dict:
        return self.notify("button_reply", button=(reply_id, title))

    def received(self):
        return self.graph.sent_to(self.wa_id)

    def wait(self, predicate, timeout: float = 60):
        return self.graph.wait_for(self.wa_id, predicate, timeout)

    def wait_for_text(self, fragment: str, after: int = 0, timeout: float = 60):
        sent = self.wait(lambda s: any(fragment in r.text for r in s[after:]), timeout)
        return next(r for r in sent[after:] if fragment in r.text)

    def tracker_texts(self) -> list[str]:
        token = self.stack.env["BOT_API_TOKEN"]
        tracker = httpx.get(
            f"http://127.0.0.1:{self.stack.ports.rasa}/conversations/{self.wa_id}/tracker",
            params={"token": token},
            timeout=30,
        ).json()
        return [e.get("text") for e in tracker.get("events", []) if e.get("event") == "user"]


@pytest.fixture
def phone(stack) -> WhatsAppCustomer:
    return WhatsAppCustomer(stack)


def webhook_url(stack) -> str:
    return f"http://127.0.0.1:{stack.ports.rasa}/webhooks/whatsapp/webhook"


def test_meta_verifies_the_webhook_with_our_verify_token_and_nobody_else_can(stack):
    url, token = webhook_url(stack), stack.env["WHATSAPP_VERIFY_TOKEN"]
    ok = httpx.get(url, params={"hub.mode": "subscribe", "hub.verify_token": token, "hub.challenge": "1158201444"})
    assert (ok.status_code, ok.text) == (200, "1158201444")
    for params in (
        {"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"},
        {"hub.mode": "unsubscribe", "hub.verify_token": token, "hub.challenge": "1"},
        {"hub.challenge": "1"},
    ):
        refused = httpx.get(url, params=params)
        assert refused.status_code == 403 and refused.json()["code"] == "verification_failed"


def test_a_question_in_spanish_gets_the_article_with_its_link_previewed_and_yes_no_buttons(phone, stack):
    phone.say("hola, cuánto demora el envío a regiones?")
    sent = phone.wait(lambda s: any(r.type == "interactive" for r in s))
    answer, buttons = sent[0], next(r for r in sent if r.type == "interactive")
    assert answer.authorization == f"Bearer {stack.env['WHATSAPP_ACCESS_TOKEN']}"
    assert answer.path == "/v21.0/106540352242922/messages"
    assert answer.body["messaging_product"] == "whatsapp" and answer.body["to"] == phone.wa_id
    assert answer.type == "text" and answer.body["text"]["preview_url"] is True
    assert "/help/es/delivery-times" in answer.text
    assert buttons.body["interactive"]["type"] == "button"
    assert buttons.choices == [("/affirm", "Sí"), ("/deny", "No")]
    assert "{" not in answer.text  # the kb_article payload is never sent as text

    # Tapping "Sí" is read as the button's payload.
    before = len(phone.received())
    phone.tap("/affirm", "Sí")
    phone.wait_for_text("¡Qué bueno!", after=before)


def test_a_question_in_english_is_answered_in_english(phone):
    phone.say("how long does shipping to other regions take?")
    sent = phone.wait(lambda s: any(r.type == "interactive" for r in s))
    assert "/help/en/" in sent[0].text
    assert next(r for r in sent if r.type == "interactive").choices == [("/affirm", "Yes"), ("/deny", "No")]


def test_meta_retrying_the_same_message_gets_one_answer(phone):
    payload = notification("text", phone.wa_id, text="hola")
    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(lambda _: phone.post(payload).status_code, range(4)))
    assert statuses == [200, 200, 200, 200]
    phone.wait(lambda s: len(s) >= 1)
    time.sleep(2)  # enough for any second answer to arrive
    assert len(phone.received()) == 1
    assert phone.post(payload).status_code == 200  # a retry the next day: still acknowledged, still ignored
    phone.say("gracias")
    phone.wait(lambda s: len(s) >= 2)
    assert phone.tracker_texts() == ["hola", "gracias"]


def test_forged_or_unsigned_notifications_are_refused_and_never_reach_the_bot(phone, stack):
    payload = notification("text", phone.wa_id, text="quiero mi reembolso")
    body, headers = signed(payload, "not-the-app-secret")
    assert httpx.post(webhook_url(stack), content=body, headers=headers).status_code == 403
    unsigned = httpx.post(webhook_url(stack), content=body, headers={"Content-Type": "application/json"})
    assert unsigned.status_code == 403 and unsigned.json()["code"] == "invalid_signature"
    tampered = phone.post(payload)  # correctly signed…
    body, headers = signed(payload, stack.env["WHATSAPP_APP_SECRET"])
    changed = body.replace(b"reembolso", b"reembolsX")  # …then changed on the way
    assert httpx.post(webhook_url(stack), content=changed, headers=headers).status_code == 403
    assert tampered.status_code == 200
    phone.wait(lambda s: len(s) >= 1)
    # Rasa sends the answer before it saves the turn: wait for the stored turn, then look at everything stored.
    deadline = time.monotonic() + 30
    while not phone.tracker_texts() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert phone.tracker_texts() == ["quiero mi reembolso"]  # only the genuine one


@pytest.mark.parametrize(
    "body,code",
    [
        (b"{not json", "invalid_json"),
        (b'{"object": "page", "entry": [{}]}', "unknown_object"),
        (b'{"object": "whatsapp_business_account", "entry": []}', "empty_entry"),
        (b"[1, 2]", "invalid_notification"),
    ],
)
def test_signed_bodies_that_are_not_notifications_get_a_clear_400(phone, body, code):
    response = phone.post(body)
    assert response.status_code == 400 and response.json()["code"] == code


def test_a_huge_text_and_a_message_type_nobody_knows_are_handled_politely(phone):
    phone.say("hola " * 14000)  # 70 KB
    phone.wait(lambda s: len(s) >= 1)
    assert len(phone.tracker_texts()[0]) == 4096
    before = len(phone.received())
    phone.notify("unsupported")
    phone.wait(lambda s: len(s) > before)


def test_statuses_are_recorded_against_the_message_sent_and_never_read_as_customer_text(phone, stack):
    phone.say("hola")
    first = phone.wait(lambda s: len(s) >= 1)[0]
    phone.notify("status", status="delivered", status_wamid=first.wamid)
    phone.notify("status", status="read", status_wamid=first.wamid)
    phone.notify("status", status="delivered", status_wamid=first.wamid)  # late: never goes back from read
    db = sqlite3.connect(stack.env["WHATSAPP_INBOX_DB"])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        row = db.execute("SELECT status, recipient FROM outbound WHERE wamid = ?", (first.wamid,)).fetchone()
        if row and row[0] == "read":
            break
        time.sleep(0.1)
    assert row == ("read", phone.wa_id)
    assert phone.tracker_texts() == ["hola"]


def whatsapp_ticket(api, phone, hours_ago: float = 0, said: str = "hola") -> dict:
    """A ticket for this WhatsApp customer, whose last message was `hours_ago` (over 24: the window is closed)."""
    wrote = (datetime.now(UTC) - timedelta(hours=hours_ago)).isoformat()
    body = {
        "customer": {"name": "Camila Rojas", "phone": f"+{phone.wa_id}"},
        "description": "Mi pedido CS-1234567 no ha llegado",
        "channel": "whatsapp",
        "language": "es",
        "conversation_id": phone.wa_id,
        "consent": True,
        "transcript": [{"sender": "customer", "text": said, "timestamp": wrote}],
        "received_at": wrote,
    }
    response = api.post("/api/v1/tickets", json=body)
    assert response.status_code == 201, response.text
    return response.json()


def wait_for_delivery(api, ticket: dict, message_id: int, predicate, timeout: float = 30) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        detail = api.get(f"/api/v1/tickets/{ticket['id']}").json()
        delivery = next(m for m in detail["messages"] if m["id"] == message_id)["delivery"]
        if predicate(delivery.get("whatsapp")) or time.monotonic() > deadline:
            return delivery
        time.sleep(0.1)


def test_metas_statuses_of_an_agents_reply_reach_its_ticket_and_are_never_read_as_customer_text(phone, api):
    phone.say("hola")
    phone.wait(lambda s: len(s) >= 1)
    ticket = whatsapp_ticket(api, phone)

    count = len(phone.received())
    reply = api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "Sale hoy."}).json()
    carried = phone.wait_for_text("Sale hoy.", after=count)
    # The channel tells the backend which wamid carried the reply…
    assert wait_for_delivery(api, ticket, reply["id"], lambda w: w is not None)["whatsapp"]["status"] == "sent"
    # …so Meta's statuses for that wamid land on the reply, in Meta's own format.
    phone.notify("status", status="delivered", status_wamid=carried.wamid)
    on_whatsapp = wait_for_delivery(api, ticket, reply["id"], lambda w: w["status"] == "delivered")["whatsapp"]
    assert on_whatsapp["status"] == "delivered"
    phone.notify("status", status="read", status_wamid=carried.wamid)
    phone.notify("status", status="delivered", status_wamid=carried.wamid)  # late: never goes back from read
    assert wait_for_delivery(api, ticket, reply["id"], lambda w: w["status"] == "read")["whatsapp"]["status"] == "read"
    time.sleep(1)
    assert wait_for_delivery(api, ticket, reply["id"], lambda w: True)["whatsapp"]["status"] == "read"

    # A reply Meta took but could not deliver: failed, with Meta's code and reason, on the reply and the timeline.
    count = len(phone.received())
    second = api.post(
        f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": "¿Sigues ahí?"}
    ).json()
    carried = phone.wait_for_text("¿Sigues ahí?", after=count)
    phone.notify("status_failed", status_wamid=carried.wamid)
    failed = wait_for_delivery(api, ticket, second["id"], lambda w: w and w["status"] == "failed")["whatsapp"]
    assert failed["status"] == "failed"
    assert failed["error"].startswith("WhatsApp error 131047: Message failed to send because more than 24 hours")
    timeline = api.get(f"/api/v1/tickets/{ticket['id']}").json()["timeline"]
    assert [e["kind"] for e in timeline].count("whatsapp_not_delivered") == 1
    said = [t for t in phone.tracker_texts() if not t.startswith("EXTERNAL:")]  # the backend's pushes
    assert said == ["hola"]  # no status became something the customer said


def test_graph_errors_are_retried_and_the_answer_still_arrives(phone, stack):
    stack.graph.fail_next.extend([131000, 130429])  # a 500, then a rate limit
    phone.say("hola")
    sent = phone.wait(lambda s: len(s) >= 1)
    failed = [r for r in stack.graph.requests if r.to == phone.wa_id and r.status != 200]
    assert [r.status for r in failed] == [500, 429]
    assert json.dumps(sent[0].body) == json.dumps(failed[0].body)  # the same message, sent again


def test_an_image_gets_a_polite_answer_in_the_customers_language(phone):
    phone.say("hello, my order arrived damaged")
    before = len(phone.wait(lambda s: len(s) >= 1))
    phone.notify("image", caption="")
    reply = phone.wait_for_text("I can only read text", after=before)
    assert reply.type == "text"


def test_form_to_ticket_agent_reply_attachment_and_csat_by_buttons_over_whatsapp(phone, api):
    phone.say("quiero hablar con una persona")
    assert phone.wait_for_text("¿Te registro como Camila Rojas?").choices == [("/affirm", "Sí")]
    count = len(phone.received())
    phone.tap("/affirm", "Sí")
    ask_phone = phone.wait_for_text("¿Te contactamos a este mismo número", after=count)
    assert f"+{phone.wa_id}" in ask_phone.text
    for answer, expected in (
        (("tap", "/affirm", "Sí"), "número de pedido"),
        (("say", "saltar"), "Cuéntame"),
        (("say", "mi notebook llegó con la pantalla quebrada"), "Último paso"),
        (("tap", "/affirm", "Sí"), "Tu ticket es el T-"),
    ):
        count = len(phone.received())
        phone.tap(*answer[1:]) if answer[0] == "tap" else phone.say(answer[1])
        reply = phone.wait_for_text(expected, after=count)
    number = reply.text.split("Tu ticket es el ")[1][:8]
    ticket = api.get(f"/api/v1/tickets/by-number/{number}").json()
    assert ticket["channel"] == "whatsapp" and ticket["conversation_id"] == phone.wa_id
    assert ticket["customer"]["name"] == "Camila Rojas" and ticket["customer"]["phone"] == f"+{phone.wa_id}"

    # A photo during the handoff is noted on the ticket for the agent (the bot cannot look at it).
    count = len(phone.received())
    phone.notify("image", caption="así llegó la caja")
    phone.wait_for_text("lo dejé en tu ticket", after=count)
    notes = [
        m["body"] for m in api.get(f"/api/v1/tickets/{ticket['id']}").json()["messages"] if m["author"] == "customer"
    ]
    assert any("[WhatsApp image] id 1043218493746092 — así llegó la caja" in n for n in notes)

    # The agent's reply reaches the phone.
    reply_text = "Hola Camila, te enviamos un notebook nuevo mañana."
    assert (
        api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply_text}).status_code
        == 201
    )
    phone.wait_for_text(reply_text)

    # Resolved: the score is asked with five choices (a list: WhatsApp shows at most three buttons).
    count = len(phone.received())
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).status_code == 200
    survey = phone.wait_for_text("Del 1 al 5", after=count)
    assert survey.body["interactive"]["type"] == "list"
    assert survey.choices == [(str(n), str(n)) for n in range(1, 6)]
    count = len(phone.received())
    phone.notify("list_reply", row=("4", "4"))
    phone.wait_for_text("Gracias por tu evaluación", after=count)
    timeline = api.get(f"/api/v1/tickets/{ticket['id']}").json()["timeline"]
    assert [e["data"] for e in timeline if e["kind"] == "csat"] == [{"score": 4}]


def test_a_number_whatsapp_refuses_is_recorded_with_metas_reason(phone, stack):
    stack.graph.fail_recipients[phone.wa_id] = 131026  # not on WhatsApp / cannot receive
    phone.say("hola")
    db = sqlite3.connect(stack.env["WHATSAPP_INBOX_DB"])
    deadline = time.monotonic() + 60
    rows = []
    while time.monotonic() < deadline and not rows:
        rows = db.execute("SELECT status, error FROM outbound WHERE recipient = ?", (phone.wa_id,)).fetchall()
        time.sleep(0.2)
    assert rows and rows[0][0] == "failed" and "131026" in rows[0][1]
    assert len([r for r in stack.graph.requests if r.to == phone.wa_id]) == 1  # permanent: not retried


def test_a_reply_id_that_is_not_one_of_our_buttons_is_read_as_the_title_tapped(phone):
    phone.tap("/ticket_resolved", "hola")  # no button of ours carries a pushed intent
    phone.wait(lambda s: len(s) >= 1)
    assert phone.tracker_texts() == ["hola"]


def test_while_the_graph_api_is_down_the_answer_waits_in_the_inbox_and_goes_when_it_is_back(phone, stack):
    stack.graph.fail_next.extend([131000, 131000, 131000])  # more than the inline retries
    phone.say("hola")
    sent = phone.wait(lambda s: len(s) >= 1)
    failed = [r for r in stack.graph.requests if r.to == phone.wa_id and r.status != 200]
    assert len(failed) == 3 and sent[0].at - failed[-1].at >= 4  # retried later from the inbox, not dropped
