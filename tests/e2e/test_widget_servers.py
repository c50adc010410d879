"""The chat widget with two Rasa servers: a push through either reaches the socket held by the other (Redis).

A second site (another backend process, on the same database) embeds the widget with its socket on a second Rasa
server, which shares the session stack's tracker store, lock store, action server and Redis. The second Rasa server
is started only after a customer is already typing on that site: Rasa down while the page is open.
"""

import hashlib
import os
import re
import sys
import uuid

import httpx
import pytest

from tests.e2e.browser import new_page
from tests.e2e.test_widget import Widget, expect
from ticketing.settings import REPO_ROOT

sys.path.insert(0, str(REPO_ROOT / "scripts"))
from stack import Ports, Stack, free_port

pytestmark = pytest.mark.skipif(
    not os.environ.get("TEST_REDIS_URL"), reason="two Rasa servers share the widget's sockets through Redis"
)


class SecondSite:
    def __init__(self, stack, var):
        ticketing, rasa = free_port(), free_port()
        self.url = f"http://localhost:{ticketing}"
        self.rasa_url = f"http://127.0.0.1:{rasa}"
        env = {
            **stack.env,
            "TICKETING_PUBLIC_URL": self.url,
            "TICKETING_WIDGET_SOCKET_URL": f"http://localhost:{rasa}",
            "BOT_WIDGET_ORIGINS": f"{stack.env['TICKETING_PUBLIC_URL']},{self.url}",
        }
        # Its own backend and Rasa server; the session stack's action server.
        self.processes = Stack(env, Ports(ticketing=ticketing, actions=stack.ports.actions, rasa=rasa), var)
        self.processes.start_service("ticketing")
        self.processes.wait_service_healthy("ticketing", timeout=120)

    def start_rasa(self) -> None:
        if self.processes.service("rasa").process is None:
            self.processes.start_service("rasa")
        self.processes.wait_service_healthy("rasa", timeout=240)

    def stop(self) -> None:
        for name in ("rasa", "ticketing"):
            self.processes.stop_service(name, timeout=5)


@pytest.fixture(scope="module")
def second_site(stack, tmp_path_factory):
    site = SecondSite(stack, tmp_path_factory.mktemp("second-site"))
    yield site
    site.stop()


def conversation_of(page) -> str:
    """The conversation id the widget's session key stands for (as bot/channels/widget.py derives it)."""
    key = page.evaluate("localStorage.getItem('mostrador.session')")
    return "web-" + hashlib.sha256(f"mostrador-widget:{key}".encode()).hexdigest()[:40]


def open_ticket(widget: Widget, email: str) -> str:
    widget.say("quiero hablar con una persona")
    answers = {"nombre": "Rocío Paz", "correo": email, "pedido": "saltar", "cuéntame": "mi pedido no llega"}
    for _ in range(6):
        last = widget.last_answer().lower()
        if "autorizas" in last:
            break
        reply = next((value for key, value in answers.items() if key in last), None)
        assert reply is not None, f"the form asked something unexpected: {last!r}"
        widget.say(reply)
    widget.click("Sí")
    expect(widget.log).to_contain_text(re.compile(r"T-\d{6}"))
    return re.search(r"T-\d{6}", widget.log.inner_text()).group(0)


def test_while_rasa_is_down_the_widget_says_so_and_sends_the_message_when_it_is_back(browser, second_site):
    page = new_page(browser)
    widget = Widget(page, "es").visit(second_site.url)
    widget.launcher.click()
    expect(page.get_by_role("dialog")).to_contain_text("Sin conexión", timeout=20_000)
    widget.box.fill("cuánto demora el envío a regiones?")
    widget.box.press("Enter")
    expect(widget.log).to_contain_text("Se enviará al volver la conexión")
    second_site.start_rasa()
    expect(widget.log.get_by_role("link", name=re.compile("Plazos de entrega"))).to_be_visible(timeout=30_000)
    expect(page.get_by_role("dialog")).not_to_contain_text("Sin conexión")
    page.context.close()


def test_a_push_through_either_rasa_server_reaches_the_widget_on_the_other(browser, stack, second_site, api):
    second_site.start_rasa()
    token = {"token": stack.env["BOT_API_TOKEN"], "output_channel": "latest"}
    on_first = new_page(browser)  # the session stack's site: its socket is on the first Rasa server
    on_second = new_page(browser)  # the second site: its socket is on the second Rasa server
    first = Widget(on_first, "es").visit(stack.env["TICKETING_PUBLIC_URL"]).open()
    second = Widget(on_second, "es").visit(second_site.url).open()

    # A ticket opened on the second server; the agent answers through the first site's backend (→ first server).
    email = f"rocio.{uuid.uuid4().hex[:6]}@example.com"
    open_ticket(second, email)
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    reply = "Hola Rocío, tu pedido sale mañana."
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply}).is_success
    expect(second.log).to_contain_text(reply, timeout=15_000)

    # And the other way: a conversation on the first server, a push through the second.
    first.say("hola")
    pushed = httpx.post(
        f"{second_site.rasa_url}/conversations/{conversation_of(on_first)}/trigger_intent",
        params=token,
        json={"name": "agent_reply", "entities": {"agent_message": "Te escribe Laura desde el otro servidor"}},
        timeout=30,
    )
    assert pushed.status_code == 200
    expect(first.log).to_contain_text("Te escribe Laura desde el otro servidor", timeout=15_000)

    # The backend is down (the page is loaded): the bot keeps answering questions.
    second_site.processes.stop_service("ticketing")
    second.say("cancelar")  # back from the handoff to the bot
    second.say("cuánto demora el envío a regiones?")
    expect(second.log.get_by_role("link", name=re.compile("Plazos de entrega"))).to_be_visible()
    on_first.context.close()
    on_second.context.close()
