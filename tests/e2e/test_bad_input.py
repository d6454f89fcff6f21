"""Input that once answered 500 or was stored anyway: each is a 4xx problem naming what is
wrong, and nothing of it is stored. Under gunicorn, a 10 MB body is refused at once while
another client's batch is stored."""

from __future__ import annotations

import io
import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service
from tests.support import tokens
from tests.support.case_events import contact, meeting
from tests.support.events import absent, enrolled, envelope, new_pupil, school_days
from tests.support.http import Gunicorn, call
from tests.support.http import client as signed_in

SMALL_LIMIT = 20_000


@pytest.fixture
def client(sqlite_service: Service) -> Iterator[FlaskClient]:
    yield signed_in(sqlite_service)


@pytest.fixture
def small_client(sqlite_service: Service) -> Iterator[FlaskClient]:
    yield signed_in(sqlite_service, max_body_bytes=SMALL_LIMIT)


def stored(service: Service) -> int:
    return service.app.recorder.max_notification_id() or 0


def problem_of(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    found: dict[str, Any] = json.loads(response.get_data())
    assert found["status"] == status
    return found


def batch_text(name: str) -> str:
    """A batch enrolling a pupil named ``name``, as JSON text (escapes kept as written)."""
    event = enrolled(new_pupil(), more={"name": "NAME"})
    return json.dumps({"events": [event]}).replace('"NAME"', name)


@pytest.mark.parametrize(("body", "field", "detail"), [
    ("[" * 1000 + "]" * 1000, "$", "nested deeper than 32 levels"),
    (batch_text('"\\ud800"'), "events[0].data.name", "lone surrogate"),
    (batch_text('"Kari\\u0000"'), "events[0].data.name", "NUL"),
    (batch_text("NaN"), "$", "NaN is not a JSON number"),
    (batch_text("1e999"), "$", "too large"),
    (batch_text("9" * 5000), "$", "not valid JSON"),
])
def test_json_no_store_can_keep_is_a_400_naming_where_and_stores_nothing(
        client: FlaskClient, sqlite_service: Service, body: str, field: str,
        detail: str) -> None:
    response = client.post("/v1/events", data=body, content_type="application/json")

    problem = problem_of(response, 400)
    assert problem["errors"][0]["field"] == field
    assert problem["errors"][0]["code"] == "invalid_json"
    assert detail in problem["errors"][0]["detail"]
    assert stored(sqlite_service) == 0


def test_a_five_megabyte_name_is_a_413_and_stores_nothing(client: FlaskClient,
                                                          sqlite_service: Service) -> None:
    response = client.post("/v1/events", data=batch_text(json.dumps("x" * 5_000_000)),
                           content_type="application/json")

    problem = problem_of(response, 413)
    assert problem["type"].endswith("/body-too-large")
    assert "4,194,304 bytes" in problem["detail"]
    assert stored(sqlite_service) == 0


def test_a_name_over_its_bound_rejects_the_event_naming_the_field(
        client: FlaskClient, sqlite_service: Service) -> None:
    response = client.post("/v1/events", data=batch_text(json.dumps("x" * 201)),
                           content_type="application/json")

    [result] = response.get_json()["results"]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "data.name"
    assert stored(sqlite_service) == 0


def chunked(client: FlaskClient, body: bytes) -> Any:
    """A POST without Content-Length, its body chunked (as gunicorn hands it on)."""
    return client.post("/v1/events", input_stream=io.BytesIO(body),
                       headers={"Content-Type": "application/json",
                                "Transfer-Encoding": "chunked"},
                       environ_overrides={"wsgi.input_terminated": True})


def test_a_body_over_the_limit_is_a_413_declared_or_chunked(
        small_client: FlaskClient, sqlite_service: Service) -> None:
    pupil = new_pupil()
    body = json.dumps({"events": [enrolled(pupil)] + [
        absent(pupil, day) for day in school_days(100)]}).encode()
    assert len(body) > SMALL_LIMIT

    declared = small_client.post("/v1/events", data=body, content_type="application/json")
    streamed = chunked(small_client, body)

    assert problem_of(declared, 413)["detail"] == problem_of(streamed, 413)["detail"]
    assert stored(sqlite_service) == 0


def test_a_chunked_body_within_the_limit_is_read_whole(small_client: FlaskClient) -> None:
    pupil = new_pupil()

    response = chunked(small_client, json.dumps(
        {"events": [enrolled(pupil), absent(pupil, "2026-09-01")]}).encode())

    assert response.status_code == 200
    assert response.get_json()["accepted"] == 2


def test_the_longest_texts_the_contract_takes_fit_in_the_pdf_dossier(
        client: FlaskClient, sqlite_service: Service) -> None:
    sqlite_service.start_workers()
    pupil = new_pupil()
    posted = client.post("/v1/events", json={"events": [
        enrolled(pupil), contact(pupil, "2026-09-03T08:40:00+02:00", result="W" * 20_000),
        meeting(pupil, "guardian_conversation", "2026-09-10T12:00:00+02:00",
                minutes="Mor sa at det går bedre.\n" * 800)]})
    assert posted.get_json()["accepted"] == 3, posted.get_json()

    head = max(r["position"] for r in posted.get_json()["results"])
    response = client.get(f"/v1/pupils/{pupil}/dossier?min_position={head}", headers={
        "Accept": "application/pdf", **tokens.bearer(tokens.staff("principal"))})

    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    assert response.data.startswith(b"%PDF")


@pytest.mark.parametrize("tenant", ["0301\n", "٠٣٠١"])
def test_a_tenant_with_a_newline_or_other_digits_is_rejected_and_not_stored(
        client: FlaskClient, sqlite_service: Service, tenant: str) -> None:
    answer = client.post("/v1/events", json={"events": [enrolled(new_pupil(), tenant=tenant)]})

    [result] = answer.get_json()["results"]
    assert result["status"] == "rejected"
    assert result["errors"][0]["field"] == "tenant"
    assert stored(sqlite_service) == 0


@pytest.fixture
def pupil(client: FlaskClient) -> str:
    pupil = new_pupil()
    assert client.post("/v1/events", json={"events": [enrolled(pupil)]}).status_code == 200
    return pupil


@pytest.mark.parametrize(("query", "field"), [
    ("as_of=0001-01-01T00:00:00%2B05:00", "as_of"),
    ("as_of=9999-12-31T23:59:59-05:00", "as_of"),
    ("school_year=0000-0001", "school_year"),
    ("min_position=99999999999999999999", "min_position"),
])
def test_a_query_out_of_bounds_is_a_400_naming_the_parameter(
        client: FlaskClient, pupil: str, query: str, field: str) -> None:
    response = client.get(f"/v1/pupils/{pupil}/history?{query}")

    assert problem_of(response, 400)["errors"][0]["field"] == field


@pytest.mark.parametrize("url", ["/v1/tasks?school_id=%00", "/v1/schools/%00/routine",
                                 "/v1/tasks?%00=1"])
def test_a_nul_in_the_url_is_a_400(client: FlaskClient, url: str) -> None:
    assert problem_of(client.get(url), 400)["errors"][0]["code"] == "invalid_url"


# Under gunicorn ------------------------------------------------------------------------


def post_raw(base: str, body: bytes, *, chunked: bool) -> tuple[int, dict[str, Any], float]:
    """POST ``body`` as curl does: send it while already reading the answer (a server that
    refuses a body answers before it has all arrived). Answers status, JSON, seconds."""
    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        framing = (b"Transfer-Encoding: chunked" if chunked
                   else b"Content-Length: %d" % len(body))
        head = (b"POST /v1/events HTTP/1.1\r\nHost: test\r\n"
                b"Content-Type: application/json\r\n%s\r\n\r\n" % framing)
        started = time.monotonic()
        sender = threading.Thread(target=_send, args=(sock, head, body, chunked))
        sender.start()
        answer = _read_answer(sock)
        took = time.monotonic() - started
        sender.join()
    status_line, _, rest = answer.partition(b"\r\n")
    return int(status_line.split()[1]), json.loads(rest.partition(b"\r\n\r\n")[2]), took


def _send(sock: socket.socket, head: bytes, body: bytes, chunked: bool) -> None:
    try:
        sock.sendall(head)
        for start in range(0, len(body), 65536):
            part = body[start:start + 65536]
            sock.sendall(b"%x\r\n%s\r\n" % (len(part), part) if chunked else part)
        if chunked:
            sock.sendall(b"0\r\n\r\n")
    except OSError:  # the server answered and closed: what a refusal does
        pass


def _read_answer(sock: socket.socket) -> bytes:
    answer = b""
    while True:
        head, _, body = answer.partition(b"\r\n\r\n")
        if _ and len(body) >= int(head.lower().split(b"content-length:")[1].split()[0]):
            return answer
        received = sock.recv(65536)
        assert received, f"the connection closed before the answer was whole: {answer!r}"
        answer += received


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_ten_megabyte_batch_is_a_413_at_once_while_another_clients_batch_is_stored(
        pg_environ: dict[str, str], chunked: bool) -> None:
    server = Gunicorn({**pg_environ, "SKOLEFRAVAER_RUN_WORKERS_IN_PROCESS": "false"},
                      workers=1)
    try:
        big_pupil, pupil = new_pupil(), new_pupil()
        assert call("POST", f"{server.base}/v1/events", {"events": [enrolled(pupil)]})[0] == 200
        # Valid events: read, they would all be stored.
        big = json.dumps({"events": [enrolled(big_pupil)] + [
            envelope("SchoolRefusalSignalReported", {
                "pupil_id": big_pupil, "guardian_id": "guardian-1", "text": "x" * 4000})
            for _ in range(2600)]}).encode()
        assert len(big) > 10_000_000
        other: list[tuple[int, Any]] = []
        other_client = threading.Thread(target=lambda: other.append(call(
            "POST", f"{server.base}/v1/events",
            {"events": [absent(pupil, day) for day in school_days(20)]})))

        other_client.start()
        status, problem, took = post_raw(server.base, big, chunked=chunked)
        other_client.join()

        assert (status, problem["status"]) == (413, 413)
        assert took < 1.0, f"the 413 took {took:.2f} s"
        assert other[0][0] == 200 and other[0][1]["accepted"] == 20
        assert call("GET", f"{server.base}/v1/pupils/{big_pupil}/history")[0] == 404
    finally:
        log = server.stop()
    assert "Traceback" not in log


def test_a_method_an_endpoint_does_not_take_is_a_405_naming_those_it_does(
        client: FlaskClient) -> None:
    response = client.open("/v1/audit/verify", method="TRACE")

    assert problem_of(response, 405)["type"].endswith("/http-405")
    assert "GET" in response.headers["Allow"]
