"""Priority by the five criteria, with a reason for every rule that fired."""

import pytest

from ticketing.business.config import load_business
from ticketing.classification.priority import TicketFacts, decide_priority
from ticketing.settings import REPO_ROOT

RULES = load_business(REPO_ROOT / "ticketing" / "data" / "demo_business.yml").priority_rules


def decide(
    text="Hola, tengo una consulta", category="orders_shipping", subcategory=None, channel="web", vip=False, recent=0
):
    return decide_priority(TicketFacts(text, category, subcategory, channel, vip, recent), RULES)


def rule_names(reasons):
    return [r.split(":")[0] for r in reasons]


@pytest.mark.parametrize(
    ("category", "expected"),
    [
        ("sales", "low"),
        ("other", "low"),
        ("complaints", "high"),
        ("billing", "normal"),
        ("technical_support", "normal"),
    ],
)
def test_the_base_level_comes_from_the_type_of_query(category, expected):
    priority, reasons = decide(category=category)
    assert priority == expected
    assert rule_names(reasons) == ["type"]


def test_urgent_wording_raises_one_level_in_spanish_and_english():
    assert decide("Lo necesito hoy, es urgente")[0] == "high"
    assert decide("I need this ASAP please")[0] == "high"


def test_accents_and_capitals_do_not_hide_urgency():
    assert decide("URGÉNTE por favor")[0] == "high"


def test_a_word_inside_another_word_does_not_count():
    # "hoy" is not in "ahoyo", "urge" is not in "burgeon".
    assert decide("the plants burgeon", category="sales")[0] == "low"


def test_a_duplicate_charge_is_money_at_stake():
    priority, reasons = decide(
        "Vi dos cargos iguales en mi tarjeta", category="billing", subcategory="duplicate_charge"
    )
    assert priority == "high"
    assert any("money at stake" in r for r in reasons)


def test_an_angry_tone_raises_one_level():
    priority, reasons = decide("Pésimo servicio, estoy harto")
    assert priority == "high"
    assert "negative_tone" in rule_names(reasons)


def test_shouting_counts_as_an_angry_tone():
    assert decide("WHERE IS MY ORDER ALREADY")[0] == "high"
    assert decide("where is my order!!!")[0] == "high"


def test_vip_repeat_contact_and_public_channel_each_raise_one_level_capped_at_urgent():
    priority, reasons = decide(category="sales", vip=True, recent=1, channel="twitter")
    assert priority == "urgent"
    assert rule_names(reasons) == ["type", "vip", "repeat_contact", "public_channel"]


def test_every_rule_that_fired_is_named_even_past_the_cap():
    priority, reasons = decide(
        "URGENTE, pésimo servicio", category="complaints", vip=True, recent=2, channel="facebook"
    )
    assert priority == "urgent"
    assert rule_names(reasons) == ["type", "urgency", "negative_tone", "vip", "repeat_contact", "public_channel"]


def test_account_compromise_is_urgent_at_once():
    priority, reasons = decide("Alguien entró a mi cuenta e hizo compras que no hice", category="account_access")
    assert priority == "urgent"
    assert rule_names(reasons)[-1] == "fraud"


def test_a_calm_ticket_on_a_private_channel_keeps_its_base():
    assert decide("Quisiera saber el estado de mi pedido", channel="whatsapp") == (
        "normal",
        ["type: orders_shipping tickets start at normal"],
    )


@pytest.mark.parametrize(
    "text",
    [
        "Mi mamá compró con mi cuenta por error. No es fraude, pero hay que anular el pedido.",
        "It's not fraud, my son bought it with my OK. Can I still cancel the order?",
    ],
)
def test_a_negated_fraud_word_is_not_fraud(text):
    priority, reasons = decide(text, category="account_access")
    assert priority == "normal"
    assert "fraud" not in rule_names(reasons)


@pytest.mark.parametrize("text", ["I'm in no hurry, the cheapest shipping is fine.", "No es urgente, cuando puedan."])
def test_a_negated_urgency_word_is_not_urgent(text):
    assert decide(text, category="sales")[0] == "low"


def test_a_negation_further_back_does_not_hide_the_cue():
    # Only linking words may stand between the negation and the cue: here the cue still counts.
    assert decide("No puedo entrar, me hackearon la cuenta", category="account_access")[0] == "urgent"
    assert decide("El pedido no llega y es urgente")[0] == "high"


@pytest.mark.parametrize(
    "text",
    [
        "Me mandaron el adaptador USB-C a HDMI y yo pedí el de USB-C a VGA. Pedido CS-2208614.",
        "Does the LG OLED TV support HDMI ARC and VESA mounts? I have a PS5 and a WH-1000XM5.",
    ],
)
def test_acronyms_and_model_codes_are_not_shouting(text):
    priority, reasons = decide(text)
    assert priority == "normal"
    assert "negative_tone" not in rule_names(reasons)


def test_two_long_words_in_capitals_are_shouting():
    assert decide("Llevo DOS SEMANAS ESPERANDO mi pedido")[0] == "high"


def test_two_exclamation_marks_are_shouting():
    assert decide("¿Dónde está mi pedido?!!")[0] == "high"


def test_an_emergency_contact_is_not_an_emergency():
    assert decide("¿Cómo cambio mi contacto de emergencia en la cuenta?", category="account_access")[0] == "normal"
    assert decide("Es una emergencia, el refri dejó de enfriar")[0] == "high"


@pytest.mark.parametrize(
    "text",
    ["Alguien entró a mi cuenta y cambió la dirección", "There's an order on my account that I never placed."],
)
def test_an_account_takeover_told_in_plain_words_is_fraud(text):
    assert decide(text, category="account_access")[0] == "urgent"


@pytest.mark.parametrize(
    "text", ["Qué desorden, tres semanas y nada. Vergonzoso.", "Who trains these people? I'm tired of this."]
)
def test_colloquial_anger_is_an_angry_tone(text):
    assert "negative_tone" in rule_names(decide(text)[1])


def test_someone_taking_over_the_account_is_fraud():
    # The English for "tomaron control de mi cuenta", missing from the English list.
    assert decide("Someone took over my account and bought 3 laptops", category="account_access")[0] == "urgent"
