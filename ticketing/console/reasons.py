"""The backend's reasons (a ticket's priority reasons, its timeline) as the agent reads them.

The backend records each reason as one fixed English sentence per rule (classification/priority.py,
tickets/intake/decide.py, routing/, sla/service.py, tickets/service.py), and the API returns them as recorded. The
console shows them in the agent's language, with the business file's names for categories and teams instead of their
keys ("technical_support" is "Soporte técnico"). A sentence no rule here knows (an agent's own reason, a channel's
error) is shown as it was written. Pure: the console escapes what it returns, like any other text.
"""

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


@dataclass(frozen=True)
class Names:
    """What a key is called in the agent's language: categories, teams, priorities (business file and console)."""

    categories: dict[str, str] = field(default_factory=dict)
    teams: dict[str, str] = field(default_factory=dict)
    priorities: dict[str, str] = field(default_factory=dict)
    statuses: dict[str, str] = field(default_factory=dict)
    agents: dict[str, str] = field(default_factory=dict)  # email -> name
    timezone: str = "UTC"  # the business's: a recorded "2026-12-09 14:00 UTC" shows as the console's other times


CHANNELS = {"es": {"web": "la web", "whatsapp": "WhatsApp", "email": "correo"}, "en": {"web": "the web"}}
LANGUAGES = {"es": {"es": "español", "en": "inglés"}, "en": {"es": "Spanish", "en": "English"}}
TARGETS = {
    "es": {"first response": "primera respuesta", "resolution": "resolución"},
    "en": {},
}

# (pattern over one whole sentence, {language: template}); a group's name says how its value is named:
# category, team, priority, channel, language, target; any other group is shown as written.
_RULES: list[tuple[str, dict[str, str]]] = [
    # classification/priority.py
    (
        r"type: (?P<category>\S+) tickets start at (?P<priority>\w+)",
        {
            "es": "tipo: los tickets de {category} parten en {priority}",
            "en": "type: {category} tickets start at {priority}",
        },
    ),
    (
        r'urgency: the customer wrote "(?P<quote>.*)"',
        {"es": "urgencia: el cliente escribió «{quote}»", "en": 'urgency: the customer wrote "{quote}"'},
    ),
    (
        r"urgency: money at stake \((?P<what>.*)\)",
        {"es": "urgencia: hay dinero en juego ({what})", "en": "urgency: money at stake ({what})"},
    ),
    (
        r'negative_tone: the customer wrote "(?P<quote>.*)"',
        {"es": "tono negativo: el cliente escribió «{quote}»", "en": 'negative tone: the customer wrote "{quote}"'},
    ),
    (
        r"negative_tone: the customer is shouting \(capitals or !!\)",
        {
            "es": "tono negativo: el cliente escribe gritando (mayúsculas o !!)",
            "en": "negative tone: the customer is shouting (capitals or !!)",
        },
    ),
    (
        r"vip: the customer has a VIP plan",
        {"es": "VIP: el cliente tiene un plan VIP", "en": "VIP: the customer has a VIP plan"},
    ),
    (
        r"repeat_contact: (?P<n>\d+) other ticket\(s\) from this customer in the last (?P<days>\d+) days",
        {
            "es": "contacto repetido: {n} ticket(s) más de este cliente en los últimos {days} días",
            "en": "repeat contact: {n} other ticket(s) from this customer in the last {days} days",
        },
    ),
    (
        r"public_channel: received on (?P<channel>\S+), a public social channel",
        {
            "es": "canal público: llegó por {channel}, una red social pública",
            "en": "public channel: received on {channel}, a public social channel",
        },
    ),
    (
        r'fraud: account compromise or fraud \("(?P<quote>.*)"\) is urgent at once',
        {
            "es": "fraude: una cuenta comprometida o un fraude («{quote}») es urgente de inmediato",
            "en": 'fraud: account compromise or fraud ("{quote}") is urgent at once',
        },
    ),
    (
        r"manual: set to (?P<priority>\w+) by (?P<actor>.+)",
        {"es": "a mano: {actor} la cambió a {priority}", "en": "by hand: set to {priority} by {actor}"},
    ),
    # tickets/intake/decide.py
    (
        r"received on (?P<channel>\S+) in (?P<language>\w+)",
        {"es": "recibido por {channel}, en {language}", "en": "received on {channel}, in {language}"},
    ),
    (
        r"(?P<category>[\w-]+)/(?P<what>[\w-]+) by the bot's hint",
        {"es": "{category} / {what}, según lo que entendió el bot", "en": "{category} / {what}, from the bot's hint"},
    ),
    (
        r"(?P<category>[\w-]+)/(?P<what>[\w-]+) by the classifier \((?P<sure>\d+%) sure\)",
        {
            "es": "{category} / {what}, por el clasificador (seguro al {sure})",
            "en": "{category} / {what}, by the classifier ({sure} sure)",
        },
    ),
    (
        r"category (?P<category>\S+) goes to team (?P<team>\S+)",
        {"es": "la categoría {category} va al equipo {team}", "en": "category {category} goes to team {team}"},
    ),
    (
        r"policy (?P<policy>.+?): (?P<target>first response|resolution) by (?P<due>[\d-]+ [\d:]+ UTC)",
        {
            "es": "política {policy}: {target} antes del {due}",
            "en": "policy {policy}: {target} by {due}",
        },
    ),
    (r"policy (?P<policy>[\w ()]+)", {"es": "política {policy}", "en": "policy {policy}"}),
    # routing/choice.py and routing/service.py
    (
        r"(?P<agent>.+): online, on shift, speaks (?P<language>\w+), tier (?P<tier>\d+)",
        {
            "es": "{agent}: en línea, en turno, habla {language}, nivel {tier}",
            "en": "{agent}: online, on shift, speaks {language}, tier {tier}",
        },
    ),
    (
        r"(?P<open>\d+)/(?P<capacity>\d+) open tickets \(least loaded of (?P<n>\d+) eligible\)",
        {
            "es": "{open}/{capacity} tickets abiertos (el menos cargado de {n} que podían tomarlo)",
            "en": "{open}/{capacity} open tickets (least loaded of {n} eligible)",
        },
    ),
    (
        r"VIP-enabled for a VIP customer",
        {"es": "atiende VIP, y el cliente es VIP", "en": "VIP-enabled for a VIP customer"},
    ),
    (r"assigned by hand", {"es": "asignado a mano", "en": "assigned by hand"}),
    (r"agent replied", {"es": "respondió un agente", "en": "an agent replied"}),
    (
        r"no eligible agent: the team has no agents",
        {"es": "nadie puede tomarlo: el equipo no tiene agentes", "en": "no eligible agent: the team has no agents"},
    ),
    # sla/service.py and tickets/service.py
    (
        r"escalated to tier (?P<tier>\d+) because its SLA is at risk",
        {
            "es": "escalado al nivel {tier} porque su SLA está en riesgo",
            "en": "escalated to tier {tier}: its SLA is at risk",
        },
    ),
    (
        r"(?P<target>first response|resolution) target passed at (?P<due>[\d-]+ [\d:]+ UTC)",
        {"es": "venció el plazo de {target} el {due}", "en": "{target} target passed at {due}"},
    ),
    (
        r"(?P<target>first response|resolution) at (?P<pct>\d+%) of its target: shown first in the queue; reassign if "
        r"the assignee cannot answer in time",
        {
            "es": "{target} al {pct} de su plazo: se muestra primero en la cola; reasígnalo si quien lo tiene no "
            "alcanza a responder",
            "en": "{target} at {pct} of its target: shown first in the queue; reassign if the assignee cannot "
            "answer in time",
        },
    ),
    (
        r"the customer's personal data was erased on request",
        {
            "es": "los datos personales del cliente se borraron a su pedido",
            "en": "the customer's personal data was erased on request",
        },
    ),
]

# Why an agent could not take a ticket (routing/choice.py why_not), after the agent's name.
_BLOCKERS: list[tuple[str, dict[str, str]]] = [
    (r"not in the team", {"es": "no está en el equipo"}),
    (r"status (?P<agent_status>\w+)", {"es": "está {agent_status}"}),
    (r"off shift", {"es": "fuera de turno"}),
    (r"does not speak (?P<language>\w+)", {"es": "no habla {language}"}),
    (r"no (?P<category>\S+) skill", {"es": "no atiende {category}"}),
    (r"tier (?P<tier>\d+) below (?P<needed>\d+)", {"es": "nivel {tier}, bajo el {needed} que pide"}),
    (r"at capacity \((?P<open>\d+)/(?P<capacity>\d+)\)", {"es": "sin cupo ({open}/{capacity})"}),
]
_AGENT_STATUS = {"es": {"away": "ausente", "offline": "desconectado", "online": "en línea"}, "en": {}}
_BLOCKER_LANGUAGES = ("es",)

_COMPILED = [(re.compile(pattern + r"(?P<plus> \(\+1\))?"), texts) for pattern, texts in _RULES]
_BLOCKER = re.compile(r"(?P<agent>.+?) (?P<why>" + "|".join(p for p, _ in _BLOCKERS) + ")")
_BLOCKERS_COMPILED = [(re.compile(pattern), texts) for pattern, texts in _BLOCKERS]


def say(reason: str | None, language: str, names: Names = Names()) -> str:
    """The reason in `language`; as written when no rule knows it."""
    if not reason:
        return ""
    if (whole := _sentence(reason, language, names)) is not None:
        return whole
    if reason.startswith("no eligible agent: "):
        lead = {"es": "nadie puede tomarlo: "}.get(language, "no eligible agent: ")
        return lead + "; ".join(
            _blocker(part, language, names) for part in reason.removeprefix("no eligible agent: ").split("; ")
        )
    # Several sentences joined ("prioritised": the priority reasons; "assigned": the agent and their load).
    parts = reason.split("; ")
    if len(parts) > 1:
        return "; ".join(_sentence(part, language, names) or part for part in parts)
    return reason


def _sentence(text: str, language: str, names: Names) -> str | None:
    for pattern, texts in _COMPILED:
        if match := pattern.fullmatch(text):
            values = {key: name(key, value, language, names) for key, value in match.groupdict().items()}
            plus = values.pop("plus") or ""
            return texts.get(language, texts["en"]).format(**values) + plus
    return None


PLANS = {"es": {"standard": "estándar", "vip": "VIP"}, "en": {"vip": "VIP"}}
ACTORS = {
    "es": {
        "system": "sistema",
        "system:routing": "sistema (asignación)",
        "system:sla": "sistema (SLA)",
        "service": "servicio",
    },
    "en": {"system:routing": "system (routing)", "system:sla": "system (SLA)"},
}


def name(kind: str, value: str | None, language: str, names: Names = Names()) -> str:
    """What a key is called in the agent's language: kind is category, team, priority, status, channel, language,
    target, subcategory, plan, actor, due (a recorded UTC time)...; an unknown value is shown as it is."""
    if value is None:
        return ""
    if kind in ("what", "subcategory"):
        return value.replace("_", " ")
    if kind == "due":  # "2026-12-09 14:00 UTC", as the console shows times: "09-12 11:00" in Santiago
        try:
            moment = datetime.strptime(value, "%Y-%m-%d %H:%M UTC").replace(tzinfo=timezone.utc)
            return moment.astimezone(ZoneInfo(names.timezone)).strftime("%d-%m %H:%M")
        except (ValueError, ZoneInfoNotFoundError):
            return value
    if kind == "policy" and value.endswith(" (VIP)"):  # sla.policy.policy_label
        return name(kind, value.removesuffix(" (VIP)"), language, names) + " (VIP)"
    if kind == "actor":
        return ACTORS.get(language, {}).get(value) or names.agents.get(value, value)
    known = {
        "plan": PLANS.get(language, {}),
        "category": names.categories,
        "team": names.teams,
        "priority": names.priorities,
        "policy": names.priorities,  # the demo's SLA policies are named after the priorities
        "status": names.statuses,
        "assignee": names.agents,
        "agent_status": _AGENT_STATUS.get(language, {}),
        "channel": CHANNELS.get(language, {}),
        "language": LANGUAGES.get(language, {}),
        "target": TARGETS.get(language, {}),
    }.get(kind, {})
    return known.get(value, value)


def _blocker(text: str, language: str, names: Names) -> str:
    match = _BLOCKER.fullmatch(text)
    if language not in _BLOCKER_LANGUAGES or not match:
        return text
    for pattern, texts in _BLOCKERS_COMPILED:
        if found := pattern.fullmatch(match["why"]):
            values = {key: name(key, value, language, names) for key, value in found.groupdict().items()}
            return f"{match['agent']} " + texts[language].format(**values)
    return text


_DATA_WORDS = {
    "es": {
        "assignee": "agente",
        "team": "equipo",
        "priority": "prioridad",
        "policy": "política",
        "target": "plazo",
        "score": "nota",
        "template": "plantilla",
    },
    "en": {},
}
_CHANGES = {"status_changed": "status", "priority_changed": "priority", "team_changed": "team"}


def say_data(kind: str, data: dict | None, language: str, names: Names = Names()) -> str:
    """A timeline event's facts: "normal → urgente" for a change, "equipo: Soporte técnico" for the rest."""
    if not data:
        return ""
    if "from" in data and "to" in data:
        of = _CHANGES.get(kind, "")
        return f"{name(of, str(data['from']), language, names)} → {name(of, str(data['to']), language, names)}"
    parts = []
    for key, value in data.items():
        shown = name(key, str(value).replace("_", " ") if key == "target" else str(value), language, names)
        parts.append(f"{_DATA_WORDS.get(language, {}).get(key, key)}: {shown}")
    return ", ".join(parts)
