"""Validate what the customer types into the ticket form. Plain functions: value in, clean value or None out."""

import re

import phonenumbers

from mostrador.business import OrderNumbers

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
SKIPPED = "-"  # what a skipped optional slot holds, so the form does not ask again


def clean_email(text: str) -> str | None:
    found = _EMAIL.search(text or "")
    return found.group(0).lower() if found else None


def clean_phone(text: str, region: str) -> str | None:
    """A valid phone number in E.164 (+56912345678); the business's country's numbers may omit their code."""
    for match in phonenumbers.PhoneNumberMatcher(text or "", region):
        if phonenumbers.is_valid_number(match.number):
            return phonenumbers.format_number(match.number, phonenumbers.PhoneNumberFormat.E164)
    return None


def clean_order_number(text: str, orders: OrderNumbers) -> str | None:
    """An order number in the business's format (the business file's order_numbers), written its way: CS-1234567."""
    return orders.clean(text)


def clean_name(text: str) -> str | None:
    """A plausible person's name: letters, 2–80 characters and at most 8 words, without the lead-in ("me llamo",
    "I'm"); never a question ("how is my ticket going?" is not a name)."""
    name = re.sub(
        r"^\s*(me llamo|mi nombre es|soy|my name is|i am|i'm|im|this is)\s+", "", text or "", flags=re.IGNORECASE
    ).strip(" .,!")
    if not 2 <= len(name) <= 80 or not re.search(r"[^\W\d_]{2,}", name) or re.search(r"[<>{}@/\\?¿]|\d{3,}", name):
        return None
    words = name.split()
    if len(words) > 8 or _NOT_A_NAME.search(name):
        return None
    return " ".join(
        word if not word.islower() or (i and word in _NAME_PARTICLES) else word.capitalize()
        for i, word in enumerate(words)
    )


# "saltar" where the name is asked: the name cannot be skipped, and is asked again ("Noé" stays a name, though NLU
# reads it as a no). Nor is a bare yes or no a name: "yes" after "What's your name?" became the customer "Yes".
_NOT_A_NAME = re.compile(
    r"^\W*(saltar|omitir|skip|siguiente|next|ninguno|none|n/?a|s[ií]|yes|yeah|yep|yup|ok|okay|dale|claro|vale|"
    r"listo|bueno|no|nop|nope|nah)\W*$|\b(no (tengo|quiero|doy|voy)|prefiero no|rather not|don'?t want)\b",
    re.IGNORECASE,
)

# Lower case inside a name, as people write them: "María José de los Ángeles", "Ludwig van Beethoven".
_NAME_PARTICLES = frozenset("de del la las los y e da das do dos di du van von der den le".split())


def clean_description(text: str) -> str | None:
    text = (text or "").strip()
    letters = len(re.findall(r"[^\W\d_]", text))
    return text[:5000] if letters >= 3 else None


WITHHELD = "[withheld]"
# "maybe", "I guess", "no sé": not an answer to a question about personal data. NLU reads several of them as a
# yes (nothing like them is in its training data), so the consent question is asked again instead.
_HEDGE = re.compile(
    r"\b(quiz[aá]s?|tal vez|a lo mejor|puede ser|depende|no s[eé]|no estoy segur[oa]|probablemente|capaz|"
    r"maybe|perhaps|not sure|i guess|depends|dunno|idk|probably|i don'?t know)\b|^\W*(m{2,}|h+m+)\W*$",
    re.IGNORECASE,
)


def is_hedge(text: str) -> bool:
    """Whether a reply to a yes/no question only hedges ("quizás", "maybe", "mmm")."""
    return bool(_HEDGE.search(text or ""))


_ANY_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")
_ANY_PHONE = re.compile(r"\+?\d[\d\s().-]{6,}\d")


def withhold_personal(
    text: str, personal: list[str | None], patterns: bool = True, orders: OrderNumbers | None = None
) -> str:
    """The text without the customer's details: what they gave (each word of a name too) and, with `patterns`,
    any email, phone or order number (in the business's format) in it. For a ticket the customer did not consent
    to store data with."""
    words = {w for value in personal if value for w in (value, *value.split()) if len(w) >= 3}
    for word in sorted(words, key=len, reverse=True):
        text = re.sub(rf"(?<!\w){re.escape(word)}(?!\w)", WITHHELD, text, flags=re.IGNORECASE)
    found = (_ANY_EMAIL, *([orders.anywhere()] if orders else []), _ANY_PHONE)
    for pattern in found if patterns else ():
        text = pattern.sub(WITHHELD, text)
    return text
