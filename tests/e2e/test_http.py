"""The HTTP API as an integrator uses it, on the embedded default (SQLite)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service
from tests.conftest import ROOT
from tests.support import http, tokens
from tests.support.events import absent, enrolled, new_pupil

EXAMPLE = json.loads((ROOT / "docs/examples/batch.json").read_text())
EXAMPLE_PUPIL = EXAMPLE["events"][0]["data"]["pupil_id"]


@pytest.fixture
def client(sqlite_service: Service) -> Iterator[FlaskClient]:
    sqlite_service.start_workers()
    yield http.client(sqlite_service)


def post(client: FlaskClient, events: list[dict[str, Any]]) -> dict[str, Any]:
    response = client.post("/v1/events", json={"events": events})
    assert response.status_code == 200
    return response.get_json()  # type: ignore[no-any-return]


def last_position(answer: dict[str, Any]) -> int:
    return max(r["position"] for r in answer["results"] if "position" in r)


@pytest.mark.rule("ABS-1", "ABS-2", "ABS-3", "ABS-4")
def test_the_readme_example_gives_the_documented_figures(client: FlaskClient) -> None:
    answer = post(client, EXAMPLE["events"])

    response = client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence?school_year=2026-2027"
                          f"&min_position={last_position(answer)}")

    tally = response.get_json()
    assert answer["accepted"] == len(EXAMPLE["events"])
    assert tally["days"] == {"documented": 2, "undocumented": 1, "total": 3}
    assert tally["lessons"] == {"documented": 0, "undocumented": 2, "total": 2}
    assert (tally["late_arrivals"], tally["left_school"]) == (1, 0)
    september = next(m for m in tally["months"] if m["period"] == "2026-09")
    assert september["days"]["total"] == 3
    assert september["lessons"]["total"] == 1
    assert [h["period"] for h in tally["half_years"]] == ["2026-autumn"]
    documented = [a for a in tally["absences"] if a["documented"]]
    assert {d["documented_by"][0] for d in documented} == {EXAMPLE["events"][6]["event_id"]}


def test_posting_the_example_again_answers_duplicate_for_every_event(
        client: FlaskClient) -> None:
    post(client, EXAMPLE["events"])

    again = post(client, EXAMPLE["events"])

    assert again["duplicate"] == len(EXAMPLE["events"])
    assert again["accepted"] == again["rejected"] == 0


def test_a_malformed_body_is_a_problem_document_and_stores_nothing(
        client: FlaskClient, sqlite_service: Service) -> None:
    for body in ('{"events": [', '{"events": []}', '{"events": "x"}', '[]'):
        response = client.post("/v1/events", data=body, content_type="application/json")

        assert response.status_code == 400
        assert response.mimetype == "application/problem+json"
        problem = response.get_json()
        assert problem["status"] == 400
        assert problem["errors"][0]["field"]
    too_many = [absent(new_pupil(), "2026-09-01") for _ in range(1001)]
    response = client.post("/v1/events", json={"events": too_many})
    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "events"
    assert sqlite_service.app.recorder.max_notification_id() in (0, None)


def test_a_rejected_event_names_its_field_and_rule(client: FlaskClient) -> None:
    pupil = new_pupil()
    lesson_without_lesson = absent(pupil, "2026-09-01")
    lesson_without_lesson["data"]["scope"] = "lesson"

    answer = post(client, [enrolled(pupil), lesson_without_lesson])

    assert answer["results"][1]["status"] == "rejected"
    assert answer["results"][1]["errors"][0] == {
        "field": "data.lesson", "code": "lesson_required", "rule": "ABS-2",
        "detail": "an absence from a single lesson must name the lesson"}


def test_an_unknown_pupil_is_a_404_problem(client: FlaskClient) -> None:
    response = client.get(f"/v1/pupils/{new_pupil()}/absence")

    assert response.status_code == 404
    assert response.get_json()["type"].endswith("/unknown-pupil")


def test_a_bad_query_is_a_400_problem_naming_the_parameter(client: FlaskClient) -> None:
    response = client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence?school_year=2026")

    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "school_year"


def test_health_readiness_and_openapi(client: FlaskClient) -> None:
    assert client.get("/healthz").status_code == 200
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.get_json()["checks"]["event_store"]["ok"] is True
    spec = json.loads(client.get("/openapi.json").data)  # more fields than a request may have
    assert spec["openapi"].startswith("3.")
    assert {"/v1/events", "/v1/pupils/{pupil_id}/absence"} <= set(spec["paths"])


def test_metrics_count_outcomes_and_report_lag(client: FlaskClient) -> None:
    post(client, EXAMPLE["events"])
    post(client, EXAMPLE["events"])

    text = client.get("/metrics").get_data(as_text=True)

    assert 'skolefravaer_events_total{status="duplicate"}' in text
    duplicates = next(line for line in text.splitlines()
                      if line.startswith('skolefravaer_events_total{status="duplicate"}'))
    assert float(duplicates.split()[-1]) >= len(EXAMPLE["events"])
    assert 'skolefravaer_worker_lag{worker="pupil-views"}' in text
    assert "skolefravaer_log_head " in text


def test_request_durations_are_labelled_by_route_never_by_path(client: FlaskClient) -> None:
    client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence")

    text = client.get("/metrics").get_data(as_text=True)

    assert ('skolefravaer_http_request_duration_seconds_count{method="GET",'
            'route="/v1/pupils/<uuid:pupil_id>/absence",status="404"}') in text
    assert EXAMPLE_PUPIL not in text


def test_another_municipality_finds_nothing_and_cannot_choose_the_municipality(
        client: FlaskClient) -> None:
    answer = post(client, EXAMPLE["events"])
    position = last_position(answer)
    oslo = tokens.bearer(tokens.staff(tenant="0301"))

    own = client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence?min_position={position}")
    other = client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence", headers=oslo)
    asking = client.get(f"/v1/pupils/{EXAMPLE_PUPIL}/absence?tenant=3101", headers=oslo)

    assert own.status_code == 200
    assert other.status_code == 404
    assert other.get_json()["type"].endswith("/unknown-pupil")
    assert asking.status_code == 404  # ?tenant= is gone: the token says whose data it is
