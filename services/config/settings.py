"""Settings, read once from the environment and checked before anything starts (the README's
configuration table).

A value that cannot be right stops start-up with a `ConfigError` naming the variable, rather
than being read as something else (``ture`` as false) or failing later, on the first
request, as a traceback.
"""

from __future__ import annotations

import base64
import binascii
import importlib
import os
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BeforeValidator,
    Field,
    NonNegativeInt,
    PositiveFloat,
    PositiveInt,
    SecretStr,
    StringConstraints,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    SettingsError,
)

from services.config.issuers import DEVELOPMENT, Issuer

MAX_BODY_BYTES = 4 * 1024 * 1024
"""The largest request body: a batch of 1,000 events is some 300 kB to 2 MB."""

API_AGGREGATE_CACHE = 20_000
"""The API's ingestion decides about the same pupils batch after batch: a municipality's
pupils and their cases stay in memory."""
WORKER_AGGREGATE_CACHE = 500
"""A worker ingests only the clock's decisions, at most 50 events a batch: a few batches'
aggregates. Keeping all it ever loaded made its peak RSS grow with the log (×2.6 from 10k to
200k events; `benchmarks.rss`)."""

SQLITE = "eventsourcing.sqlite"
POSTGRES = "eventsourcing.postgres"

# Passed through to eventsourcing when set; see its documentation.
EVENTSOURCING_VARIABLES = (
    "POSTGRES_DBNAME", "POSTGRES_HOST", "POSTGRES_PORT", "POSTGRES_USER",
    "POSTGRES_PASSWORD", "POSTGRES_SCHEMA", "POSTGRES_POOL_SIZE", "POSTGRES_MAX_OVERFLOW",
    "POSTGRES_CONNECT_TIMEOUT", "POSTGRES_PRE_PING", "CIPHER_TOPIC", "CIPHER_KEY",
    "COMPRESSOR_TOPIC",
)

# Kafka's own rule for topic names.
Topic = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
# The schema goes into the connection's search_path option: an identifier, nothing more.
Schema = Annotated[str, StringConstraints(pattern=r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"],
                     BeforeValidator(lambda value: str(value).upper())]


class ConfigError(ValueError):
    """Settings that cannot be used; ``problems`` are (variable, what is wrong) pairs."""

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{variable}: {problem}" for variable, problem in problems))
        self.problems = problems


def _problem(variable: str, message: str) -> PydanticCustomError:
    return PydanticCustomError("configuration", message, {"variable": variable})


class _Environ(EnvSettingsSource):
    """The environment as pydantic-settings reads it, from a given mapping (tests, tools)."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        self._environ = environ
        super().__init__(settings_cls)

    def _load_env_vars(self) -> Mapping[str, str | None]:
        # An empty variable means "not set": compose files and shells leave empty ones.
        return {name: value for name, value in self._environ.items() if value != ""}


def _env(name: str, default: Any = None) -> Any:
    return Field(default, validation_alias=name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, frozen=True, extra="ignore")

    persistence_module: Literal["eventsourcing.sqlite", "eventsourcing.postgres"] = _env(
        "PERSISTENCE_MODULE", SQLITE)
    sqlite_dbname: str = _env("SQLITE_DBNAME", "skolefravaer.sqlite")
    postgres_host: str = _env("POSTGRES_HOST", "127.0.0.1")
    postgres_port: Port = _env("POSTGRES_PORT", 5432)
    postgres_dbname: str = _env("POSTGRES_DBNAME", "skolefravaer")
    postgres_user: str = _env("POSTGRES_USER", "postgres")
    postgres_password: SecretStr = _env("POSTGRES_PASSWORD", SecretStr(""))
    postgres_schema: Schema = _env("POSTGRES_SCHEMA", "public")
    postgres_lock_timeout: NonNegativeInt = _env("POSTGRES_LOCK_TIMEOUT", 2)
    postgres_pool_size: PositiveInt | None = _env("POSTGRES_POOL_SIZE")
    postgres_max_overflow: NonNegativeInt | None = _env("POSTGRES_MAX_OVERFLOW")
    postgres_connect_timeout: PositiveInt | None = _env("POSTGRES_CONNECT_TIMEOUT")
    postgres_pre_ping: bool | None = _env("POSTGRES_PRE_PING")
    postgres_enable_db_functions: bool = _env("POSTGRES_ENABLE_DB_FUNCTIONS", False)
    cipher_topic: str | None = _env("CIPHER_TOPIC")
    cipher_key: SecretStr | None = _env("CIPHER_KEY")
    compressor_topic: str | None = _env("COMPRESSOR_TOPIC")
    kafka_bootstrap_servers: str = _env("KAFKA_BOOTSTRAP_SERVERS", "")
    kafka_topic_partitions: PositiveInt = _env("KAFKA_TOPIC_PARTITIONS", 3)
    # Copies of each topic the relay creates; at most the number of brokers.
    kafka_replication_factor: PositiveInt = _env("KAFKA_REPLICATION_FACTOR", 1)
    events_topic: Topic = _env("SKOLEFRAVAER_EVENTS_TOPIC", "absence.events.v1")
    alerts_topic: Topic = _env("SKOLEFRAVAER_ALERTS_TOPIC", "absence.alerts.v1")
    status_topic: Topic = _env("SKOLEFRAVAER_STATUS_TOPIC", "absence.pupil-status.v1")
    relay_batch_size: PositiveInt = _env("SKOLEFRAVAER_RELAY_BATCH_SIZE", 500)
    # Aggregates a process keeps between ingestion batches (services/store/aggregate_cache):
    # counted, not weighed, and a pupil's and case's state grows through the school year.
    aggregate_cache_size: PositiveInt | None = _env("SKOLEFRAVAER_AGGREGATE_CACHE_SIZE")
    workers_in_process: bool | None = _env("SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS")
    poll_interval: PositiveFloat = _env("SKOLEFRAVAER_POLL_INTERVAL", 0.2)
    clock_interval: PositiveFloat = _env("SKOLEFRAVAER_CLOCK_INTERVAL", 30.0)
    # /readyz fails when a worker has had work waiting this long without moving.
    worker_stall_seconds: PositiveFloat = _env("SKOLEFRAVAER_WORKER_STALL_SECONDS", 60.0)
    # Ed25519, base64 raw or PEM: signs audit checkpoints.
    signing_key: SecretStr | None = _env("SKOLEFRAVAER_SIGNING_KEY")
    bind: str = _env("BIND", "127.0.0.1:8080")
    web_concurrency_setting: PositiveInt | None = _env("WEB_CONCURRENCY")
    gunicorn_threads: PositiveInt = _env("GUNICORN_THREADS", 4)
    log_level: LogLevel = _env("LOG_LEVEL", "INFO")
    log_format: Literal["auto", "json", "console"] = _env("LOG_FORMAT", "auto")
    # PRIV-4: {"<kommunenummer>": {"<retention class>": years}}; unset classes: defaults.
    # The class names are checked by ``skolefravaer dispose`` (domain.retention), the only
    # reader: importing the domain here would slow every command down.
    retention_years: dict[str, dict[str, PositiveInt]] = _env(
        "SKOLEFRAVAER_RETENTION_YEARS", {})
    # production refuses to start without what protects the data: see `production_gaps`
    mode: Literal["development", "production"] = _env("SKOLEFRAVAER_MODE", "development")
    # the token issuers trusted, a JSON list (services/config/issuers.py, README)
    auth_issuers: tuple[Issuer, ...] = _env("AUTH_ISSUERS", ())
    # Limits that keep one client from taking what every other needs (README "Limits").
    max_body_bytes: PositiveInt = _env("SKOLEFRAVAER_MAX_BODY_BYTES", MAX_BODY_BYTES)
    # Seconds; 0 turns a limit off. Both hold for every connection the service opens.
    postgres_statement_timeout: NonNegativeInt = _env("POSTGRES_STATEMENT_TIMEOUT", 30)
    postgres_idle_in_transaction_timeout: NonNegativeInt = _env(
        "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT", 5)

    @classmethod
    def settings_customise_sources(
            cls, settings_cls: type[BaseSettings], init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # `from_environ` reads the environment it is given (the process's, or a test's)
        # and hands the values over; nothing else may add to them.
        return (init_settings,)

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings in ``environ`` (default: the process's); `ConfigError` when a value
        cannot be used."""
        try:
            values = _Environ(cls, os.environ if environ is None else environ)()
        except SettingsError as error:  # a list or object that is not JSON
            raise ConfigError([(cls._variable_in(str(error)), "is not valid JSON")]) from None
        try:
            settings = cls(**values)
        except ValidationError as error:
            raise ConfigError([_described(problem) for problem in error.errors()]) from None
        if gaps := settings.production_gaps():
            raise ConfigError(gaps)
        return settings

    @classmethod
    def _variable_in(cls, message: str) -> str:
        """The variable of the field pydantic-settings names in its error
        (``error parsing value for field "auth_issuers"``)."""
        start = message.find('"') + 1
        field = cls.model_fields.get(message[start:message.find('"', start)])
        return str(field.validation_alias) if field is not None else "settings"

    def production_gaps(self) -> list[tuple[str, str]]:
        """What production mode needs and is not set: who may call, the key that signs the
        audit log's checkpoints (never kept in the database it protects), and the key that
        encrypts the stored events."""
        if self.mode != "production":
            return []
        gaps = []
        if not self.auth_issuers:
            gaps.append(("AUTH_ISSUERS", "production needs at least one token issuer"))
        gaps += [("AUTH_ISSUERS", f"{issuer.issuer}: production fetches keys over https "
                                  "only") for issuer in self.auth_issuers
                 if issuer.jwks_url is not None and issuer.jwks_url.scheme != "https"]
        gaps += [("AUTH_ISSUERS", f"{issuer.issuer}: the development issuer is never "
                                  "trusted in production") for issuer in self.auth_issuers
                 if issuer.issuer.startswith(DEVELOPMENT)]
        if self.signing_key is None:
            gaps.append(("SKOLEFRAVAER_SIGNING_KEY", "production needs the checkpoint "
                         "signing key, kept outside the database"))
        if self.cipher_key is None:
            gaps.append(("CIPHER_KEY", "production needs the encryption master key (with "
                         "CIPHER_TOPIC)"))
        return gaps

    @field_validator("cipher_key")
    @classmethod
    def _aes_key(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            try:
                size = len(base64.b64decode(key.get_secret_value(), validate=True))
            except (binascii.Error, ValueError):
                raise _problem("CIPHER_KEY", "not base64") from None
            if size not in (16, 24, 32):
                raise _problem("CIPHER_KEY", f"an AES key is 16, 24 or 32 bytes, not {size}")
        return key

    @field_validator("cipher_topic", "compressor_topic")
    @classmethod
    def _importable(cls, topic: str | None) -> str | None:
        if topic is not None:
            module, _, name = topic.partition(":")
            try:
                getattr(importlib.import_module(module), name)
            except (ImportError, AttributeError, ValueError):
                raise PydanticCustomError(
                    "topic", "names no class that can be imported (module:Class)") from None
        return topic

    @field_validator("signing_key")
    @classmethod
    def _ed25519(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            from services.evidence.checkpoints import load_private_key

            try:
                load_private_key(key.get_secret_value())
            except ValueError as error:
                raise _problem("SKOLEFRAVAER_SIGNING_KEY", str(error)) from None
        return key

    @model_validator(mode="after")
    def _cipher_complete(self) -> Settings:
        if self.cipher_topic and not self.cipher_key:
            raise _problem("CIPHER_TOPIC", "is set but CIPHER_KEY is not: nothing could be "
                                           "stored or read")
        if self.cipher_key and not self.cipher_topic:
            raise _problem("CIPHER_KEY", "is set but CIPHER_TOPIC is not: events would be "
                                         "stored unencrypted")
        return self

    @property
    def uses_postgres(self) -> bool:
        return self.persistence_module == POSTGRES

    @property
    def run_workers_in_process(self) -> bool:
        """Default: on SQLite, whose single writer is this process; not on PostgreSQL."""
        if self.workers_in_process is None:
            return not self.uses_postgres
        return self.workers_in_process

    @property
    def web_concurrency(self) -> int:
        """gunicorn workers. SQLite has one writer: extra processes would queue on its lock."""
        if self.web_concurrency_setting is None:
            return 2 if self.uses_postgres else 1
        return self.web_concurrency_setting

    @property
    def passthrough(self) -> dict[str, str]:
        """The eventsourcing variables that were set, as eventsourcing reads them."""
        fields = type(self).model_fields
        by_variable = {str(info.validation_alias): name for name, info in fields.items()}
        return {variable: _as_environ(getattr(self, by_variable[variable]))
                for variable in EVENTSOURCING_VARIABLES
                if by_variable[variable] in self.model_fields_set}

    def for_worker(self) -> Settings:
        """These settings as a worker process uses them: a small aggregate cache, unless one
        was set."""
        if self.aggregate_cache_size is not None:
            return self
        return self.model_copy(update={"aggregate_cache_size": WORKER_AGGREGATE_CACHE})

    def notices(self) -> list[str]:
        """What start-up should warn about: settings accepted but not honoured."""
        if self.postgres_enable_db_functions:
            # Inserting without the table lock lets a later id commit before an earlier
            # one; followers reading "id > last seen" would skip events for good.
            return ["POSTGRES_ENABLE_DB_FUNCTIONS is ignored: it can make followers skip "
                    "events"]
        return []

    def eventsourcing_env(self) -> dict[str, str]:
        env = {
            "PERSISTENCE_MODULE": self.persistence_module,
            "POSTGRES_ENABLE_DB_FUNCTIONS": "n",
            "POSTGRES_LOCK_TIMEOUT": str(self.postgres_lock_timeout),
            "POSTGRES_IDLE_IN_TRANSACTION_SESSION_TIMEOUT":
                str(self.postgres_idle_in_transaction_timeout),
            "AGGREGATE_CACHE_MAXSIZE": str(self.aggregate_cache_size or API_AGGREGATE_CACHE),
            **self.passthrough,
        }
        if self.uses_postgres:
            # The documented defaults, which eventsourcing does not have for all of them.
            env.update({"POSTGRES_HOST": self.postgres_host,
                        "POSTGRES_PORT": str(self.postgres_port),
                        "POSTGRES_DBNAME": self.postgres_dbname,
                        "POSTGRES_USER": self.postgres_user,
                        "POSTGRES_PASSWORD": self.postgres_password.get_secret_value()})
        else:
            env["SQLITE_DBNAME"] = self.sqlite_dbname
            env["SQLITE_LOCK_TIMEOUT"] = "10"
        return env

    def key_environ(self) -> dict[str, str]:
        """The signing key as services.evidence.verify reads it (absent: one kept in the views)."""
        if self.signing_key is None:
            return {}
        return {"SKOLEFRAVAER_SIGNING_KEY": self.signing_key.get_secret_value()}

    def postgres_session_options(self) -> str:
        """libpq ``options`` for every session: no statement runs longer, and no transaction
        stays open idle longer, than the limits — so no session (a stuck worker, a client
        that stopped reading) holds the event table's lock for longer."""
        return (f"-cstatement_timeout={self.postgres_statement_timeout}s "
                f"-cidle_in_transaction_session_timeout="
                f"{self.postgres_idle_in_transaction_timeout}s")

    def postgres_conninfo(self) -> str:
        parts = {
            "dbname": self.postgres_dbname,
            "host": self.postgres_host,
            "port": str(self.postgres_port),
            "user": self.postgres_user,
            "password": self.postgres_password.get_secret_value(),
        }
        parts["options"] = self.postgres_session_options()
        if "postgres_schema" in self.model_fields_set:
            parts["options"] += f" -csearch_path={self.postgres_schema}"
        return " ".join(f"{key}='{_libpq_quoted(value)}'"
                        for key, value in parts.items() if value)


SECRETS = {"POSTGRES_PASSWORD", "CIPHER_KEY", "SKOLEFRAVAER_SIGNING_KEY"}


def _described(error: Any) -> tuple[str, str]:
    """(variable, what is wrong), showing the value unless it is a secret."""
    variable = str((error.get("ctx") or {}).get("variable") or
                   (error["loc"][0] if error["loc"] else "settings"))
    problem = str(error["msg"])
    if len(error["loc"]) > 1:  # inside a list or object (AUTH_ISSUERS): where
        problem = ".".join(map(str, error["loc"][1:])) + ": " + problem
    if variable not in SECRETS and error["type"] != "configuration":
        problem += f" (got {error['input']!r})"
    return variable, problem


def _as_environ(value: object) -> str:
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, bool):
        return "y" if value else "n"
    return str(value)


def _libpq_quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace("'", "\\'")
