"""Validate what the customer types into the ticket form. Plain functions: value in, clean value or None out."""

import re

import phonenumbers

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_ORDER = re.compile(r"^(?:cs-?)?(\d{7,10})$", re.IGNORECASE)
SKIPPED = "-"  # what a skipped optional slot holds, so the form does not ask again


def clean_email(text: str) -> str | None:
    found = _EMAIL.search(text or "")
    return found.group(0).lower() if found else None


def clean_phone(text: str, region: str = "CL") -> str | None:
    """A valid phone number in E.164 (+56912345678); Chilean numbers may omit +56."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def clean_order_number(text: str) -> str | None:
    """CS-1234567 or 7–10 digits, normalised to CS-<digits>."""
    compact = re.sub(r"[\s#]", "", (text or "").strip()).removeprefix("pedido").removeprefix("order")
    for token in [compact, *re.findall(r"(?:cs-?)?\d{7,10}", text or "", re.IGNORECASE)]:
        match = _ORDER.match(token)
        if match:
            return f"CS-{match.group(1)}"
    return None


def clean_name(text: str) -> str | None:
    """A plausible person's name: letters, 2–80 characters, without the lead-in ("me llamo", "I'm")."""
    name = re.sub(
        r"^\s*(me llamo|mi nombre es|soy|my name is|i am|i'm|im|this is)\s+", "", text or "", flags=re.IGNORECASE
    ).strip(" .,!")
    if not 2 <= len(name) <= 80 or not re.search(r"[^\W\d_]{2,}", name) or re.search(r"[<>{}@/\\]|\d{3,}", name):
        return None
    return " ".join(part.capitalize() if part.islower() else part for part in name.split())


def clean_description(text: str) -> str | None:
    text = (text or "").strip()
    letters = len(re.findall(r"[^\W\d_]", text))
    return text[:5000] if letters >= 3 else None


WITHHELD = "[withheld]"
_ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ANY_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")
_ANY_ORDER = re.compile(r"\b(?:cs-?)?\d{7,10}\b", re.IGNORECASE)


def withhold_personal(text: str, personal: list[str | None], patterns: bool = True) -> str:
    """The text without the customer's details: what they gave (each word of a name too) and, with `patterns`,
    any email, phone or order number in it. For a ticket the customer did not consent to store data with."""
    words = {w for value in personal if value for w in (value, *value.split()) if len(w) >= 3}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", WITHHELD, text, flags=re.IGNORECASE)
    for pattern in (_ANY_EMAIL, _ANY_ORDER, _ANY_PHONE) if patterns else ():
        text = pattern.sub(WITHHELD, text)
    return text
