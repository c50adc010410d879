"""The compose deployment is valid, wires the services as documented, and refuses to start without secrets."""

import shutil
import subprocess

import pytest
import yaml

from ticketing.settings import REPO_ROOT

SECRETS = {
    "POSTGRES_PASSWORD": "pg-secret",
    "TICKETING_API_TOKEN": "svc-token",
    "TICKETING_SECRET_KEY": "k",
    "BOT_API_TOKEN": "b",
}
COMPOSE = shutil.which("docker-compose")
pytestmark = pytest.mark.skipif(COMPOSE is None, reason="docker-compose is not installed (apt install docker-compose)")


def config(tmp_path, values: dict[str, str]) -> subprocess.CompletedProcess:
    env_file = tmp_path / "compose.env"
    env_file.write_text("".join(f"{k}={v}\n" for k, v in values.items()))
    return subprocess.run(
        [
            COMPOSE,
            "--project-directory",
            str(REPO_ROOT),
            "--env-file",
            str(env_file),
            "-f",
            str(REPO_ROOT / "docker-compose.yml"),
            "config",
        ],
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin"},
    )


def test_the_compose_file_is_valid_and_wires_the_deployment(tmp_path):
    result = config(tmp_path, SECRETS)
    assert result.returncode == 0, result.stderr
    services = yaml.safe_load(result.stdout)["services"]
    assert set(services) == {"postgres", "redis", "ticketing", "actions", "rasa"}
    assert services["ticketing"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert "healthcheck" in services["postgres"]
    assert services["ticketing"]["environment"]["TICKETING_DATABASE_URL"].startswith("postgresql+psycopg://")
    assert services["rasa"]["environment"]["BOT_REDIS_HOST"] == "redis"
    assert "endpoints.compose.yml" in services["rasa"]["command"]
    assert services["actions"]["environment"]["ACTIONS_TICKETING_TOKEN"] == "svc-token"


def test_a_token_that_begins_with_a_dash_reaches_rasa_as_the_token(tmp_path):
    """make_env's tokens (secrets.token_urlsafe) begin with "-" one time in 64; given as an argument of its own, rasa's
    argparse took it for an option and would not start."""
    import sys

    result = config(tmp_path, {**SECRETS, "BOT_API_TOKEN": "-dash-first"})
    assert "--auth-token=-dash-first" in yaml.safe_load(result.stdout)["services"]["rasa"]["command"]
    sys.path.insert(0, str(REPO_ROOT / "scripts"))
    from stack import Ports, Stack

    stack = Stack({"BOT_API_TOKEN": "-dash-first"}, Ports(8001, 5056, 5006), tmp_path)
    assert "--auth-token=-dash-first" in stack.service("rasa").command


def test_compose_refuses_to_run_without_its_secrets(tmp_path):
    result = config(tmp_path, {k: v for k, v in SECRETS.items() if k != "TICKETING_API_TOKEN"})
    assert result.returncode != 0
    assert "TICKETING_API_TOKEN" in result.stderr


def test_the_rasa_endpoints_for_compose_use_postgres_and_redis():
    endpoints = yaml.safe_load((REPO_ROOT / "bot" / "endpoints.compose.yml").read_text())
    assert endpoints["tracker_store"]["dialect"] == "postgresql"
    assert endpoints["lock_store"]["type"] == "redis"
