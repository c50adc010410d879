"""The ticket form's questions, asked once a turn.

When an answer is not valid, the message that says why also asks again ("That email doesn't look right… Could you
type it again?", or the keep-or-skip buttons for an order number). Rasa's form would then ask its own question too,
so the customer read the same question twice, or a question under the buttons that answer it. A validation message
that asks again is marked (`ask_again`) and the form's question for that slot stays quiet after it (`AskOnce`).
"""

from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

REPROMPT = "reprompt"  # key in the bot message's metadata: the slot it asks for again


def ask_again(
    dispatcher: CollectingDispatcher, slot: str, text: str, buttons: list[dict[str, Any]] | None = None
) -> None:
    """Say why the answer was not taken and ask for `slot` again, in one message."""
    dispatcher.utter_message(text=text, buttons=buttons or [], **{REPROMPT: slot})


def asked_again(tracker: Tracker, slot: str) -> bool:
    """Whether, since the customer's last message, the bot has already asked again for `slot`."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            return False
        if event.get("event") == "bot" and (event.get("metadata") or {}).get(REPROMPT) == slot:
            return True
    return False


class AskOnce(Action, ABC):
    """The form's question for a slot (its `utter_ask_<slot>` response), unless a validation message just asked it."""

    @property
    @abstractmethod
    def slot(self) -> str: ...

    def name(self) -> str:
        return f"action_ask_{self.slot}"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        if not asked_again(tracker, self.slot):
            self.ask(dispatcher, tracker)
        return []

    def ask(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        dispatcher.utter_message(response=f"utter_ask_{self.slot}")


class ActionAskCustomerEmail(AskOnce):
    slot = "customer_email"


class ActionAskOrderNumber(AskOnce):
    slot = "order_number"


class ActionAskIssueDescription(AskOnce):
    slot = "issue_description"


class ActionAskDataConsent(AskOnce):
    slot = "data_consent"
