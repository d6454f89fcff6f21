"""A store outage answers 503 with Retry-After, never 500; when the database is back the
next request succeeds (no stale pooled connection is handed out)."""

from __future__ import annotations

import time
from collections.abc import Iterator

import psycopg
import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service, build
from services.config import Settings
from tests.support import http
from tests.support.events import absent, enrolled, new_pupil
from tests.support.proxy import TcpProxy


@pytest.fixture
def proxied(pg_environ: dict[str, str]) -> Iterator[tuple[Service, FlaskClient, TcpProxy]]:
    proxy = TcpProxy(int(pg_environ["POSTGRES_PORT"]))
    service = build(Settings.from_environ({**pg_environ, "POSTGRES_PORT": str(proxy.port)}))
    yield service, http.client(service), proxy
    proxy.cut()
    service.close()


def test_reads_and_posts_answer_503_with_retry_after_while_the_database_is_away(
        proxied: tuple[Service, FlaskClient, TcpProxy]) -> None:
    service, client, proxy = proxied
    pupil = new_pupil()
    assert client.post("/v1/events", json={"events": [enrolled(pupil)]}).status_code == 200
    service.pupil_views.catch_up()

    proxy.cut()
    started = time.monotonic()
    read = client.get(f"/v1/pupils/{pupil}/absence")
    posted = client.post("/v1/events", json={"events": [absent(pupil, "2026-09-01")]})
    seconds = time.monotonic() - started

    for answer in (read, posted):
        assert answer.status_code == 503, answer.get_json()
        assert answer.headers["Retry-After"].isdigit()
        assert answer.mimetype == "application/problem+json"
    assert seconds < 25  # each inside gunicorn's 30 s worker timeout


def test_the_first_request_after_a_restart_succeeds(
        proxied: tuple[Service, FlaskClient, TcpProxy], postgres_conninfo: str) -> None:
    service, client, proxy = proxied
    pupil = new_pupil()
    client.post("/v1/events", json={"events": [enrolled(pupil)]})
    service.pupil_views.catch_up()
    assert client.get(f"/v1/pupils/{pupil}/absence").status_code == 200

    # What a restart does to every pooled connection: the server ends each backend (only
    # this test's, behind its proxy: the server is shared).
    with psycopg.connect(postgres_conninfo, autocommit=True) as admin:
        ended = admin.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                              "WHERE client_port = ANY(%s)",
                              (proxy.server_side_ports(),)).fetchone()
    assert ended is not None and ended[0] >= 2  # the event store's and the views' pools

    assert client.get(f"/v1/pupils/{pupil}/absence").status_code == 200
    posted = client.post("/v1/events", json={"events": [absent(pupil, "2026-09-01")]})
    assert (posted.status_code, posted.get_json()["accepted"]) == (200, 1)
