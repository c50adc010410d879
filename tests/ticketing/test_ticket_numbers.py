"""Ticket numbers are made and read in one module, by the backend and the bot alike."""

import re
from pathlib import Path

import pytest
import yaml

from mostrador.ticket_numbers import find_ticket_number, parse_ticket_number, ticket_number

ROOT = Path(__file__).resolve().parents[2]


def test_a_ticket_number_is_the_id_padded_to_six_digits():
    assert ticket_number(123) == "T-000123"


def test_an_id_past_six_digits_makes_a_longer_number_not_a_truncated_one():
    assert ticket_number(1_000_000) == "T-1000000"


@pytest.mark.parametrize("written", ["T-000123", "t-000123", " T-123 ", "T000123", "t123"])
def test_a_number_written_on_its_own_reads_back_to_its_ticket(written):
    assert parse_ticket_number(written) == 123


@pytest.mark.parametrize("written", ["", "T-", "123", "X-000123", "T-12a", "T-1234567890123", "T-000123 please"])
def test_anything_else_is_not_a_ticket_number(written):
    assert parse_ticket_number(written) is None


@pytest.mark.parametrize(
    ("message", "number"),
    [
        ("cual es el estado de T-000123?", "T-000123"),
        ("what about t-1000000", "T-1000000"),
        ("mi ticket es el t000042", "T-000042"),
        ("el T-7 por favor", "T-000007"),
    ],
)
def test_a_number_inside_a_message_is_found_and_written_the_canonical_way(message, number):
    assert find_ticket_number(message) == number


@pytest.mark.parametrize("message", ["quiero una polera talla T2", "mi pedido CS-1234567", "T-shirt size M"])
def test_a_message_without_a_ticket_number_finds_none(message):
    assert find_ticket_number(message) is None


def test_the_bots_entity_regex_reads_the_numbers_the_module_makes():
    regexes = yaml.safe_load((ROOT / "bot" / "data" / "nlu" / "regex.yml").read_text())["nlu"]
    (pattern,) = [r["examples"].strip().removeprefix("- ") for r in regexes if r["regex"] == "ticket_number"]
    for ticket_id in (1, 123, 999_999, 1_000_000, 123_456_789):
        assert re.fullmatch(pattern, ticket_number(ticket_id)), ticket_number(ticket_id)


def test_the_web_widget_highlights_the_numbers_the_module_makes():
    script = (ROOT / "ticketing" / "widget" / "static" / "mostrador.js").read_text()
    (pattern,) = re.findall(r"\\b\((T-[^)]*)\)\\b/g;", script)
    for ticket_id in (1, 123, 999_999, 1_000_000, 123_456_789):
        assert re.fullmatch(pattern, ticket_number(ticket_id)), ticket_number(ticket_id)
