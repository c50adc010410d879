"""Intents pushed into a conversation through Rasa's token-protected API, never typed by a customer.

The backend pushes an agent's reply and a ticket's resolution, the action server's outbox a ticket created late,
each with `trigger_intent` on Rasa's HTTP API (which needs the API token, and skips NLU). A customer can write
"/ticket_created{...}" on any channel, and Rasa would read it as that intent: the bot's NLU turns it into
TYPED_INTERNAL_INTENT instead (bot/mostrador_nlu/internal_intents.py), and drops from every customer message the
entities only pushed intents carry. Adding a pushed intent means adding it here; `scripts/validate_bot.py` fails
on a domain intent without training examples that is not listed here.
"""

AGENT_REPLY = "agent_reply"
TICKET_CREATED = "ticket_created"
TICKET_RESOLVED = "ticket_resolved"
PUSHED_INTENTS = frozenset({AGENT_REPLY, TICKET_CREATED, TICKET_RESOLVED})

# What a customer typing a pushed intent gets instead: a polite answer, and nothing reaches a ticket.
TYPED_INTERNAL_INTENT = "internal_intent_typed"

# Entities only pushed intents carry, and names of slots only actions set: never taken from a customer's message.
PUSHED_ENTITIES = frozenset(
    {
        "ticket_id",
        "agent_message",
        "agent_name",
        "team",
        "due",
        "handoff",
        "csat_ticket_id",
        "outbound_id",
        "whatsapp_template",
    }
)
