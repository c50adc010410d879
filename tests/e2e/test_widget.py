"""The website chat widget on the demo store, in a real Chromium, against the real bot, actions and backend.

Every test finds the widget the way a customer's screen reader does (the contract in docs/architecture.md): the
launcher is a button named with "chat", the conversation is `role="log"`, the message box a textbox named with
"mensaje"/"message", the send button "Enviar"/"Send", bot buttons by their titles and CSAT choices "1"…"5".
"""

import re
import time
import uuid

import httpx
import pytest

from tests.e2e.browser import axe_violations, new_page

expect = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make installs it)").expect

XSS = [
    "<img src=x onerror=\"window.__xss='img'\">",
    "<script>window.__xss='script'</script>",
    "[click](javascript:window.__xss='link')",
]


class Widget:
    """The chat widget on a page, driven through its accessible names."""

    def __init__(self, page, language: str):
        self.page, self.language = page, language
        self.launcher = page.get_by_role("button", name=re.compile("chat", re.I))
        self.log = page.get_by_role("log")
        self.box = page.get_by_role("textbox", name=re.compile("mensaje" if language == "es" else "message", re.I))
        self.send_button = page.get_by_role("button", name="Enviar" if language == "es" else "Send", exact=True)

    def visit(self, base_url: str) -> "Widget":
        self.page.goto(f"{base_url}/demo/{self.language}")
        return self

    def open(self) -> "Widget":
        self.launcher.click()
        expect(self.box).to_be_focused()
        return self

    def say(self, text: str, wait_for: str | re.Pattern | None = None) -> None:
        """Type a message and press Enter; wait until the bot has answered (or until `wait_for` shows)."""
        answered = self.answers()
        self.box.fill(text)
        self.box.press("Enter")
        self.wait_answers_after(answered)
        if wait_for is not None:
            expect(self.log).to_contain_text(wait_for, timeout=30_000)

    def click(self, title: str) -> None:
        answered = self.answers()
        self.log.get_by_role("button", name=title, exact=True).click()
        self.wait_answers_after(answered)

    def last_answer(self) -> str:
        return self.page.locator("[data-mostrador-widget] .mw-from-bot .mw-text").last.inner_text()

    def answers(self) -> int:
        return self.page.locator("[data-mostrador-widget] .mw-from-bot, [data-mostrador-widget] .mw-from-agent").count()

    def wait_answers_after(self, count: int) -> None:
        # Locators, not wait_for_function: the page's CSP forbids eval, which
        # Playwright's polling of a string predicate needs.
        answers = self.page.locator("[data-mostrador-widget] .mw-from-bot, [data-mostrador-widget] .mw-from-agent")
        answers.nth(count).wait_for(state="attached", timeout=45_000)
        self.page.locator("[data-mostrador-widget] .mw-typing.mw-on").wait_for(state="detached", timeout=45_000)


@pytest.fixture
def ticketing_url(stack) -> str:
    return stack.env["TICKETING_PUBLIC_URL"]


def test_a_question_gets_the_kb_answer_with_its_help_center_link_in_spanish(page, ticketing_url):
    widget = Widget(page, "es").visit(ticketing_url).open()
    widget.say("cuánto demora el envío a regiones?")
    link = widget.log.get_by_role("link", name=re.compile("Plazos de entrega"))
    expect(link).to_have_attribute("href", re.compile(r"/help/es/delivery-times$"))
    # "Did this help?" with real buttons named by their titles.
    expect(widget.log.get_by_role("button", name="Sí", exact=True)).to_be_visible()
    expect(widget.log.get_by_role("button", name="No", exact=True)).to_be_visible()
    assert axe_violations(page) == []


def test_the_english_page_speaks_english_and_answers_with_the_english_article(page, ticketing_url):
    widget = Widget(page, "en").visit(ticketing_url)
    expect(widget.launcher).to_be_visible()
    assert axe_violations(page) == []  # the store page with the chat closed
    widget.open()
    expect(widget.send_button).to_be_visible()
    widget.say("how long does delivery to other regions take?")
    expect(widget.log.get_by_role("link", name=re.compile("Delivery times"))).to_have_attribute(
        "href", re.compile(r"/help/en/delivery-times$")
    )
    expect(widget.log.get_by_role("button", name="Yes", exact=True)).to_be_visible()


@pytest.mark.parametrize(
    ("page_language", "turns", "expected"),
    [
        ("en", ["hola, quiero hablar con una persona", "Pedro Pérez", "pedro.perez@example.com"], "número de pedido"),
        ("es", ["I want to talk to a person", "John Smith", "john.smith@example.com"], "order number"),
    ],
)
def test_a_message_without_words_of_a_language_keeps_the_conversations_not_the_pages(
    page, ticketing_url, page_language, turns, expected
):
    """A Spanish speaker on the English page typed their email and the form went on in English (the page's language
    went with every message and decided whenever the words said nothing). It goes with the first message only."""
    widget = Widget(page, page_language).visit(ticketing_url).open()
    for text in turns:
        widget.say(text)
    assert expected in widget.last_answer()


def test_no_opens_the_form_the_ticket_number_shows_and_the_agent_reply_arrives_live_and_after_a_reload(
    browser, ticketing_url, api
):
    page = new_page(browser)
    widget = Widget(page, "es").visit(ticketing_url).open()
    email = f"camila.{uuid.uuid4().hex[:6]}@example.com"
    widget.say("cuánto demora el envío a regiones?")
    widget.click("No")
    answers = {"nombre": "Camila Soto", "correo": email, "pedido": "saltar", "cuéntame": "el envío no llega"}
    for _ in range(6):
        last = widget.last_answer().lower()
        if "autorizas" in last or "guardar" in last:
            break
        widget.say(next(value for key, value in answers.items() if key in last))
    widget.click("Sí")
    expect(widget.log).to_contain_text(re.compile(r"T-\d{6}"))
    number = re.search(r"T-\d{6}", widget.log.inner_text()).group(0)
    ticket = api.get("/api/v1/tickets", params={"customer_email": email}).json()["items"][0]
    assert ticket["number"] == number

    reply = "Hola Camila, te enviamos un notebook nuevo mañana."
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": reply}).is_success
    expect(widget.log).to_contain_text(reply, timeout=15_000)

    # An agent's HTML is text too.
    hostile = XSS[0] + " " + XSS[1]
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": hostile}).is_success
    expect(widget.log).to_contain_text(hostile, timeout=15_000)
    assert page.evaluate("window.__xss") is None
    assert page.locator("[data-mostrador-widget] .mw-log img").count() == 0

    page.reload()
    widget = Widget(page, "es")
    expect(widget.log).to_contain_text(number)  # the chat is still open after the reload, with its history
    widget.open()
    expect(widget.log).to_contain_text(reply)

    # The page is closed; the agent writes; the customer comes back later in the same browser.
    context = page.context
    page.close()
    later = "Camila, el despacho sale hoy a las 15:00."
    assert api.post(f"/api/v1/tickets/{ticket['id']}/messages", json={"author": "agent", "body": later}).is_success
    _wait_delivered(api, ticket["id"], later)
    page = context.new_page()
    widget = Widget(page, "es").visit(ticketing_url)
    expect(widget.launcher).to_have_accessible_name(re.compile("1 mensaje nuevo"))
    widget.open()
    expect(widget.log).to_contain_text(later)

    # Resolved: the customer rates with a button, and the score is stored on the ticket.
    assert api.patch(f"/api/v1/tickets/{ticket['id']}", json={"status": "resolved"}).is_success
    score = widget.log.get_by_role("button", name="4", exact=True)
    expect(score).to_be_visible(timeout=15_000)
    widget.log.get_by_role("textbox").fill("rápidos y amables")
    answered = widget.answers()
    score.click()
    widget.wait_answers_after(answered)
    expect(widget.log).to_contain_text("Gracias")
    timeline = api.get(f"/api/v1/tickets/{ticket['id']}").json()["timeline"]
    assert [e["data"] for e in timeline if e["kind"] == "csat"] == [{"score": 4}]
    assert axe_violations(page) == []
    context.close()


def _wait_delivered(api, ticket_id: int, body: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages = api.get(f"/api/v1/tickets/{ticket_id}").json()["messages"]
        if any(m["body"] == body and (m.get("delivery") or {}).get("status") == "delivered" for m in messages):
            return
        time.sleep(0.2)
    raise AssertionError(f"{body!r} was not delivered")


def test_html_and_scripts_from_the_customer_are_shown_as_text(page, ticketing_url):
    widget = Widget(page, "en").visit(ticketing_url).open()
    for payload in XSS:
        widget.say(payload)
    for payload in XSS[:2]:
        expect(widget.log).to_contain_text(payload)
    assert page.evaluate("window.__xss") is None
    assert page.locator("[data-mostrador-widget] .mw-log img, [data-mostrador-widget] .mw-log script").count() == 0
    assert page.locator("[data-mostrador-widget] .mw-log a[href^='javascript']").count() == 0


def test_at_360_px_the_panel_fits_the_screen_and_works(browser, ticketing_url):
    page = new_page(browser, mobile=True)
    widget = Widget(page, "es").visit(ticketing_url).open()
    box = page.get_by_role("log").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 360
    widget.say("hola")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.keyboard.press("Escape")
    expect(widget.launcher).to_be_focused()
    assert axe_violations(page) == []
    page.context.close()


def test_a_made_up_or_someone_elses_session_id_reads_nothing(browser, ticketing_url, customer):
    customer.say("quiero saber de mi pedido CS-1234567")  # someone's conversation on another channel
    for forged in (customer.sender, "A" * 43, "web-" + "0" * 40):
        page = new_page(browser)
        page.goto(f"{ticketing_url}/demo/es")
        page.evaluate("(key) => localStorage.setItem('mostrador.session', key)", forged)
        widget = Widget(page, "es").visit(ticketing_url).open()
        expect(widget.log).to_contain_text("Soy el asistente")
        assert "CS-1234567" not in widget.log.inner_text()
        assert widget.log.locator(".mw-from-customer").count() == 0
        page.context.close()


def test_a_socket_from_a_foreign_origin_is_refused(stack):
    url = f"http://127.0.0.1:{stack.ports.rasa}/socket.io/"
    params = {"EIO": "4", "transport": "polling"}
    foreign = httpx.get(url, params=params, headers={"Origin": "https://evil.example"}, timeout=10)
    ours = httpx.get(url, params=params, headers={"Origin": stack.env["TICKETING_PUBLIC_URL"]}, timeout=10)
    assert foreign.status_code == 400
    assert ours.status_code == 200


def test_an_article_with_html_in_its_title_and_answer_is_shown_as_text(page, ticketing_url, kb_dir, customer):
    (kb_dir / "en" / "xss-drone-repair.md").write_text(
        "---\nid: xss-drone-repair\ntitle: \"Drone repair <img src=x onerror=window.__xss='title'>\"\n"
        "language: en\ncategory: technical_support\n"
        "questions: [do you repair drones, can you fix my drone, drone repair service, my drone is broken who fixes it,\n"
        "  do you service quadcopters, where can I get my drone repaired]\n"
        "---\nWe repair drones <script>window.__xss='body'</script> in our Santiago workshop "
        "[within](javascript:window.__xss='md') ten days.\n",
        encoding="utf-8",
    )
    # The action server picks the article up within seconds (tests/e2e/test_knowledge_base.py times that).
    deadline = time.monotonic() + 30
    while not any(r.get("custom", {}).get("kb_article") for r in customer.say("do you repair drones?")):
        assert time.monotonic() < deadline, "the new article was not used within 30 seconds"
        time.sleep(0.5)
    widget = Widget(page, "en").visit(ticketing_url).open()
    widget.say("do you repair drones?")
    expect(widget.log.get_by_role("link", name=re.compile("Drone repair"))).to_be_visible()
    expect(widget.log).to_contain_text("<script>window.__xss='body'</script>")
    assert page.evaluate("window.__xss") is None
    assert page.locator("[data-mostrador-widget] .mw-log img, [data-mostrador-widget] .mw-log script").count() == 0
    assert page.locator("[data-mostrador-widget] .mw-log a[href^='javascript']").count() == 0


def test_empty_emoji_only_and_too_long_messages(page, ticketing_url):
    widget = Widget(page, "es").visit(ticketing_url).open()
    widget.box.fill("   ")
    widget.box.press("Enter")
    assert widget.log.locator(".mw-from-customer").count() == 0  # nothing sent, nothing lost
    widget.say("🙂🙂🙂")
    assert widget.log.locator(".mw-from-customer").count() == 1
    # The box stops at 5,000 characters and says how many are left near the end.
    widget.box.fill("x" * 10_000)
    assert len(widget.box.input_value()) == 5000
    expect(page.locator("[data-mostrador-widget] .mw-counter")).to_contain_text("5000")
    widget.say(widget.box.input_value())
    assert widget.log.locator(".mw-from-customer").count() == 2


def test_outside_business_hours_the_widget_says_when_people_are_back_and_the_bot_answers(page, ticketing_url):
    def closed_until_monday(route):
        settings = route.fetch().json()
        settings["hours"] = {"open": False, "opens_at": "2026-11-30T12:00:00+00:00", "timezone": "America/Santiago"}
        route.fulfill(json=settings)

    page.route("**/widget/v1/config", closed_until_monday)  # the calendar's answer on a Saturday afternoon
    widget = Widget(page, "es").visit(ticketing_url).open()
    expect(page.get_by_role("dialog")).to_contain_text(re.compile(r"vuelve el lunes,? 30 de noviembre.*09:00"))
    expect(page.get_by_role("dialog")).to_contain_text("hora de Chile")  # not "CLST" or "GMT-3"
    widget.say("cuánto demora el envío a regiones?")
    expect(widget.log.get_by_role("link", name=re.compile("Plazos de entrega"))).to_be_visible()
