"""Settings from the environment: the README's defaults, and every value that cannot be
right named with its variable — without showing a secret."""

from __future__ import annotations

import base64

import pytest

from services.config import ConfigError, Settings

AES = "eventsourcing.cryptography:AESCipher"
KEY = base64.b64encode(b"k" * 32).decode()


def problems(environ: dict[str, str]) -> dict[str, str]:
    with pytest.raises(ConfigError) as refused:
        Settings.from_environ(environ)
    return dict(refused.value.problems)


def test_the_defaults_are_the_documented_ones_and_empty_means_unset() -> None:
    settings = Settings.from_environ({"KAFKA_TOPIC_PARTITIONS": "", "LOG_LEVEL": ""})

    assert (settings.persistence_module, settings.run_workers_in_process,
            settings.web_concurrency) == ("eventsourcing.sqlite", True, 1)
    assert (settings.kafka_topic_partitions, settings.log_level) == (3, "INFO")
    assert settings.passthrough == {}


def test_on_postgres_eventsourcing_gets_the_documented_connection_defaults() -> None:
    settings = Settings.from_environ({"PERSISTENCE_MODULE": "eventsourcing.postgres",
                                      "POSTGRES_PRE_PING": "yes", "LOG_LEVEL": "debug"})

    env = settings.eventsourcing_env()
    assert {k: env[k] for k in ("POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_DBNAME",
                                "POSTGRES_USER", "POSTGRES_PASSWORD", "POSTGRES_PRE_PING")
            } == {"POSTGRES_HOST": "127.0.0.1", "POSTGRES_PORT": "5432",
                  "POSTGRES_DBNAME": "skolefravaer", "POSTGRES_USER": "postgres",
                  "POSTGRES_PASSWORD": "", "POSTGRES_PRE_PING": "y"}
    assert (settings.run_workers_in_process, settings.web_concurrency) == (False, 2)
    assert settings.log_level == "DEBUG"


def test_every_bad_value_is_named_at_once() -> None:
    found = problems({"PERSISTENCE_MODULE": "eventsourcing.mysql", "POSTGRES_PORT": "0",
                      "POSTGRES_SCHEMA": "a; DROP", "SKOLEFRAVAER_POLL_INTERVAL": "-1",
                      "SKOLEFRAVAER_EVENTS_TOPIC": "absence events", "LOG_LEVEL": "loud"})

    assert set(found) == {"PERSISTENCE_MODULE", "POSTGRES_PORT", "POSTGRES_SCHEMA",
                          "SKOLEFRAVAER_POLL_INTERVAL", "SKOLEFRAVAER_EVENTS_TOPIC",
                          "LOG_LEVEL"}
    assert "'eventsourcing.mysql'" in found["PERSISTENCE_MODULE"]


@pytest.mark.parametrize(("environ", "variable", "says"), [
    ({"CIPHER_TOPIC": AES, "CIPHER_KEY": "bm90IGEga2V5"}, "CIPHER_KEY", "16, 24 or 32 bytes"),
    ({"CIPHER_TOPIC": AES, "CIPHER_KEY": "secret!"}, "CIPHER_KEY", "not base64"),
    ({"CIPHER_KEY": KEY}, "CIPHER_KEY", "stored unencrypted"),
    ({"CIPHER_TOPIC": "eventsourcing.cryptography:Nothing", "CIPHER_KEY": KEY},
     "CIPHER_TOPIC", "can be imported"),
    ({"SKOLEFRAVAER_SIGNING_KEY": "secret!"}, "SKOLEFRAVAER_SIGNING_KEY", "Ed25519"),
])
def test_keys_that_cannot_work_are_refused_without_showing_them(
        environ: dict[str, str], variable: str, says: str) -> None:
    found = problems(environ)

    assert says in found[variable]
    assert "secret!" not in str(found) and "bm90IGEga2V5" not in str(found)


def test_a_complete_cipher_is_passed_to_eventsourcing() -> None:
    settings = Settings.from_environ({"CIPHER_TOPIC": AES, "CIPHER_KEY": KEY})

    assert settings.passthrough == {"CIPHER_TOPIC": AES, "CIPHER_KEY": KEY}
    assert KEY not in repr(settings)


def test_the_limits_default_to_the_documented_ones_and_reach_every_connection() -> None:
    settings = Settings.from_environ({"PERSISTENCE_MODULE": "eventsourcing.postgres",
                                      "POSTGRES_SCHEMA": "kommune_3101"})

    assert (settings.max_body_bytes, settings.postgres_statement_timeout,
            settings.postgres_idle_in_transaction_timeout) == (4 * 1024 * 1024, 30, 5)
    assert settings.eventsourcing_env()["POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"] == "5"
    assert ("options='-cstatement_timeout=30s -cidle_in_transaction_session_timeout=5s "
            "-csearch_path=kommune_3101'") in settings.postgres_conninfo()


def test_a_limit_that_cannot_be_is_named() -> None:
    assert set(problems({"SKOLEFRAVAER_MAX_BODY_BYTES": "0",
                         "POSTGRES_STATEMENT_TIMEOUT": "-1",
                         "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT": "soon"})) == {
        "SKOLEFRAVAER_MAX_BODY_BYTES", "POSTGRES_STATEMENT_TIMEOUT",
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT"}
