"""Priority of a ticket, decided by the business's five criteria, with a reason for every rule that fired.

Evaluation order (each rule is independent; the result is capped at the top level):
 1. base level by type of query (category);
 2. +1 urgency in the wording, or money at stake (a duplicate charge);
 3. +1 a negative, angry tone;
 4. +1 a VIP plan;
 5. +1 a repeat contact (another ticket from the same customer within the window);
 6. +1 a public social channel;
 7. account compromise or fraud: the top level at once, whatever the rest says.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

from ticketing.classification.text import fold

LEVELS = ("low", "normal", "high", "urgent")


@dataclass(frozen=True)
class PriorityRules:
    base_by_category: dict[str, str]
    default_base: str
    urgency_phrases: tuple[str, ...]
    negative_phrases: tuple[str, ...]
    fraud_phrases: tuple[str, ...]
    public_channels: frozenset[str]
    money_at_stake_subcategories: frozenset[str]
    repeat_contact_days: int


@dataclass(frozen=True)
class TicketFacts:
    text: str
    category: str
    subcategory: str | None
    channel: str
    vip: bool
    recent_tickets: int  # other tickets from the same customer within the repeat-contact window


def _plain(text: str) -> str:
    """Folded, with ñ as n and runs of spaces as one: how the word lists are written and matched."""
    return re.sub(r"\s+", " ", fold(text).replace("ñ", "n"))


def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    """One pattern for a word list; an entry starting with "re:" is a regular expression (on folded text)."""
    alternatives = sorted(
        {p[3:].strip() if p.startswith("re:") else re.escape(_plain(p).strip()) for p in phrases if p.strip()},
        key=len,
        reverse=True,
    )
    if not alternatives:
        return None
    return re.compile(r"(?<![a-z0-9])(" + "|".join(f"(?:{a})" for a in alternatives) + r")(?![a-z0-9])")


# A cue right after a negation does not count: "no es fraude", "I'm in no hurry", "nothing suspicious",
# "it's not an emergency". Only short linking words may stand between the negation and the cue, so
# "no puedo entrar, me hackearon" still counts.
_NEGATION_BEFORE = re.compile(
    r"(?<![a-z0-9'])(?:no|not|nothing|never|nunca|nada|ningun|ninguna|ninguno|sin|\w+n't)"
    r"(?: (?:es|era|fue|sea|is|was|be|a|an|un|una|any|me|se|really|muy|tan|so))* $"
)


@lru_cache(maxsize=256)
def first_match(phrases: tuple[str, ...], text: str) -> str | None:
    """The first phrase of the list the text says, not counting one that comes right after a negation.

    Remembered for recent texts: a new ticket asks the same three lists once for the classifier's features and
    once for its priority.
    """
    pattern = _compiled(phrases)
    if pattern is None:
        return None
    plain = _plain(text)
    for found in pattern.finditer(plain):
        if not _NEGATION_BEFORE.search(plain, 0, found.start()):
            return found.group(1)
    return None


_cache: dict[tuple[str, ...], re.Pattern[str] | None] = {}


def _compiled(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    if phrases not in _cache:
        _cache[phrases] = _phrase_pattern(phrases)
    return _cache[phrases]


def shouting(text: str) -> bool:
    """Words in capitals or a run of exclamation marks: the customer is raising their voice.

    Acronyms and model or order codes are not shouting ("USB-C a HDMI", "VGA", "PS5", "CS-1234"): only
    words of five or more letters, with no digits or hyphens, count, and it takes two of them.
    """
    words = (w.strip(".,;:!?¡¿()[]\"'“”«»…") for w in text.split())
    caps = [w for w in words if len(w) >= 5 and w.isalpha() and w.isupper()]
    return len(caps) >= 2 or "!!" in text


def decide_priority(facts: TicketFacts, rules: PriorityRules) -> tuple[str, list[str]]:
    """Return the priority level and the reasons, one per rule that applied."""
    base = rules.base_by_category.get(facts.category, rules.default_base)
    level = LEVELS.index(base)
    reasons = [f"type: {facts.category} tickets start at {base}"]

    raises: list[str] = []
    if word := first_match(rules.urgency_phrases, facts.text):
        raises.append(f'urgency: the customer wrote "{word}"')
    elif facts.subcategory in rules.money_at_stake_subcategories:
        raises.append(f"urgency: money at stake ({facts.subcategory.replace('_', ' ')})")
    if word := first_match(rules.negative_phrases, facts.text):
        raises.append(f'negative_tone: the customer wrote "{word}"')
    elif shouting(facts.text):
        raises.append("negative_tone: the customer is shouting (capitals or !!)")
    if facts.vip:
        raises.append("vip: the customer has a VIP plan")
    if facts.recent_tickets > 0:
        raises.append(
            f"repeat_contact: {facts.recent_tickets} other ticket(s) from this customer "
            f"in the last {rules.repeat_contact_days} days"
        )
    if facts.channel in rules.public_channels:
        raises.append(f"public_channel: received on {facts.channel}, a public social channel")
    level = min(level + len(raises), len(LEVELS) - 1)
    reasons += [f"{r} (+1)" for r in raises]

    if word := first_match(rules.fraud_phrases, facts.text):
        level = len(LEVELS) - 1
        reasons.append(f'fraud: account compromise or fraud ("{word}") is urgent at once')
    return LEVELS[level], reasons


def signals(rules: PriorityRules, text: str) -> list[float]:
    """The rules' evidence as classifier features: fraud, angry tone, urgent wording."""
    return [
        float(first_match(rules.fraud_phrases, text) is not None),
        float(first_match(rules.negative_phrases, text) is not None or shouting(text)),
        float(first_match(rules.urgency_phrases, text) is not None),
    ]
