"""Fixtures for the backend: the demo business, a migrated database (SQLite, and PostgreSQL when
TEST_POSTGRES_URL is set), and an HTTP client on the real app."""

import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text, update
from sqlalchemy.engine import make_url

from ticketing.agents.models import Agent
from ticketing.agents.service import sync_from_config
from ticketing.app import create_app
from ticketing.business.runtime import Business
from ticketing.db import Base, make_engine, session_factory
from ticketing.deps import get_now
from ticketing.migrate import upgrade
from ticketing.settings import REPO_ROOT, Settings

API_TOKEN = "test-service-token"
AUTH = {"Authorization": f"Bearer {API_TOKEN}"}


@pytest.fixture(scope="session")
def business() -> Business:
    return Business.load(REPO_ROOT / "ticketing" / "data" / "demo_business.yml", cache_dir=REPO_ROOT / "var" / "cache")


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session, dropped afterwards."""
    admin_url = os.environ.get("TEST_POSTGRES_URL")
    if not admin_url:
        pytest.skip(
            "TEST_POSTGRES_URL is not set (CI sets it; locally: postgresql+psycopg://postgres@127.0.0.1/postgres)"
        )
    name = f"mostrador_test_{uuid.uuid4().hex[:8]}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory) -> str:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'ticketing.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    upgrade(url)
    return url


@pytest.fixture
def settings(database_url) -> Settings:
    return Settings(database_url=database_url, api_token=API_TOKEN, secret_key="test-secret-key", _env_file=None)


_synced: set[str] = set()


def clean_database(url: str, business: Business) -> Iterator:
    """A session factory on a clean database with the demo teams and agents (passwords hashed once per database)."""
    engine = make_engine(url)
    factory = session_factory(engine)
    with factory() as session:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in ("agent", "team"):
                session.execute(table.delete())
        session.execute(update(Agent).values(open_assigned=0, last_assigned_at=None))
        session.commit()
        sync_from_config(session, business.config, update_passwords=url not in _synced)
        _synced.add(url)
    yield factory
    engine.dispose()


@pytest.fixture
def sessions(settings, business):
    yield from clean_database(settings.database_url, business)


@pytest.fixture
def client(settings, business, sessions, knowledge_base, clock) -> Iterator[TestClient]:
    app = create_app(settings, business, knowledge_base, background=False)
    app.dependency_overrides[get_now] = lambda: clock.now
    with TestClient(app) as test_client:
        yield test_client


class Clock:
    """The time the API believes it is; tests move it forward."""

    def __init__(self):
        self.now = datetime.now(UTC).replace(microsecond=0)

    def set(self, moment: datetime) -> None:
        self.now = moment

    def advance(self, **delta) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def login(client, email: str, password: str = "condor-demo") -> dict:
    response = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def new_ticket(**overrides) -> dict:
    body = {
        "customer": {"name": "Ana Pérez", "email": "ana@example.com"},
        "description": "Mi pedido CS-1234567 no ha llegado y ya pasaron 5 días",
        "channel": "web",
        "language": "es",
        "consent": True,
    }
    body.update(overrides)
    return body


@pytest.fixture(scope="session")
def knowledge_base():
    from kb.search import KnowledgeBase

    return KnowledgeBase(REPO_ROOT / "kb_articles")
