"""Privacy: what the action server holds about a conversation, forgotten when the backend erases the customer."""

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import runtime


class ActionForgetConversation(Action):
    """Drop the conversation's tickets still waiting in the outbox.

    Called by the Rasa server's privacy channel (mostrador_nlu/privacy_channel.py) before it deletes the
    conversation; no rule or story predicts it, so a customer cannot reach it.
    """

    def name(self) -> str:
        return "action_forget_conversation"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> list[EventType]:
        removed = runtime.outbox().forget_conversation(tracker.sender_id)
        dispatcher.utter_message(json_message={"pending_tickets_deleted": removed})
        return []
