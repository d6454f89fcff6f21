"""Settings from the environment: the README's defaults, and every value that cannot be
right named with its variable — without showing a secret."""

from __future__ import annotations

import base64
import json

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


# AUTH_ISSUERS ---------------------------------------------------------------------------

ISSUER = {"issuer": "https://maskinporten.no/", "kind": "system", "audience": "skolefravaer",
          "jwks_url": "https://maskinporten.no/jwk"}


def issuers(*changed: dict[str, object]) -> dict[str, str]:
    return {"AUTH_ISSUERS": json.dumps([{**ISSUER, **change} for change in changed])}


def test_an_issuer_is_read_with_its_documented_defaults() -> None:
    [issuer] = Settings.from_environ(issuers({})).auth_issuers

    assert (issuer.algorithms, issuer.leeway, issuer.require_at_jwt) == (("RS256",), 30, True)
    assert (issuer.claims.subject, issuer.claims.scope, issuer.tenant) == ("sub", "scope", None)


@pytest.mark.parametrize(("change", "says"), [
    ({"algorithms": ["HS256"]}, "0.algorithms.0: Input should be 'RS256'"),
    ({"algorithms": ["none"]}, "0.algorithms.0: Input should be 'RS256'"),
    ({"jwks_file": "/etc/jwks.json"}, "exactly one of jwks_url and jwks_file"),
    ({"jwks_url": None}, "exactly one of jwks_url and jwks_file"),
    ({"tenant": "0301\n"}, "0.tenant: String should match"),
    ({"tenant": "٠٣٠١"}, "0.tenant: String should match"),  # Arabic-Indic digits
    ({"roles": {"system": "skolefravaer"}}, "not a person's role"),
    ({"roles": {"rektor": "headmaster"}}, "not a person's role"),
    ({"leeway": 3600}, "0.leeway"),
    ({"kind": "guardian"}, "0.kind"),
])
def test_an_issuer_that_cannot_be_trusted_safely_is_refused(change: dict[str, object],
                                                            says: str) -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_environ(issuers(change))

    assert any(says in problem for variable, problem in refused.value.problems
               if variable == "AUTH_ISSUERS")


def test_issuers_that_are_not_json_are_named() -> None:
    assert problems({"AUTH_ISSUERS": "[{"}) == {"AUTH_ISSUERS": "is not valid JSON"}


def test_production_names_everything_it_misses_and_refuses_plain_http_keys() -> None:
    with pytest.raises(ConfigError) as refused:
        Settings.from_environ({"SKOLEFRAVAER_MODE": "production",
                               **issuers({"jwks_url": "http://idp.example/jwks"})})
    found = refused.value

    assert [variable for variable, _ in found.problems] == [
        "AUTH_ISSUERS", "SKOLEFRAVAER_SIGNING_KEY", "CIPHER_KEY"]
    assert "https only" in found.problems[0][1]


def test_development_is_the_default_mode_and_needs_no_issuer() -> None:
    settings = Settings.from_environ({})

    assert (settings.mode, settings.auth_issuers, settings.production_gaps()) == (
        "development", (), [])


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


def test_a_worker_keeps_a_few_batches_of_aggregates_and_the_api_a_municipalitys() -> None:
    default = Settings.from_environ({})
    chosen = Settings.from_environ({"SKOLEFRAVAER_AGGREGATE_CACHE_SIZE": "3000"})

    cache = "AGGREGATE_CACHE_MAXSIZE"
    assert default.eventsourcing_env()[cache] == "20000"
    assert default.for_worker().eventsourcing_env()[cache] == "500"
    assert chosen.eventsourcing_env()[cache] == chosen.for_worker().eventsourcing_env()[
        cache] == "3000"
