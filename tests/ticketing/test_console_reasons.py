"""Every reason the backend records, as the console shows it to a Spanish agent: in Spanish, with the business
file's names. The reasons come from the functions that write them, so a changed sentence fails here, not silently
in English on an agent's screen."""

from dataclasses import replace

import pytest

from ticketing.business.config import load_business
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.console.reasons import Names, name, say, say_data
from ticketing.routing.choice import AgentState, TicketNeeds, explain, why_not
from ticketing.routing.service import no_agent_reason
from ticketing.settings import REPO_ROOT

BUSINESS = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml")
FACTS = BUSINESS.facts
NAMES = Names(
    categories=FACTS.category_names["es"],
    teams=FACTS.team_names["es"],
    priorities={"low": "baja", "normal": "normal", "high": "alta", "urgent": "urgente"},
    statuses={"open": "abierto", "resolved": "resuelto"},
)
ENGLISH = ("the customer", "tickets start", "money at stake", "received on", "shouting", "other ticket", "eligible")


def every_priority_reason() -> list[str]:
    channel = next(iter(BUSINESS.priority_rules.public_channels))
    angry = TicketFacts("ME COBRARON DOS VECES!! es urgente", "billing", "duplicate_charge", channel, True, 2)
    money = TicketFacts(
        "hola", "billing", next(iter(BUSINESS.priority_rules.money_at_stake_subcategories)), "web", False, 0
    )
    fraud = TicketFacts("me hackearon la cuenta, es una vergüenza", "account_access", None, "web", False, 0)
    return [r for facts in (angry, money, fraud) for r in decide_priority(facts, BUSINESS.priority_rules)[1]]


@pytest.mark.parametrize("reason", every_priority_reason())
def test_every_priority_reason_reads_in_spanish(reason):
    shown = say(reason, "es", NAMES)
    assert shown != reason and not any(word in shown for word in ENGLISH), shown
    assert "billing" not in shown  # the category's name, not its key


AGENT = AgentState(1, "Beatriz Soto", ("billing",), ("billing",), ("es",), 1, 6, 2, "online", True, True, None)
NEEDS = TicketNeeds("billing", "billing", "es", 1, True)


def test_the_routing_reasons_read_in_spanish():
    chosen = say(explain(AGENT, NEEDS, 1), "es", NAMES)
    assert chosen == (
        "Beatriz Soto: en línea, en turno, habla español, nivel 1; 2/6 tickets abiertos (el menos cargado de 2 que "
        "podían tomarlo); atiende VIP, y el cliente es VIP"
    )
    blocked = [
        replace(AGENT, name="Ana", status="away"),
        replace(AGENT, name="Luis Díaz", on_shift=False),
        replace(AGENT, name="Kim", languages=("en",)),
        replace(AGENT, name="Pía", tier=1),
        replace(AGENT, name="Tomás", tier=2, open_assigned=6),
        replace(AGENT, name="Eva", teams=("sales",)),
    ]
    needs = replace(NEEDS, tier=2)
    assert all(why_not(a, needs) for a in blocked)
    assert say(no_agent_reason(blocked, needs), "es", NAMES) == (
        "nadie puede tomarlo: Ana está ausente; Luis Díaz fuera de turno; Kim no habla español; Pía nivel 1, bajo "
        "el 2 que pide; Tomás sin cupo (6/6); Eva no está en el equipo"
    )


def test_an_agents_own_words_and_unknown_sentences_are_shown_as_written():
    assert say("cliente llamó; pidió esperar", "es", NAMES) == "cliente llamó; pidió esperar"
    assert (
        say("Graph API error 131047: re-engagement message", "es", NAMES)
        == "Graph API error 131047: re-engagement message"
    )
    assert say(None, "es", NAMES) == ""


def test_an_events_facts_name_statuses_priorities_and_teams():
    assert say_data("status_changed", {"from": "open", "to": "resolved"}, "es", NAMES) == "abierto → resuelto"
    assert say_data("priority_changed", {"from": "normal", "to": "urgent"}, "es", NAMES) == "normal → urgente"
    team = next(iter(FACTS.team_names["es"]))
    assert say_data("queued", {"team": team}, "es", NAMES) == f"equipo: {FACTS.team_names['es'][team]}"
    assert say_data("sla_breached", {"target": "first_response"}, "es", NAMES) == "plazo: primera respuesta"
    assert say_data("csat", {"score": 2}, "es", NAMES) == "nota: 2"
    assert say("agent replied", "es", NAMES) == "respondió un agente"


def test_keys_on_the_ticket_page_are_named():
    assert say("policy normal (VIP): first response by 2026-12-09 14:00 UTC", "es", NAMES) == (
        "política normal (VIP): primera respuesta antes del 09-12 14:00"
    )
    # Times as the console shows every other time: in the business's timezone (UTC-3 in December in Santiago).
    santiago = Names(timezone="America/Santiago")
    assert say("resolution target passed at 2026-12-09 14:00 UTC", "es", santiago) == (
        "venció el plazo de resolución el 09-12 11:00"
    )
    assert say("policy urgent: resolution by 2026-12-09 14:00 UTC", "es", NAMES).startswith("política urgente:")
    assert [
        name(k, v, "es", NAMES) for k, v in (("language", "en"), ("plan", "standard"), ("actor", "system:sla"))
    ] == [
        "inglés",
        "estándar",
        "sistema (SLA)",
    ]
    assert name("subcategory", "duplicate_charge", "es", NAMES) == "duplicate charge"
    assert name("actor", "someone@example.com", "es", NAMES) == "someone@example.com"
    assert name("actor", "laura@condorstore.cl", "es", Names(agents={"laura@condorstore.cl": "Laura Smith"})) == (
        "Laura Smith"
    )
    assert say("policy high (VIP)", "es", NAMES) == "política alta (VIP)"
