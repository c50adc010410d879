"""Ticket numbers: what people call a ticket (T-000123). Made from the ticket's id, and read back, only here.

The number is "T-" and the id, zero-padded to six digits; ids past 999999 simply grow (T-1000000). Read back
case-insensitively, with or without the dash, inside a sentence or on its own.
"""

import re

PREFIX = "T-"
DIGITS = 6  # zero-padded to at least this many
MAX_DIGITS = 12  # more than any id we will reach; a longer run of digits is not a ticket number

_EXACT = re.compile(rf"\s*T-?(\d{{1,{MAX_DIGITS}}})\s*", re.IGNORECASE)
# In a sentence, "T" and a short run of digits may be something else (a "T2" size): the dash, or four digits.
_IN_TEXT = re.compile(rf"\bT(?:-(\d{{1,{MAX_DIGITS}}})|(\d{{4,{MAX_DIGITS}}}))\b", re.IGNORECASE)


def ticket_number(ticket_id: int) -> str:
    """The number people see for the ticket with this id."""
    return f"{PREFIX}{ticket_id:0{DIGITS}d}"


def parse_ticket_number(text: str) -> int | None:
    """The ticket id a number written on its own stands for ("T-000123", "t123"), or None."""
    match = _EXACT.fullmatch(text or "")
    return int(match[1]) if match else None


def find_ticket_number(text: str) -> str | None:
    """The first ticket number mentioned in a message, written the canonical way ("el T-123?" -> "T-000123")."""
    match = _IN_TEXT.search(text or "")
    return ticket_number(int(match[1] or match[2])) if match else None
