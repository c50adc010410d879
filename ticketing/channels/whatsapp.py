"""WhatsApp's 24-hour customer-service window and what the backend sends when it is closed (pure: no I/O).

WhatsApp lets a business write freely only within 24 hours of the customer's last message; after that, only an
approved template reaches them (the Graph API refuses anything else with error 131047). The backend knows when
each WhatsApp customer last wrote (every message of the bot conversation is on the ticket, and so is everything
they write during the handoff), so it decides before sending:

1. window open → the message goes as it is;
2. window closed and the business file names a template for this kind of message → that template, filled in;
3. window closed and no template → not sent: an agent's reply is marked failed at once, with the reason;
   a satisfaction survey is skipped, and the ticket's timeline says so.
"""

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

WINDOW = timedelta(hours=24)
# What the WhatsApp channel of the Rasa server puts in its error when a pushed message could not be sent.
_SEND_FAILURE = re.compile(r"whatsapp (\d+) \((permanent|temporary)\): ([^\"\n]{0,300})")


@dataclass(frozen=True)
class Window:
    last_customer_message_at: datetime | None
    closes_at: datetime | None
    open: bool


def window(last_customer_message_at: datetime | None, now: datetime) -> Window:
    """The window as of `now`: open until 24 hours after the customer's last message."""
    if last_customer_message_at is None:
        return Window(None, None, False)
    closes_at = last_customer_message_at + WINDOW
    return Window(last_customer_message_at, closes_at, now < closes_at)


def last_customer_message_at(messages: Iterable[Any], received_at: datetime | None) -> datetime | None:
    """When the customer last wrote, from a ticket's messages (the bot conversation's lines and the handoff's)."""
    times = [m.created_at for m in messages if m.author == "customer" and m.created_at is not None]
    return max(times, default=received_at)


@dataclass(frozen=True)
class Plan:
    """How one message for a WhatsApp customer goes: as it is, as a template, or not at all (and why)."""

    send: bool
    template: dict[str, Any] | None = None
    reason: str | None = None


def plan_delivery(kind: str, state: Window, templates: dict[str, Any], language: str, values: dict[str, str]) -> Plan:
    """Decide for one outbound message (`kind`: agent_reply, ticket_resolved) in the window's state.

    `templates` maps a kind to its configured template (name, languages, parameters), `values` holds what the
    parameters may name (customer_name, ticket_number, agent_name, message).
    """
    if state.open:
        return Plan(send=True)
    config = templates.get(kind)
    if config is None:
        since = (
            f"the customer last wrote at {state.last_customer_message_at:%Y-%m-%d %H:%M} UTC"
            if state.last_customer_message_at
            else "the customer has not written on WhatsApp"
        )
        return Plan(
            send=False,
            reason=f"outside WhatsApp's 24-hour window ({since}) and no approved template is configured for "
            f"{kind} (business file: whatsapp.templates.{kind})",
        )
    parameters = [_parameter(values.get(name, "")) for name in config.parameters]
    code = config.languages.get(language) or next(iter(config.languages.values()))
    return Plan(send=True, template={"name": config.name, "language": code, "parameters": parameters})


def _parameter(value: str) -> str:
    # Template parameters may not hold new lines, tabs or more than four spaces in a row; and stay short.
    flat = re.sub(r"\s+", " ", value or "").strip()
    return (flat[:1000] + "…") if len(flat) > 1000 else (flat or "-")


def send_failure(rasa_error: str) -> tuple[bool, str] | None:
    """From the Rasa server's error for a push, whether WhatsApp refused it for good, and its reason."""
    found = _SEND_FAILURE.search(rasa_error or "")
    if not found:
        return None
    return found.group(2) == "permanent", f"WhatsApp error {found.group(1)}: {found.group(3).strip()}"


def plan_for_ticket(
    ticket: Any,
    kind: str,
    now: datetime,
    templates: dict[str, Any],
    *,
    message: str | None = None,
    agent_name: str | None = None,
) -> Plan:
    """The plan for one outbound message of a ticket: anything not on WhatsApp goes as it is."""
    if ticket.channel != "whatsapp":
        return Plan(send=True)
    state = window(last_customer_message_at(ticket.messages, ticket.received_at), now)
    values = {
        "customer_name": ticket.customer.name if ticket.customer else "",
        "ticket_number": ticket.number,
        "agent_name": agent_name or "",
        "message": message or "",
    }
    return plan_delivery(kind, state, templates, ticket.language, values)


def window_view(ticket: Any, now: datetime, templates: dict[str, Any]) -> dict[str, Any] | None:
    """What an agent needs to know about a WhatsApp ticket's window before replying (None for other channels):
    when it closes, and while closed how a reply goes — as the business file's template, or not at all."""
    if ticket.channel != "whatsapp":
        return None
    state = window(last_customer_message_at(ticket.messages, ticket.received_at), now)
    template = templates.get("agent_reply")
    replies = "text" if state.open else "template" if template is not None else "undeliverable"
    return {
        "open": state.open,
        "last_customer_message_at": state.last_customer_message_at,
        "closes_at": state.closes_at,
        "replies": replies,
        "reply_template": template.name if template is not None else None,
    }
