"""What stays of a customer's text when their personal data may not be kept. Pure functions."""

import re

WITHHELD = "[withheld]"
ERASED = "[erased]"
# The lookbehind: a match may only start where a run of address characters starts. Without it, a long run with no
# "@" was scanned again from each of its characters: 10,000 characters took 3 s of CPU, a denial of service.
_EMAIL = re.compile(r"(?<![\w.+-])[\w.+-]+@[\w-]+(\.[\w-]+)+")
_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_ORDER = re.compile(r"\b(?:cs-?)?\d{7,10}\b", re.IGNORECASE)


def personal_words(values: list[str | None]) -> list[str]:
    """The values a customer gave, and each word of them of three letters or more (a name's parts), longest first."""
    words = {w for value in values if value for w in (value, *value.split()) if len(w.strip()) >= 3}
    return sorted(words, key=len, reverse=True)


def withhold(text: str, known: list[str | None], *, patterns: bool = True, mark: str = WITHHELD) -> str:
    """The text without the given values (whatever their capitals) and, with `patterns`, without any email,
    phone number or order number (CS-1234567) either."""
    for word in personal_words(known):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", mark, text, flags=re.IGNORECASE)
    if patterns:
        text = _PHONE.sub(mark, _ORDER.sub(mark, _EMAIL.sub(mark, text)))
    return text
