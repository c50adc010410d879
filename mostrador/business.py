"""What customers see of the business, read from the business file: the one source for the backend and the bot.

The backend validates the whole file (`ticketing/business/config.py`) and builds these facts from it; the action
server, which has no business of its own, reads the same file with `BusinessFacts.from_file`. Pure Python and YAML:
both environments import it.
"""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from babel.lists import format_list

DEMO_BUSINESS = Path(__file__).resolve().parent.parent / "ticketing" / "data" / "demo_business.yml"


@dataclass(frozen=True)
class OrderNumbers:
    """The business's order numbers: a prefix and a run of digits (CS-1234567); customers may leave out the prefix."""

    prefix: str
    min_digits: int
    max_digits: int

    @property
    def example(self) -> str:
        return self.written("1234567890" * 2)[: len(self.written("")) + self.min_digits]

    def written(self, digits: str) -> str:
        return f"{self.prefix}-{digits}" if self.prefix else digits

    def anywhere(self) -> re.Pattern:
        """An order number of this business anywhere in a text (to withhold it, say)."""
        prefix = rf"(?:{re.escape(self.prefix)}-?)?" if self.prefix else ""
        return re.compile(rf"(?<![\w-]){prefix}\d{{{self.min_digits},{self.max_digits}}}(?!\d)", re.IGNORECASE)

    def clean(self, text: str) -> str | None:
        """The order number in what the customer wrote, written the business's way (PREFIX-digits), or None."""
        prefix = rf"(?:{re.escape(self.prefix)}-?)?" if self.prefix else ""
        digits = rf"\d{{{self.min_digits},{self.max_digits}}}"
        compact = re.sub(r"[\s#]", "", (text or "").strip()).removeprefix("pedido").removeprefix("order")
        found = re.findall(
            rf"(?<!\d){prefix}{digits}(?!\d)", text or "", re.IGNORECASE
        )  # never part of a longer number
        for token in [compact, *found]:
            match = re.match(rf"^{prefix}({digits})$", token, re.IGNORECASE)
            if match:
                return self.written(match.group(1))
        return None


@dataclass(frozen=True)
class BusinessFacts:
    name: str
    default_language: str
    timezone: str  # the times the bot tells customers are in this zone
    phone_region: str  # a phone number without its country code is read as this country's (ISO 3166 code)
    contact_phone: str  # told to customers who do not want their details stored
    order_numbers: OrderNumbers
    categories: tuple[str, ...]  # in the order of the business file (the help center lists them so)
    category_names: Mapping[str, Mapping[str, str]]  # language -> category -> name customers read
    team_names: Mapping[str, Mapping[str, str]]  # language -> team -> name customers read
    help_center: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language -> key -> text
    assistant: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # language -> key -> text

    def topics(self, language: str) -> str:
        """What the bot helps with, in the customer's language: the business file's words, or its categories' names."""
        written = (self.assistant.get(language) or {}).get("topics")
        if written:
            return written
        names = [
            name[:1].lower() + name[1:]
            for category, name in (self.category_names.get(language) or {}).items()
            if category != "other"  # the catch-all is not a topic
        ]
        return format_list(names, style="or", locale=language) if names else ""

    @classmethod
    def from_mapping(cls, raw: Mapping) -> "BusinessFacts":
        """From the business file's contents (as YAML reads them, or as the backend validated them)."""
        categories = raw.get("categories") or {}
        teams = raw.get("teams") or {}
        order = raw.get("order_numbers") or {}

        def names(items: Mapping) -> dict[str, dict[str, str]]:
            out: dict[str, dict[str, str]] = {}
            for key, item in items.items():
                for language, name in ((item or {}).get("names") or {}).items():
                    out.setdefault(language, {})[key] = name
            return out

        return cls(
            name=raw["name"],
            default_language=raw.get("default_language", "es"),
            timezone=raw.get("timezone", "UTC"),
            phone_region=raw.get("phone_region", "US"),
            contact_phone=raw.get("contact_phone", ""),
            order_numbers=OrderNumbers(
                prefix=order.get("prefix", ""),
                min_digits=order.get("min_digits", 6),
                max_digits=order.get("max_digits", 12),
            ),
            categories=tuple(categories),
            category_names=names(categories),
            team_names=names(teams),
            help_center=raw.get("help_center") or {},
            assistant=raw.get("assistant") or {},
        )

    @classmethod
    def from_file(cls, path: Path = DEMO_BUSINESS) -> "BusinessFacts":
        return cls.from_mapping(yaml.safe_load(Path(path).read_text(encoding="utf-8")))

    def category_name(self, language: str, category: str) -> str:
        return self.category_names.get(language, {}).get(category, category)

    def team_name(self, language: str, team: str) -> str:
        return self.team_names.get(language, {}).get(team, team)
