"""The handoff loop: customer messages go to the ticket, agent replies come back, the bot resumes after."""

import logging
import re

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime
from actions.texts import language_of, say
from actions.ticketing_client import TicketingRejected, TicketingUnavailable
from actions.whatsapp import pushed_template

log = logging.getLogger(__name__)


def _entity(tracker: Tracker, name: str) -> str | None:
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == name:
            return str(entity.get("value"))
    return None


class ActionRelayToTicket(Action):
    """A customer message during the handoff: added to the ticket, for the agent."""

    def name(self) -> str:
        return "action_relay_to_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker.get_slot("language"))
        ticket_id = tracker.get_slot("ticket_id")
        text = (tracker.latest_message.get("text") or "").strip()
        if not ticket_id or not text:
            return []
        try:
            runtime.ticketing().add_customer_message(int(ticket_id), text[:10000])
        except TicketingUnavailable:
            dispatcher.utter_message(text=say(language, "relay_failed"))
            return []
        except TicketingRejected as exc:
            # The ticket is closed or gone: the conversation is the bot's again.
            log.warning("relay refused: %s", exc)
            dispatcher.utter_message(text=say(language, "relay_closed"))
            return [SlotSet("handoff", False)]
        if not _relayed_since_handoff(tracker):
            # The first message of the handoff is acknowledged, so the customer knows it reached a person; the
            # rest go quietly, like a chat with a person would.
            number = tracker.get_slot("ticket_number") or ""
            dispatcher.utter_message(text=say(language, "relay_received", ticket=number))
        return []


def _relayed_since_handoff(tracker: Tracker) -> bool:
    """Whether a customer message was already passed to the ticket in this handoff."""
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") == "action_relay_to_ticket":
            return True
        if event.get("event") == "slot" and event.get("name") == "handoff" and event.get("value"):
            return False
    return False


def already_said(tracker: Tracker, outbound_id: str | None) -> bool:
    """Whether the conversation already holds the bot message the backend's outbox row `outbound_id` asked for.

    The backend retries a delivery until it sees that message in the conversation, and Rasa's trigger is not
    idempotent: a retry after a push that timed out once Rasa had processed it must not say it twice.
    """
    if not outbound_id:
        return False
    return any(
        event.get("event") == "bot" and str((event.get("metadata") or {}).get("outbound_id")) == outbound_id
        for event in tracker.events
    )


class ActionDeliverAgentReply(Action):
    """The backend pushed an agent's public reply (intent agent_reply): say it in the conversation, once."""

    def name(self) -> str:
        return "action_deliver_agent_reply"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        message = _entity(tracker, "agent_message")
        outbound_id = _entity(tracker, "outbound_id")
        if message and not already_said(tracker, outbound_id):
            agent = _entity(tracker, "agent_name")
            # The custom payload tells a chat window a person wrote this (the web widget shows who). Outside
            # WhatsApp's 24-hour window the backend names an approved template; the WhatsApp channel sends that.
            # The outbox id rides in the bot event's metadata: the backend confirms delivery by it.
            template = {"whatsapp_template": t} if (t := pushed_template(tracker)) else {}
            tag = {"outbound_id": outbound_id} if outbound_id else {}
            dispatcher.utter_message(
                text=f"{agent}: {message}" if agent else message,
                json_message={"from": "agent", "agent_name": agent or ""},
                **template,
                **tag,
            )
        return []


class ActionTicketResolved(Action):
    """The ticket was resolved: the bot takes the conversation back and asks for a score."""

    def name(self) -> str:
        return "action_ticket_resolved"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        outbound_id = _entity(tracker, "outbound_id")
        if already_said(tracker, outbound_id):
            return []
        language = language_of(tracker.get_slot("language"))
        number = tracker.get_slot("ticket_number") or ""
        # The scores as buttons (a chat window shows them; their payload is the digit a customer could type).
        template = {"whatsapp_template": t} if (t := pushed_template(tracker)) else {}
        tag = {"outbound_id": outbound_id} if outbound_id else {}
        dispatcher.utter_message(
            text=say(language, "resolved", number=number),
            buttons=[{"title": str(score), "payload": str(score)} for score in range(1, 6)],
            json_message={"csat": True},
            **template,
            **tag,
        )
        return [SlotSet("handoff", False), SlotSet("csat_ticket_id", tracker.get_slot("ticket_id"))]


_SCORE = re.compile(r"([1-5])")


class ActionRecordCsat(Action):
    def name(self) -> str:
        return "action_record_csat"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker.get_slot("language"))
        text = (tracker.latest_message.get("text") or "").strip()
        found = _SCORE.search(text)
        ticket_id = tracker.get_slot("csat_ticket_id")
        if not found or not ticket_id:
            return []
        score = int(found.group(1))
        comment = text[found.end() :].strip(" .,-:") or None
        try:
            runtime.ticketing().record_csat(int(ticket_id), score, comment)
        except (TicketingUnavailable, TicketingRejected) as exc:
            log.warning("could not store CSAT: %s", exc)
        if comment:
            dispatcher.utter_message(text=say(language, "csat_thanks"))
            return [SlotSet("csat_ticket_id", None)]
        # The customer may say why in their next message (HandoffPolicy: action_record_csat_comment).
        dispatcher.utter_message(text=say(language, "csat_thanks_ask_why"))
        return [SlotSet("csat_ticket_id", None), SlotSet("csat_comment_for", f"{int(ticket_id)}:{score}")]


class ActionRecordCsatComment(Action):
    """The message right after a bare score is its comment ("the agent was very patient"): stored with the score."""

    def name(self) -> str:
        return "action_record_csat_comment"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        language = language_of(tracker.get_slot("language"))
        ticket_id, _, score = str(tracker.get_slot("csat_comment_for") or "").partition(":")
        comment = (tracker.latest_message.get("text") or "").strip()[:2000]
        if ticket_id.isdigit() and score.isdigit() and comment:
            try:
                runtime.ticketing().record_csat(int(ticket_id), int(score), comment)
            except (TicketingUnavailable, TicketingRejected) as exc:
                log.warning("could not store the CSAT comment: %s", exc)
            dispatcher.utter_message(text=say(language, "csat_comment_thanks"))
        return [SlotSet("csat_comment_for", None)]


class ActionEndHandoff(Action):
    def name(self) -> str:
        return "action_end_handoff"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        dispatcher.utter_message(response="utter_handoff_ended")
        return [SlotSet("handoff", False)]
