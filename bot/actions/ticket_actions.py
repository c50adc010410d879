"""The ticket form, its validation, and handing the conversation to the ticketing backend."""

import logging
import re
from datetime import datetime, timezone
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.form_questions import ask_again
from actions.kb_actions import answer_with_article, article_for_an_unsure_request, confident_answer, say_article
from actions.texts import language_of, say, status_word, team_name, when
from actions.ticketing_client import TicketingRejected, TicketingUnavailable, TicketNotFound
from actions.validators import (
    SKIPPED,
    clean_description,
    clean_email,
    clean_name,
    clean_order_number,
    clean_phone,
    is_hedge,
    withhold_personal,
)
from actions.whatsapp import offered_name, offered_phone
from mostrador.ticket_numbers import find_ticket_number

log = logging.getLogger(__name__)

FORM_SLOTS = ("customer_name", "customer_email", "customer_phone", "order_number", "issue_description", "data_consent")


def _intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def _confidence(tracker: Tracker) -> float:
    return float((tracker.latest_message.get("intent") or {}).get("confidence") or 0.0)


def _language(tracker: Tracker) -> str:
    return language_of(tracker.get_slot("language"))


def transcript(tracker: Tracker) -> list[dict[str, Any]]:
    """The conversation so far, as the ticket stores it. A button the customer pressed shows as the button's title
    ("Sí"), not as its payload ("/affirm")."""
    lines, buttons = [], {}
    for event in tracker.events:
        if event.get("event") == "bot":
            offered = (event.get("data") or {}).get("buttons") or []
            buttons = {b.get("payload"): b.get("title") for b in offered if b.get("payload") and b.get("title")}
        if event.get("event") in ("user", "bot") and event.get("text"):
            text = event["text"]
            if event["event"] == "user":
                text = buttons.get(text, text)
            lines.append(
                {
                    "sender": "customer" if event["event"] == "user" else "bot",
                    "text": text[:10000],
                    "timestamp": datetime.fromtimestamp(said_at(event), timezone.utc).isoformat(),
                }
            )
    return lines[-500:]


def said_at(event: dict[str, Any]) -> float:
    """When a message was said: for a WhatsApp message, when the customer sent it (Meta's timestamp, which is what
    WhatsApp's 24-hour window counts from), if that is earlier than when the bot got it."""
    received = event.get("timestamp") or 0
    sent = ((event.get("metadata") or {}).get("whatsapp") or {}).get("timestamp")
    if event.get("event") == "user" and isinstance(sent, int | float) and 0 < sent < received:
        return float(sent)
    return received


class ActionStartTicket(Action):
    """Before the form: carry over what the customer already told us (their unanswered question)."""

    def name(self) -> str:
        return "action_start_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if _intent(tracker) in ("request_human", "open_ticket") and (hit := article_for_an_unsure_request(tracker)):
            # A question that only looked like a request ("support hrs pls"): its answer, and no form for now.
            question = (tracker.latest_message.get("text") or "").strip()
            return answer_with_article(dispatcher, question, _language(tracker), hit)  # then "did this help?"
        events: list[EventType] = []
        if not tracker.get_slot("issue_description"):
            intent = _intent(tracker)
            if intent == "complain":
                text = tracker.latest_message.get("text") or ""
            elif intent == "deny" or not tracker.get_slot("kb_article_id"):
                # "No, that didn't help", or a question the KB could not answer: the agent needs it.
                text = tracker.get_slot("last_question") or ""
            else:
                text = ""
            description = clean_description(text)
            if description:
                events.append(SlotSet("issue_description", description))
        return events


class ValidateTicketForm(FormValidationAction):
    def name(self) -> str:
        return "validate_ticket_form"

    async def required_slots(
        self, domain_slots: list[str], dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> list[str]:
        # One of email or phone is enough: with an email, the phone is not asked. On WhatsApp the number they
        # write from comes first (offered for confirmation), and with it the email is not asked.
        email, phone = tracker.get_slot("customer_email"), tracker.get_slot("customer_phone")
        if email and email != SKIPPED:
            return [s for s in domain_slots if s != "customer_phone"]
        if offered_phone(tracker):
            slots = [s for s in domain_slots if s != "customer_email"]
            if phone in (None, SKIPPED) and "customer_phone" in slots:
                slots.insert(slots.index("customer_phone") + 1, "customer_email")
            return slots
        return domain_slots

    def validate_customer_name(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        asked = tracker.get_slot("requested_slot") == "customer_name"
        if asked and _intent(tracker) == "affirm" and (offered := offered_name(tracker)):
            return {"customer_name": offered}  # "yes" to the WhatsApp profile name
        sure_status = _intent(tracker) == "ticket_status" and _confidence(tracker) >= 0.9  # "cómo va mi ticket"
        if asked and not sure_status and (hit := confident_answer(str(value or ""), _language(tracker))) is not None:
            # A question the KB answers, not a name ("hacen mantención a drones?"): answered, and the name asked again.
            say_article(dispatcher, _language(tracker), hit)
            return {"customer_name": None}
        name = None if asked and sure_status else clean_name(str(value or ""))
        if name is None:
            ask_again(dispatcher, "customer_name", say(_language(tracker), "invalid_name"))
        return {"customer_name": name}

    def validate_customer_email(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        if tracker.get_slot("requested_slot") == "customer_email" and _intent(tracker) == "deny":
            if offered_phone(tracker) and tracker.get_slot("customer_phone") in (None, SKIPPED):
                dispatcher.utter_message(text=say(_language(tracker), "need_contact"))
                return {"customer_email": None, "customer_phone": None}
            return {"customer_email": SKIPPED}
        email = clean_email(str(value or ""))
        asked = tracker.get_slot("requested_slot") == "customer_email"
        # A phone number where the email is asked ("+56 9 8765 4321"): contact enough, the email is not asked.
        if email is None and asked and (phone := clean_phone(str(value or ""), runtime.business().phone_region)):
            return {"customer_email": SKIPPED, "customer_phone": phone}
        if email is None:
            ask_again(dispatcher, "customer_email", say(_language(tracker), "invalid_email"))
        return {"customer_email": email}

    def validate_customer_phone(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        requested = tracker.get_slot("requested_slot") == "customer_phone"
        if requested and _intent(tracker) == "affirm" and (offered := offered_phone(tracker)):
            return {"customer_phone": offered}  # "yes" to the number they write from
        if requested and _intent(tracker) == "deny" and offered_phone(tracker):
            return {"customer_phone": SKIPPED}  # the email is asked next
        if tracker.get_slot("requested_slot") == "customer_phone" and _intent(tracker) == "deny":
            if tracker.get_slot("customer_email") in (None, SKIPPED):
                dispatcher.utter_message(text=say(_language(tracker), "need_contact"))
                return {"customer_phone": None, "customer_email": None}
            return {"customer_phone": SKIPPED}
        phone = clean_phone(str(value or ""), runtime.business().phone_region)
        if phone is None:
            ask_again(dispatcher, "customer_phone", say(_language(tracker), "invalid_phone"))
        return {"customer_phone": phone}

    def validate_order_number(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        """A number in our format; after the second miss, the customer chooses: keep it as written, or skip it.

        Kept as written, the ticket marks it unverified (`ticket_payload`), so an agent checks it; nobody is asked
        for the same thing a third time.
        """
        asked = tracker.get_slot("requested_slot") == "order_number"
        if asked and _intent(tracker) == "deny":
            return {"order_number": SKIPPED}
        order = clean_order_number(str(value or ""), runtime.business().order_numbers)
        if order is not None:
            return {"order_number": order}
        if not asked:
            return {"order_number": None}  # an unrelated number elsewhere: just ask later
        language = _language(tracker)
        answers = _answers_to(tracker, "order_number")
        if len(answers) >= 3 and _keeps_as_written(tracker):
            return {"order_number": answers[-2][:40]}  # the number offered on the last miss, as the customer wrote it
        if len(answers) == 1:
            ask_again(dispatcher, "order_number", say(language, "invalid_order"))
        else:
            written = answers[-1].strip()[:40]
            ask_again(
                dispatcher,
                "order_number",
                say(language, "order_keep_or_skip", order=written),
                buttons=[
                    {"title": say(language, "order_keep"), "payload": say(language, "order_keep")},
                    {"title": say(language, "order_skip"), "payload": say(language, "order_skip")},
                ],
            )
        return {"order_number": None}

    def validate_issue_description(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        description = clean_description(str(value or ""))
        if description is None:
            ask_again(dispatcher, "issue_description", say(_language(tracker), "invalid_description"))
        return {"issue_description": description}

    def validate_data_consent(self, value: Any, dispatcher, tracker: Tracker, domain) -> dict[str, Any]:
        typed = tracker.latest_message.get("text") or ""
        if not typed.startswith("/") and is_hedge(typed):  # "quizás" is no consent (a button sends /affirm)
            dispatcher.utter_message(text=say(_language(tracker), "invalid_consent"))
            return {"data_consent": None}
        if isinstance(value, bool):
            return {"data_consent": value}
        intent = _intent(tracker)
        if intent in ("affirm", "deny"):
            return {"data_consent": intent == "affirm"}
        dispatcher.utter_message(text=say(_language(tracker), "invalid_consent"))
        return {"data_consent": None}


def _answers_to(tracker: Tracker, slot: str) -> list[str]:
    """What the customer has written since the form asked for `slot` (the latest last)."""
    answers: list[str] = []
    since_asked = 0  # how many of them came after the form asked for the slot (its earliest ask of this run)
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            answers.append(event.get("text") or "")
        elif event.get("event") == "slot" and event.get("name") == "requested_slot":
            if event.get("value") != slot:
                break
            since_asked = len(answers)
    return answers[:since_asked][::-1]


_KEEP = re.compile(r"\b(guard\w*|d[eé]ja\w*|as[ií]|tal cual|keep\w*|as it is|as is|s[ií]|yes|ok)\b", re.IGNORECASE)


def _keeps_as_written(tracker: Tracker) -> bool:
    return _intent(tracker) == "affirm" or bool(_KEEP.search(tracker.latest_message.get("text") or ""))


def _reset_form() -> list[EventType]:
    return [SlotSet(slot, None) for slot in FORM_SLOTS] + [SlotSet("requested_slot", None)]


class ActionCancelTicketForm(Action):
    def name(self) -> str:
        return "action_cancel_ticket_form"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_ticket_form_cancelled")
        return [ActiveLoop(None), *_reset_form()]


def ticket_payload(tracker: Tracker) -> dict[str, Any]:
    """The ticket as the backend receives it; without consent, nothing personal: not even the outbox keeps it."""
    language = _language(tracker)
    consent = tracker.get_slot("data_consent") is True

    def given(slot: str) -> str | None:
        value = tracker.get_slot(slot)
        return None if value in (None, SKIPPED) else value

    description = given("issue_description") or tracker.get_slot("last_question") or "(no description)"
    lines = transcript(tracker)
    orders = runtime.business().order_numbers
    if not consent:
        personal = [given(s) for s in ("customer_name", "customer_email", "customer_phone", "order_number")]
        description = withhold_personal(description, personal, orders=orders)
        # The customer's lines lose any email, phone or order number too; the bot's keep the store's own phone.
        lines = [
            {
                **line,
                "text": withhold_personal(line["text"], personal, patterns=line["sender"] == "customer", orders=orders),
            }
            for line in lines
        ]
    order = given("order_number") if consent else None
    return {
        "customer": {
            "name": (given("customer_name") if consent else None) or "Customer",
            "email": given("customer_email") if consent else None,
            "phone": given("customer_phone") if consent else None,
            "external_id": f"rasa:{tracker.sender_id}",
            "language": language,
        },
        "description": description,
        "channel": "whatsapp" if tracker.get_latest_input_channel() == "whatsapp" else "web",
        "language": language,
        "conversation_id": tracker.sender_id,
        "transcript": lines,
        "order_number": order,
        "consent": consent,
        # Kept as the customer wrote it after two misses: an agent checks it before relying on it.
        "metadata": {"kb_article_id": tracker.get_slot("kb_article_id")}
        | ({"order_number_unverified": True} if order and clean_order_number(order, orders) != order else {}),
    }


def idempotency_key(tracker: Tracker) -> str:
    """Stable for this submission: the conversation and the moment of the message that completed the form."""
    last_user = next((e for e in reversed(tracker.events) if e.get("event") == "user"), {})
    return f"rasa:{tracker.sender_id}:{last_user.get('timestamp', 0)}"


class ActionCreateTicket(Action):
    def name(self) -> str:
        return "action_create_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        if tracker.get_slot("data_consent") is False:
            dispatcher.utter_message(text=say(language, "no_consent"))
        payload, key = ticket_payload(tracker), idempotency_key(tracker)
        outbox = runtime.outbox()
        try:
            ticket = runtime.ticketing().create_ticket(payload, key)
        except TicketingUnavailable as exc:
            # Nothing is lost: the outbox retries with the same key and tells the customer the number here.
            log.warning("ticket creation failed, backend unavailable, queued: %s", exc)
            outbox.add(key, tracker.sender_id, payload)
            dispatcher.utter_message(response="utter_backend_down")
            return []
        except TicketingRejected as exc:
            log.warning("ticket creation rejected: %s", exc)
            dispatcher.utter_message(text=say(language, "ticket_failed", detail=exc.detail))
            return []
        events = announce(dispatcher, language, ticket.id, ticket.number, ticket.team, ticket.first_response_due_at)
        if tracker.get_slot("data_consent") is False:
            events += _reset_form()
        return events


def announce(dispatcher, language: str, ticket_id: int, number: str, team: str, due) -> list[EventType]:
    """Tell the ticket number, the team and when a person will answer; the conversation is now in handoff."""
    dispatcher.utter_message(
        response="utter_ticket_created",
        number=number,
        team=team_name(language, team),
        due=when(language, due, runtime.business().timezone) if due else "-",
    )
    return [
        SlotSet("ticket_id", float(ticket_id)),
        SlotSet("ticket_number", number),
        SlotSet("handoff", True),  # from now on the customer's messages go to the ticket
    ]


class ActionAnnounceTicket(Action):
    """A ticket queued while the backend was down has been created: the outbox pushed `ticket_created`.

    Only `trigger_intent` can push it (NLU turns a typed one into `internal_intent_typed`), and the backend still
    confirms the ticket was opened from this conversation before the handoff starts on it.
    """

    def name(self) -> str:
        return "action_announce_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        values = {e.get("entity"): e.get("value") for e in tracker.latest_message.get("entities") or []}
        if not values.get("ticket_number") or not values.get("ticket_id"):
            return []
        if tracker.get_slot("ticket_id") and int(float(tracker.get_slot("ticket_id"))) == int(values["ticket_id"]):
            # Already announced: the outbox pushed it again after a push that timed out once Rasa had it.
            return []
        ticket_id, number = int(values["ticket_id"]), str(values["ticket_number"])
        team, due = values.get("team", ""), datetime.fromisoformat(values["due"]) if values.get("due") else None
        try:
            ticket = runtime.ticketing().ticket_for_customer(number, tracker.sender_id, None)
        except TicketNotFound:
            log.error("ticket_created for %s names a ticket not opened from this conversation: ignored", number)
            return []
        except (TicketingUnavailable, TicketingRejected) as exc:
            # The push itself came through Rasa's token-protected API: its values stand.
            log.warning("could not confirm %s with the backend: %s", number, exc)
        else:
            ticket_id, number, team, due = ticket.id, ticket.number, ticket.team, ticket.first_response_due_at
        return announce(dispatcher, _language(tracker), ticket_id, number, team, due)


class ActionTicketStatus(Action):
    """Tell the status of a ticket, only to the conversation or customer it belongs to."""

    def name(self) -> str:
        return "action_ticket_status"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = _language(tracker)
        text = tracker.latest_message.get("text") or ""
        number = find_ticket_number(text) or tracker.get_slot("ticket_number")
        if not number:
            if hit := article_for_an_unsure_request(tracker):
                # "en q parte va mi paquete?": an order, not a ticket; the KB knows how to follow it.
                return answer_with_article(dispatcher, text.strip(), language, hit)
            dispatcher.utter_message(text=say(language, "status_need_number"))
            return []
        email = tracker.get_slot("customer_email")
        try:
            # The backend answers only for a ticket opened from this conversation or with an email given in it.
            ticket = runtime.ticketing().ticket_for_customer(
                number, tracker.sender_id, email if email and email != SKIPPED else None
            )
        except TicketNotFound:
            # The same words whether the ticket does not exist or is someone else's.
            dispatcher.utter_message(text=say(language, "status_not_found_or_not_yours"))
            return []
        except (TicketingUnavailable, TicketingRejected):
            dispatcher.utter_message(text=say(language, "backend_down_status"))
            return []
        message = say(
            language,
            "status",
            number=ticket.number,
            status=status_word(language, ticket.status),
            team=team_name(language, ticket.team),
        )
        if ticket.first_responded_at:
            message += say(language, "status_answered")
        elif ticket.first_response_due_at and ticket.status in ("new", "open"):
            message += say(
                language, "status_due", due=when(language, ticket.first_response_due_at, runtime.business().timezone)
            )
        dispatcher.utter_message(text=message)
        return []
