"""The business as data: categories, teams, agents, calendars, SLA policies and priority rules.

Loaded from one YAML file and validated at load; every error names the file, the key and the problem.
"""

from datetime import date, time
from functools import cached_property
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from mostrador.business import BusinessFacts
from ticketing.classification.priority import LEVELS, PriorityRules
from ticketing.sla.calendar import ALWAYS_OPEN, WEEKDAYS, BusinessCalendar

Priority = Literal["low", "normal", "high", "urgent"]


class ConfigError(Exception):
    """The business configuration file is unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def known_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown timezone {value!r}") from None
    return value


class CalendarConfig(_Strict):
    timezone: str
    # weekday -> ["09:00-18:00", ...]
    hours: dict[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], list[str]] = {}
    holidays_country: str | None = None
    holidays_subdivision: str | None = None
    extra_holidays: list[date] = []
    always_open: bool = False

    _known_timezone = field_validator("timezone")(lambda value: known_timezone(value))

    @field_validator("hours")
    @classmethod
    def _intervals(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, intervals in value.items():
            for interval in intervals:
                opens, closes = _parse_interval(interval, day)
                if closes <= opens:
                    raise ValueError(f"{day}: {interval!r} closes before it opens")
        return value

    def build(self) -> BusinessCalendar:
        if self.always_open:
            return ALWAYS_OPEN
        closed = set(self.extra_holidays)
        public = (
            holidays.country_holidays(self.holidays_country, subdiv=self.holidays_subdivision)
            if self.holidays_country
            else {}
        )
        hours = {
            WEEKDAYS.index(day): [_parse_interval(i, day) for i in intervals] for day, intervals in self.hours.items()
        }
        return BusinessCalendar(timezone=self.timezone, hours=hours, is_holiday=lambda d: d in closed or d in public)


def _parse_interval(interval: str, day: str) -> tuple[time, time]:
    try:
        opens, closes = (time.fromisoformat(part.strip()) for part in interval.split("-"))
    except ValueError:
        raise ValueError(f"{day}: {interval!r} is not HH:MM-HH:MM") from None
    return opens, closes


Language = Literal["es", "en"]


class CategoryConfig(_Strict):
    names: dict[Language, str] = {}  # as customers read it, per language (the help center's headings)
    team: str
    base_priority: Priority
    subcategories: list[str] = []
    tier: int = Field(default=1, ge=1)


class TeamConfig(_Strict):
    name: str
    calendar: str
    max_tier: int = Field(default=1, ge=1)
    names: dict[Language, str] = {}  # as the bot tells customers, per language


class AgentConfig(_Strict):
    email: str
    name: str
    password: str = Field(min_length=8)
    teams: list[str] = Field(min_length=1)
    skills: list[str] = []
    languages: list[Literal["es", "en"]] = Field(min_length=1)
    tier: int = Field(default=1, ge=1)
    capacity: int = Field(default=5, ge=0)
    status: Literal["online", "away", "offline"] = "offline"
    shift: str | None = None
    vip_enabled: bool = False
    supervisor: bool = False


class SlaPolicyConfig(_Strict):
    name: str
    priority: Priority
    first_response_minutes: int = Field(gt=0)
    resolution_minutes: int = Field(gt=0)
    calendar: str  # a calendar name, e.g. "always" for 24/7


class WordLists(_Strict):
    es: list[str] = []
    en: list[str] = []

    def all(self) -> tuple[str, ...]:
        return tuple(self.es + self.en)


class PriorityConfig(_Strict):
    urgency: WordLists
    negative_tone: WordLists
    fraud: WordLists
    public_channels: list[str]
    money_at_stake_subcategories: list[str] = []
    repeat_contact_days: int = Field(default=7, ge=1)


class SlaConfig(_Strict):
    policies: list[SlaPolicyConfig] = Field(min_length=1)
    vip_first_response_factor: float = Field(default=1.0, gt=0, le=1)
    at_risk_fraction: float = Field(default=0.8, gt=0, lt=1)


class WhatsAppTemplateConfig(_Strict):
    """An approved WhatsApp message template (WhatsApp Manager), used outside the 24-hour window."""

    name: str = Field(min_length=1, max_length=512)
    # The template's language code for each ticket language, e.g. {es: es, en: en_US}.
    languages: dict[Literal["es", "en"], str] = Field(min_length=1)
    # What fills the template's {{1}}, {{2}}… in order.
    parameters: list[Literal["customer_name", "ticket_number", "agent_name", "message"]] = []


class WhatsAppConfig(_Strict):
    # By kind of message: agent_reply (an agent's answer), ticket_resolved (resolution and satisfaction survey).
    templates: dict[Literal["agent_reply", "ticket_resolved"], WhatsAppTemplateConfig] = {}


class OrderNumbersConfig(_Strict):
    prefix: str = Field(default="", pattern=r"^[A-Za-z]*$")
    min_digits: int = Field(default=6, ge=1)
    max_digits: int = Field(default=12, ge=1)


class HelpCenterTexts(_Strict):
    title: str
    search: str
    placeholder: str
    results: str
    none: str
    back: str
    other_language: str
    updated: str
    related: str
    suggest: str
    throttled: str  # a search refused for too many in a row; {seconds} until the next
    # A link to an article that is no longer published (an old chat message's): said above the closest ones.
    missing: str = ""


class AssistantTexts(_Strict):
    # What the bot says it can help with, as it ends "Ask me about …" ("orders, shipping, returns, payments or your
    # account"). Without it the bot lists the categories' names.
    topics: str


class BusinessConfig(_Strict):
    name: str
    default_language: Language = "es"
    timezone: str = "UTC"  # the times told to customers are in this zone
    phone_region: str = Field(default="US", pattern=r"^[A-Z]{2}$")
    contact_phone: str = ""
    order_numbers: OrderNumbersConfig = OrderNumbersConfig()
    # The classifier learns the categories from these tickets (a path relative to the business file).
    labelled_tickets: str = "labelled_tickets.jsonl"
    help_center: dict[Language, HelpCenterTexts]  # the help center's own words, in each language
    assistant: dict[Language, AssistantTexts] = {}  # the bot's own words about the business, in each language

    _known_timezone = field_validator("timezone")(lambda value: known_timezone(value))
    calendars: dict[str, CalendarConfig]
    categories: dict[str, CategoryConfig]
    teams: dict[str, TeamConfig]
    agents: list[AgentConfig] = []
    sla: SlaConfig
    priority: PriorityConfig
    whatsapp: WhatsAppConfig = WhatsAppConfig()

    @model_validator(mode="after")
    def _references(self) -> "BusinessConfig":
        problems = []
        for key, category in self.categories.items():
            if category.team not in self.teams:
                problems.append(f"categories.{key}.team: unknown team {category.team!r}")
        for key, team in self.teams.items():
            if team.calendar not in self.calendars:
                problems.append(f"teams.{key}.calendar: unknown calendar {team.calendar!r}")
        for i, agent in enumerate(self.agents):
            for team in agent.teams:
                if team not in self.teams:
                    problems.append(f"agents[{i}].teams: unknown team {team!r}")
            for skill in agent.skills:
                if skill not in self.categories:
                    problems.append(f"agents[{i}].skills: unknown category {skill!r}")
            if agent.shift and agent.shift not in self.calendars:
                problems.append(f"agents[{i}].shift: unknown calendar {agent.shift!r}")
        for i, policy in enumerate(self.sla.policies):
            if policy.calendar not in self.calendars:
                problems.append(f"sla.policies[{i}].calendar: unknown calendar {policy.calendar!r}")
        for level in LEVELS:
            if not any(p.priority == level for p in self.sla.policies):
                problems.append(f"sla.policies: no policy for priority {level!r}")
        if self.order_numbers.min_digits > self.order_numbers.max_digits:
            problems.append("order_numbers: min_digits is more than max_digits")
        for language in ("es", "en"):
            if language not in self.help_center:
                problems.append(f"help_center: no texts for {language!r}")
        if "other" not in self.categories:
            problems.append("categories: an 'other' category is required as the fallback")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @cached_property
    def facts(self) -> BusinessFacts:
        """What customers see of the business (names, texts, formats): the same facts the bot reads from this file."""
        return BusinessFacts.from_mapping(self.model_dump())

    @cached_property
    def calendar_objects(self) -> dict[str, BusinessCalendar]:
        return {name: c.build() for name, c in self.calendars.items()}

    @cached_property
    def priority_rules(self) -> PriorityRules:
        p = self.priority
        return PriorityRules(
            base_by_category={k: c.base_priority for k, c in self.categories.items()},
            default_base="normal",
            urgency_phrases=p.urgency.all(),
            negative_phrases=p.negative_tone.all(),
            fraud_phrases=p.fraud.all(),
            public_channels=frozenset(p.public_channels),
            money_at_stake_subcategories=frozenset(p.money_at_stake_subcategories),
            repeat_contact_days=p.repeat_contact_days,
        )

    def category_of(self, subcategory: str) -> str | None:
        for key, category in self.categories.items():
            if subcategory in category.subcategories:
                return key
        return None


def load_business(path: Path) -> BusinessConfig:
    """Read and validate the business file; raise ConfigError naming file, key and problem."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: expected a mapping at the top level")
    try:
        return BusinessConfig.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(p) for p in err["loc"]) or "(top level)"
            lines.append(f"{path}: {key}: {err['msg']}")
        raise ConfigError("\n".join(lines)) from None
