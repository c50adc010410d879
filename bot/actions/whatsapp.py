"""What the actions do differently for a customer writing from WhatsApp.

The WhatsApp channel (bot/mostrador_whatsapp) puts what Meta tells about the sender in each message's metadata:
`{"whatsapp": {"wa_id", "profile_name", "wamid", "attachment"}}`. The form offers the profile name and the number
they write from for confirmation instead of asking them to type it; an image, audio, document or location gets
a polite answer (the bot reads text only) and, while a person handles their ticket, is noted on it for the agent.
"""

import json
import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.form_questions import AskOnce
from actions.texts import language_of, say
from actions.ticketing_client import TicketingRejected, TicketingUnavailable
from actions.validators import clean_name

log = logging.getLogger(__name__)
CHANNEL = "whatsapp"


def whatsapp_contact(tracker: Tracker) -> dict[str, Any] | None:
    """What WhatsApp said about the sender in their latest message from WhatsApp, if they write from there."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            found = (event.get("metadata") or {}).get(CHANNEL)
            if isinstance(found, dict) and event.get("input_channel") == CHANNEL:
                return found
    return None


def offered_name(tracker: Tracker) -> str | None:
    contact = whatsapp_contact(tracker)
    return clean_name(str(contact.get("profile_name") or "")) if contact else None


def offered_phone(tracker: Tracker) -> str | None:
    """The number they write from, in E.164. WhatsApp verified it; numbering plans change faster than libraries."""
    contact = whatsapp_contact(tracker)
    digits = str((contact or {}).get("wa_id") or "").lstrip("+")
    return f"+{digits}" if digits.isdigit() and 8 <= len(digits) <= 15 else None


def pushed_template(tracker: Tracker) -> dict[str, Any] | None:
    """The approved template the backend asks for (outside WhatsApp's 24-hour window), as the channel sends it."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == "whatsapp_template":
            value = entity.get("value")
            if isinstance(value, str):
                try:
                    value = json.loads(value)
                except ValueError:
                    return None
            return value if isinstance(value, dict) and value.get("name") else None
    return None


def _yes_no(language: str) -> list[dict[str, str]]:
    return [{"title": say(language, "yes"), "payload": "/affirm"}]


class ActionAskCustomerName(AskOnce):
    """The form's name question: on WhatsApp, the profile name is offered for confirmation."""

    slot = "customer_name"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        name = offered_name(tracker)
        if not name:
            dispatcher.utter_message(response="utter_ask_customer_name")
            return
        language = language_of(tracker.get_slot("language"))
        dispatcher.utter_message(text=say(language, "confirm_name", name=name), buttons=_yes_no(language))


class ActionAskCustomerPhone(AskOnce):
    """The form's phone question: on WhatsApp, the number they write from is offered for confirmation."""

    slot = "customer_phone"

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        phone = offered_phone(tracker)
        if not phone:
            dispatcher.utter_message(response="utter_ask_customer_phone")
            return
        language = language_of(tracker.get_slot("language"))
        dispatcher.utter_message(text=say(language, "confirm_phone", phone=phone), buttons=_yes_no(language))


class ActionWhatsAppAttachment(Action):
    """An image, audio, document, location… from WhatsApp: the bot cannot read it; a person handling the ticket can."""

    def name(self) -> str:
        return "action_whatsapp_attachment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker.get_slot("language"))
        contact = whatsapp_contact(tracker) or {}
        attachment = contact.get("attachment") or {}
        kind = str(attachment.get("type") or "attachment")
        ticket_id = tracker.get_slot("ticket_id")
        if tracker.get_slot("handoff") and ticket_id:
            note = f"[WhatsApp {kind}] id {attachment.get('id') or '-'}"
            if attachment.get("caption"):
                note += f" — {attachment['caption']}"
            try:
                runtime.ticketing().add_customer_message(int(ticket_id), note[:10000])
            except (TicketingUnavailable, TicketingRejected) as exc:
                log.warning("could not note the attachment on ticket %s: %s", ticket_id, exc)
                dispatcher.utter_message(text=say(language, "relay_failed"))
                return []
            dispatcher.utter_message(
                text=say(language, "attachment_noted", ticket=tracker.get_slot("ticket_number") or "")
            )
            return []
        dispatcher.utter_message(text=say(language, "attachment_unreadable"))
        return []
