"""The deployment files, checked where the tests run, without a Docker engine: the compose
stack (services, restart policies, health checks, secrets only from the env file, volumes
where the images keep their data, KRaft), the image, and the lock it installs."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_TEXT = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
COMPOSE: dict[str, Any] = yaml.safe_load(COMPOSE_TEXT)
SERVICES: dict[str, Any] = COMPOSE["services"]
APP_SERVICES = ("api", "projector", "relay")
SECRETS = ("POSTGRES_PASSWORD", "CIPHER_KEY", "SKOLEFRAVAER_SIGNING_KEY")
REQUIRED_VARIABLE = re.compile(r"\$\{[A-Z][A-Z0-9_]*:\?[^}]+\}")


def example_variables() -> dict[str, str]:
    lines = (ROOT / "deploy" / "compose.env.example").read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def test_the_stack_has_its_services_each_restarting_and_with_a_health_check() -> None:
    assert set(SERVICES) == {"postgres", "kafka", *APP_SERVICES}
    for name, service in SERVICES.items():
        assert service["restart"] == "unless-stopped", name
        assert service["healthcheck"]["test"], name


def test_health_checks_ask_the_database_the_api_and_the_broker() -> None:
    assert "pg_isready" in str(SERVICES["postgres"]["healthcheck"]["test"])
    assert "/readyz" in str(SERVICES["api"]["healthcheck"]["test"])
    assert "kafka-broker-api-versions" in str(SERVICES["kafka"]["healthcheck"]["test"])


def test_secrets_are_required_from_the_env_file_never_written_in_the_yaml() -> None:
    for name in APP_SERVICES:
        environment = SERVICES[name]["environment"]
        for secret in SECRETS:
            assert REQUIRED_VARIABLE.fullmatch(environment[secret]), (name, secret)
    assert REQUIRED_VARIABLE.fullmatch(SERVICES["postgres"]["environment"]["POSTGRES_PASSWORD"])


def test_the_env_example_names_every_variable_the_yaml_uses_and_holds_no_value() -> None:
    used = set(re.findall(r"\$\{([A-Z][A-Z0-9_]*)", COMPOSE_TEXT))
    assert set(example_variables()) == used
    assert set(example_variables().values()) == {""}


def test_data_lives_on_named_volumes_where_the_images_keep_it() -> None:
    assert set(COMPOSE["volumes"]) == {"pgdata", "kafkadata"}
    assert "pgdata:/var/lib/postgresql/data" in SERVICES["postgres"]["volumes"]
    kafka = SERVICES["kafka"]
    assert kafka["environment"]["KAFKA_LOG_DIRS"] == "/var/lib/kafka/data"
    assert "kafkadata:/var/lib/kafka/data" in kafka["volumes"]


def listeners(value: str) -> dict[str, str]:
    """'NAME://host:port,...' as {NAME: 'host:port'}."""
    return dict(item.split("://") for item in value.split(","))


def test_kafka_runs_kraft_as_its_own_single_voter_advertised_to_the_services() -> None:
    env = SERVICES["kafka"]["environment"]
    assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert REQUIRED_VARIABLE.fullmatch(env["CLUSTER_ID"])
    own = listeners(env["KAFKA_LISTENERS"])
    protocols = dict(item.split(":") for item in env["KAFKA_LISTENER_SECURITY_PROTOCOL_MAP"]
                     .split(","))
    assert set(own) <= set(protocols)
    controller = env["KAFKA_CONTROLLER_LISTENER_NAMES"]
    assert env["KAFKA_CONTROLLER_QUORUM_VOTERS"] == (
        f"{env['KAFKA_NODE_ID']}@kafka{own[controller]}")
    advertised = listeners(env["KAFKA_ADVERTISED_LISTENERS"])
    assert controller not in advertised
    assert set(advertised) <= set(own)
    for name in APP_SERVICES:
        assert SERVICES[name]["environment"]["KAFKA_BOOTSTRAP_SERVERS"] in advertised.values()


def test_the_image_installs_the_lock_before_the_source_and_runs_unprivileged() -> None:
    lines = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8").splitlines()
    lock_install = next(i for i, line in enumerate(lines) if "-r requirements.lock" in line)
    first_source = next(i for i, line in enumerate(lines) if line.startswith("COPY services"))
    assert lock_install < first_source
    assert [line for line in lines if line.startswith("USER ")] == ["USER skolefravaer"]


def test_the_lock_pins_every_runtime_dependency_within_its_bounds() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (ROOT / "requirements.lock")
                           .read_text(encoding="utf-8"), re.MULTILINE))
    locked = {canonicalize_name(name): version for name, version in pins.items()}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        version = locked.get(canonicalize_name(requirement.name))
        assert version is not None, f"{requirement.name} is not in requirements.lock (bin/lock)"
        assert requirement.specifier.contains(version), (requirement.name, version)
