"""A WhatsApp ticket in the agent console, in a real browser: the 24-hour window above the reply box (read out
with it), and Meta's statuses arriving live as ticks on the agent's replies (failed: with Meta's reason)."""

import re

from playwright.sync_api import expect

from tests.e2e.browser import axe_violations
from tests.e2e.test_console import console_url, log_in, no_policy_violations  # noqa: F401 (an autouse fixture)
from tests.e2e.test_whatsapp import WhatsAppCustomer, whatsapp_ticket


def test_the_window_and_whatsapps_ticks_show_on_a_whatsapp_ticket(page, stack, api):
    phone = WhatsAppCustomer(stack)
    phone.say("hola")
    phone.wait(lambda s: len(s) >= 1)
    ticket = whatsapp_ticket(api, phone)
    log_in(page, stack, "ana@condorstore.cl")
    page.goto(f"{console_url(stack)}/tickets/{ticket['number']}")
    page.locator("body[data-live='on']").wait_for(state="attached")

    window = page.locator("#whatsapp-window")
    expect(window).to_have_text(re.compile(r"^WhatsApp: the 24-hour window is open until \d\d-\d\d \d\d:\d\d; "))
    # Whoever uses a screen reader hears it with the reply box, before writing.
    reply_box = page.get_by_role("textbox", name="Reply")
    expect(reply_box).to_have_accessible_description(re.compile(r"24-hour window is open until"))

    reply_box.fill("Your order leaves today.")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"m=sent"))
    carried = phone.wait_for_text("Your order leaves today.")
    tick = page.locator(".msg-agent [data-whatsapp]").last
    expect(tick).to_have_text("✓ sent to WhatsApp", timeout=15_000)
    phone.notify("status", status="read", status_wamid=carried.wamid)
    expect(tick).to_have_text("✓✓ read", timeout=15_000)  # live: no reload
    assert tick.locator("[aria-hidden='true']").inner_text() == "✓✓"  # the ticks are not read out, the word is

    page.get_by_role("textbox", name="Reply").fill("Are you still there?")
    page.get_by_role("button", name="Send").click()
    page.wait_for_url(re.compile(r"m=sent"))
    carried = phone.wait_for_text("Are you still there?")
    page.locator(".msg-agent [data-whatsapp='sent']").last.wait_for()
    phone.notify("status_failed", status_wamid=carried.wamid)
    error = page.locator(".msg-agent .delivery-error").last
    expect(error).to_have_text(re.compile(r"^WhatsApp error 131047: Message failed to send because more than 24 h"))
    assert axe_violations(page) == []


def test_a_closed_window_says_the_reply_goes_as_the_template(page, stack, api):
    phone = WhatsAppCustomer(stack)
    ticket = whatsapp_ticket(api, phone, hours_ago=25, said="mi pedido no ha llegado")
    log_in(page, stack, "ana@condorstore.cl", language="es")
    page.goto(f"{console_url(stack)}/tickets/{ticket['number']}")
    expect(page.locator("#whatsapp-window")).to_have_text(
        re.compile(
            r"se cerró el \d\d-\d\d \d\d:\d\d; tu respuesta irá como la plantilla aprobada «condor_ticket_update»"
        )
    )
    assert axe_violations(page) == []
