"""Answer from the knowledge base: answer, suggest the closest articles, or say honestly we don't know."""

import logging
import re
import threading
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import runtime
from actions.texts import language_of, response_words, say
from actions.ticketing_client import TicketingRejected, TicketingUnavailable
from actions.validators import WITHHELD, clean_description, withhold_personal
from kb.text import fold

log = logging.getLogger(__name__)
# Intents that are tried against the KB first (customers ask real questions in all of them, measured on the
# dev set: eval/bot_kb.py) but have their own answer when the KB has nothing good enough. A yes, a no or a cancel
# only comes here when nothing is pending (the form and "did this help?" have rules of their own).
OWN_ANSWER = {
    "out_of_scope": "utter_out_of_scope",
    "chitchat": "utter_chitchat",
    "greet": "utter_greet",
    "affirm": "utter_what_else",
    "deny": "utter_what_else",
    "cancel": "utter_what_else",
}


# Below this NLU confidence a request to act (request_human, open_ticket, ticket_status) is tried against the KB
# first: measured on the three KB check sets, every such question the KB answered was a question, not a request.
UNSURE_REQUEST = 0.6
# A question about the hours people are there ("hasta q hora puedo hablar con una persona hoy", "what time can I
# reach someone on Saturday") names a person, and NLU is sure it asks for one; it asks for the business hours.
_HOURS_QUESTION = re.compile(
    r"\b(hasta|a partir de|desde|a) (que|q) hora\b|\b(que|q) horario\b|\bferiados?\b|\bfestivos?\b"
    r"|\bwhat time\b|\b(until|till) when\b|\bwhat hours\b|\bopening hours\b|\bholidays?\b"
)


def asks_about_hours(text: str) -> bool:
    return bool(_HOURS_QUESTION.search(fold(text)))


def article_url(article_id: str, language: str) -> str:
    return f"{runtime.settings().help_center_url}/help/{language}/{article_id}"


def gap_question(question: str) -> str | None:
    """What editors may read of a question the KB could not answer: any email, phone or order number in it withheld;
    None when that is all it was (a customer typing their contact details is no question for the KB)."""
    withheld = withhold_personal(question, [], orders=runtime.business().order_numbers)
    return withheld if re.search(r"[^\W\d_]{2,}", withheld.replace(WITHHELD, "")) else None


def report_gap_in_background(question: str, language: str, conversation_id: str, best: dict | None) -> None:
    """Tell the backend what we could not answer (gap_question), without making the customer wait for it."""
    question = gap_question(question)
    if question is None:
        return

    def send() -> None:
        try:
            runtime.ticketing().report_gap(question, language, conversation_id, best)
        except (TicketingUnavailable, TicketingRejected) as exc:
            log.warning("could not report a KB gap: %s", exc)

    threading.Thread(target=send, name="kb-gap", daemon=True).start()


CHANNELS = {"socketio": "web", "rest": "web", "callback": "web", "whatsapp": "whatsapp"}


def report_conversation_in_background(tracker: Tracker, language: str, answered: bool) -> None:
    """Tell the backend the bot handled this conversation (the base of deflection), without making anyone wait."""
    channel = CHANNELS.get((tracker.get_latest_input_channel() or "").lower())

    def send() -> None:
        try:
            runtime.ticketing().report_conversation(tracker.sender_id, language, channel, answered)
        except (TicketingUnavailable, TicketingRejected) as exc:
            log.warning("could not report a conversation: %s", exc)

    threading.Thread(target=send, name="conversation", daemon=True).start()


def say_article(dispatcher: CollectingDispatcher, language: str, hit) -> None:
    """The article's first paragraph, its link and the kb_article payload."""
    article, url = hit.article, article_url(hit.article.id, hit.article.language)
    dispatcher.utter_message(
        text=f"{article.summary}\n{say(language, 'read_more')}: {url}",
        json_message={"kb_article": {"id": article.id, "title": article.title, "url": url, "score": hit.score}},
    )


def confident_answer(text: str, language: str):
    """The article the KB would answer this text with outright (confident and well covered), or None."""
    try:
        decision = runtime.knowledge_base().decide(text, language)
    except Exception:  # the KB is a help here, never a reason to fail the form
        log.exception("KB search failed")
        return None
    return decision.best if decision.action == "answer" else None


def answer_with_article(dispatcher: CollectingDispatcher, question: str, language: str, hit) -> list[dict]:
    """The article's first paragraph, its link and the kb_article payload, then "did this help?" (ActionAskIfItHelped)."""
    article = hit.article
    say_article(dispatcher, language, hit)
    return [
        SlotSet("kb_article_id", article.id),
        SlotSet("last_question", question),
        SlotSet("misunderstandings", 0.0),
        FollowupAction("action_ask_if_it_helped"),
    ]


def ask(dispatcher: CollectingDispatcher, language: str, question: str, *choices: tuple[str, str]) -> None:
    """One of the bot's questions (a text of texts.py) with its answers as buttons: (title's text, payload)."""
    buttons = [{"title": say(language, title), "payload": payload} for title, payload in choices]
    dispatcher.utter_message(text=say(language, question), buttons=buttons)


class ActionAskIfItHelped(Action):
    """ "Did this help?" after an article, as an action of its own: the rules after it take "no" to the ticket form
    and "sí" to "glad it helped". After a greeting or an out-of-scope answer the same words are no answer to it
    (a "no" to "¡Hola!" once opened the ticket form)."""

    def name(self) -> str:
        return "action_ask_if_it_helped"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        language = language_of(tracker.get_slot("language"))
        ask(dispatcher, language, "did_it_help", ("yes", "/affirm"), ("no", "/deny"))
        return []


def article_for_an_unsure_request(tracker: Tracker):
    """The KB's answer when NLU only half-thinks the message asks to act (a person, a ticket, a status), else None.

    "support hrs pls" or "quiero saber el estado de mi orden 45821" read as a request at 0.4-0.55 confidence, and
    the KB has their article; "quiero hablar con una persona" reads at 0.9 and more and is never held up. A question
    about the hours people are there counts as unsure however sure NLU is. A KB answer still ends with "did this
    help?", and a no leads to the ticket form.
    """
    intent = tracker.latest_message.get("intent") or {}
    question = (tracker.latest_message.get("text") or "").strip()
    if not question or question.startswith("/"):  # a button's payload is never unsure
        return None
    if (intent.get("confidence") or 0.0) >= UNSURE_REQUEST and not asks_about_hours(question):
        return None
    decision = runtime.knowledge_base().decide(question, language_of(tracker.get_slot("language")))
    return decision.best if decision.action == "answer" else None


class ActionAnswerFromKb(Action):
    def name(self) -> str:
        return "action_answer_from_kb"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        question = (tracker.latest_message.get("text") or "").strip()
        language = language_of(tracker.get_slot("language"))
        decision = runtime.knowledge_base().decide(question, language)

        report_conversation_in_background(tracker, language, answered=decision.action == "answer")
        if decision.action == "answer":
            return answer_with_article(dispatcher, question, language, decision.best)

        if decision.reason == "handoff":
            # Fraud, or someone else in the account: no article can help, a person must, soon. Straight to the
            # ticket form with the customer's words (the backend's fraud rule makes the ticket urgent).
            dispatcher.utter_message(text=say(language, "handoff_now"))
            return [
                SlotSet("kb_article_id", None),
                SlotSet("issue_description", question[:5000]),
                FollowupAction("ticket_form"),
            ]
        best = decision.best
        intent = (tracker.latest_message.get("intent") or {}).get("name")
        if intent in OWN_ANSWER and decision.reason != "bare_word":
            # Not a question the KB knows: the intent's own short answer, no misunderstanding counted.
            dispatcher.utter_message(response=OWN_ANSWER[intent], **response_words(language))
            return [SlotSet("kb_article_id", None)]
        if intent == "complain":
            # A complaint the KB has no answer for goes to a person: the ticket form, with the complaint when it says
            # something ("😡😡😡" does not: the form asks what happened in its turn, not before the name).
            description = clean_description(question)
            return [
                *([SlotSet("issue_description", description)] if description else []),
                FollowupAction("ticket_form"),
            ]
        misses = int(tracker.get_slot("misunderstandings") or 0) + 1
        offer: list[dict] = []
        if decision.action == "suggest" and misses < 2:
            dispatcher.utter_message(
                text=say(language, "suggest"),
                buttons=[{"title": h.article.title, "payload": h.article.title} for h in decision.hits]
                + [{"title": say(language, "talk_to_person"), "payload": "/request_human"}],
            )
        else:
            offer = [FollowupAction("action_offer_ticket")]  # its own yes/no question (ActionOfferTicket)
        if question and decision.reason != "bare_word":  # "cuenta": the KB has its articles, no gap for editors
            report_gap_in_background(
                question,
                language,
                tracker.sender_id,
                {"id": best.article.id, "score": best.score} if best else None,
            )
        return [
            SlotSet("kb_article_id", None),
            SlotSet("last_question", question or None),
            SlotSet("misunderstandings", float(misses)),
            *offer,
        ]


class ActionOfferTicket(Action):
    """The KB had no answer: "shall I open a ticket?" (after two misunderstandings in a row, "would you like a
    person?"), as an action of its own. The rules after it take "sí" to the ticket form and "no" to "what else?";
    after "did this help?" (action_answer_from_kb) the same words mean the opposite."""

    def name(self) -> str:
        return "action_offer_ticket"

    def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]) -> list[dict]:
        language = language_of(tracker.get_slot("language"))
        if int(tracker.get_slot("misunderstandings") or 0) >= 2:
            # Two misunderstandings in a row: offer a person at once instead of more guesses.
            ask(dispatcher, language, "offer_person", ("talk_to_person", "/request_human"), ("no", "/deny"))
        else:
            ask(dispatcher, language, "decline", ("open_ticket", "/open_ticket"), ("talk_to_person", "/request_human"))
        return []
