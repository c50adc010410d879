"""Another business runs the backend and the help center from its business file alone (no code change): a bookshop
in Mexico City (tests/data/other_business) with its own categories, teams, holidays, timezone and help-center words."""

from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.ticketing.conftest import API_TOKEN, AUTH
from ticketing.agents.service import sync_from_config
from ticketing.app import create_app
from ticketing.db import make_engine, session_factory
from ticketing.migrate import upgrade
from ticketing.settings import REPO_ROOT, Settings

OTHER = REPO_ROOT / "tests" / "data" / "other_business"


@pytest.fixture(scope="module")
def bookshop(tmp_path_factory):
    url = f"sqlite:///{tmp_path_factory.mktemp('bookshop') / 'ticketing.db'}"
    upgrade(url)
    settings = Settings(
        database_url=url,
        api_token=API_TOKEN,
        secret_key="test-secret-key",
        business_config=OTHER / "business.yml",
        kb_dir=OTHER / "kb",
        _env_file=None,
    )
    app = create_app(settings, background=False)
    engine = make_engine(url)
    with session_factory(engine)() as session:
        sync_from_config(session, app.state.business.config)
    engine.dispose()
    with TestClient(app) as client:
        yield client


def test_a_ticket_gets_the_other_business_category_team_and_agent(bookshop):
    ticket = bookshop.post(
        "/api/v1/tickets",
        json={
            "customer": {"name": "Lucía", "email": "lucia@example.mx"},
            "description": "¿Dónde está mi pedido de libros? No ha llegado",
            "channel": "web",
            "consent": True,
            "received_at": "2026-11-13T23:00:00Z",  # Friday 17:00 in Mexico City
        },
        headers=AUTH,
    ).json()
    assert (ticket["category"], ticket["team"], ticket["assignee"]) == ("book_orders", "shipping", "rosa@quetzal.mx")


def test_its_sla_runs_on_its_calendar_skipping_a_mexican_holiday(bookshop):
    ticket = bookshop.post(
        "/api/v1/tickets",
        json={
            "customer": {"name": "Pablo", "email": "pablo@example.mx"},
            "description": "Quiero la factura electrónica de mi compra",
            "channel": "web",
            "consent": True,
            "received_at": "2026-11-13T23:00:00Z",
        },
        headers=AUTH,
    ).json()
    # normal: 4 working hours. Friday 17:00-19:00, Monday 16 is Revolution Day, Tuesday 10:00-12:00 (UTC-6).
    due = datetime.fromisoformat(ticket["sla"]["first_response_due_at"].replace("Z", "+00:00"))
    assert (ticket["category"], due) == ("payments", datetime(2026, 11, 17, 18, 0, tzinfo=UTC))


def test_the_help_center_speaks_in_the_other_business_words(bookshop):
    page = bookshop.get("/help/es").text
    assert "Librería Quetzal" in page and "Pedidos de libros" in page and "Tiempos de envío de libros" in page
    assert "Cóndor" not in page and "Centro de ayuda" not in page
    found = bookshop.get("/help/en", params={"q": "how long does shipping take"}).text
    assert 'href="/help/en/shipping-times"' in found
