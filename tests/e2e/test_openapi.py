"""The OpenAPI document tells the truth: it validates, each operation has an id, its answer
and an example that fits it, every error is a problem document with the headers it carries,
the event types are a union of their data schemas, and Swagger UI is served to anyone from
assets installed with the service. (bin/schemathesis checks the answers themselves.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from openapi_schema_validator import OAS30Validator
from openapi_spec_validator import validate

from services.bootstrap import Service
from services.http.app import create_app
from services.http.context.policy import OPEN, POLICY
from services.http.contract.events import BATCH_EXAMPLE
from services.http.contract.operations import ANSWERS
from services.intake.contract import DATA_SCHEMAS
from tests.conftest import ROOT
from tests.support import http

PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
def app() -> Flask:
    return create_app(lambda: pytest.fail("the document needs no service"))


@pytest.fixture(scope="module")
def document(app: Flask) -> dict[str, Any]:
    answer = app.test_client().get("/openapi.json")
    assert answer.status_code == 200
    return json.loads(answer.data)  # type: ignore[no-any-return]


def operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method != "parameters":
                yield f"{method.upper()} {path}", operation


def resolved(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        *_, kind, name = item["$ref"].split("/")
        item = document["components"][kind][name]
    return item


def fits(document: dict[str, Any], schema: dict[str, Any], value: Any) -> list[str]:
    """Why ``value`` does not fit ``schema`` (its $refs into ``document``); none: it fits."""
    validator = OAS30Validator({**schema, "components": document["components"]})
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(value)]


def test_the_document_validates_as_openapi_3(document: dict[str, Any]) -> None:
    validate(document)


def test_every_endpoint_is_documented_and_nothing_else(app: Flask) -> None:
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()
                 if not rule.endpoint.startswith(("api-docs", "static"))}

    assert endpoints == set(ANSWERS)
    assert {"api-docs.openapi_json", "api-docs.openapi_swagger_ui"} <= OPEN
    assert set(POLICY) <= set(ANSWERS)


def test_each_operation_has_an_id_and_its_answer_with_an_example_that_fits(
        document: dict[str, Any]) -> None:
    ids = [operation["operationId"] for _, operation in operations(document)]
    assert len(ids) == len(set(ids)) == len(ANSWERS)
    for name, operation in operations(document):
        success = min(status for status in operation["responses"] if int(status) < 300)
        for media, content in operation["responses"][success]["content"].items():
            if "example" in content:
                assert fits(document, content["schema"], content["example"]) == [], name
            else:
                assert media == "application/pdf", name


def test_every_error_is_a_problem_document_with_the_headers_it_carries(
        document: dict[str, Any]) -> None:
    for name, operation in operations(document):
        for status, response in operation["responses"].items():
            response = resolved(document, response)
            if int(status) < 400 or operation["operationId"] == "readyz":
                continue
            content = response["content"][PROBLEM]
            # Only a URL too long for the HTTP server itself is answered by it, in HTML.
            assert set(response["content"]) - {PROBLEM} <= ({"text/html"} if status == "414"
                                                            else set()), (name, status)
            assert fits(document, content["schema"], content["example"]) == [], (name, status)
            required = {header for header, spec in response.get("headers", {}).items()
                        if spec["required"]}
            assert required == {"401": {"WWW-Authenticate"}, "403": {"WWW-Authenticate"},
                                "503": {"Retry-After"}}.get(status, set()), (name, status)
        if " /v1/" in name:
            assert {"400", "401", "403", "503"} <= operation["responses"].keys(), name
    allowed = document["components"]["responses"]["METHOD_NOT_ALLOWED"]
    assert allowed["headers"]["Allow"]["required"] is True


def test_consistent_reads_document_their_409_and_the_batch_its_413_and_415(
        document: dict[str, Any]) -> None:
    absence = document["paths"]["/v1/pupils/{pupil_id}/absence"]["get"]["responses"]
    post = document["paths"]["/v1/events"]["post"]["responses"]

    assert {"404", "409"} <= absence.keys()
    assert {"413", "415"} <= post.keys()
    assert "409" not in post and "413" not in absence


def test_the_dossier_checkpoint_and_metrics_say_their_media_types(
        document: dict[str, Any]) -> None:
    def media(path: str) -> set[str]:
        return set(document["paths"][path]["get"]["responses"]["200"]["content"])

    assert media("/v1/pupils/{pupil_id}/dossier") == {"application/json", "text/html",
                                                      "application/pdf"}
    assert media("/v1/audit/checkpoint") == media("/metrics") == {"text/plain"}


def test_the_events_are_a_union_of_their_data_schemas_told_apart_by_type(
        document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    union = schemas["Event"]
    example = json.loads((ROOT / "docs/examples/batch.json").read_text())

    assert union["discriminator"]["propertyName"] == "type"
    assert set(union["discriminator"]["mapping"]) == set(DATA_SCHEMAS)
    for event_type in DATA_SCHEMAS:
        member = schemas[f"{event_type}Event"]
        assert member["properties"]["type"]["enum"] == [event_type]
        assert member["properties"]["data"] == {
            "$ref": f"#/components/schemas/{event_type}Data"}
    for event in example["events"]:  # the README's events: each is exactly its own type
        assert fits(document, {"$ref": "#/components/schemas/Event"}, event) == [], event
    wrong = {**example["events"][1], "data": {"pupil_id": "not a uuid"}}
    assert fits(document, {"$ref": "#/components/schemas/Event"}, wrong) != []
    body = document["paths"]["/v1/events"]["post"]["requestBody"]["content"]
    assert fits(document, body["application/json"]["schema"], BATCH_EXAMPLE) == []


def test_swagger_ui_is_served_to_anyone_from_the_installed_package(app: Flask) -> None:
    client = app.test_client()
    page = client.get("/docs/")
    assets = re.findall(r'(?:src|href)="([^"]+)"', page.get_data(as_text=True))

    assert page.status_code == 200 and page.mimetype == "text/html"
    assert assets and all(asset.startswith("assets/") for asset in assets)  # no CDN
    for asset in assets:
        assert client.get(f"/docs/{asset}").status_code == 200, asset


def test_a_method_a_path_does_not_take_is_a_405_problem_naming_those_it_takes(
        app: Flask) -> None:
    answer = app.test_client().delete("/v1/events")

    assert answer.status_code == 405
    assert answer.mimetype == PROBLEM
    assert set(answer.headers["Allow"].replace(" ", "").split(",")) >= {"POST"}


def test_a_body_that_is_not_json_is_a_415_and_stores_nothing(
        sqlite_service: Service) -> None:
    client = http.client(sqlite_service)

    answer = client.post("/v1/events", data="events=1", content_type="text/plain")
    empty = client.post("/v1/events", data="")

    assert answer.status_code == 415
    assert answer.mimetype == PROBLEM
    assert empty.status_code == 400  # no body at all: the missing field is named
    assert empty.get_json()["errors"][0]["field"] == "events"
    assert sqlite_service.app.recorder.max_notification_id() in (None, 0)


def test_a_url_too_long_is_a_414_and_a_repeated_parameter_a_400(
        sqlite_service: Service) -> None:
    client = http.client(sqlite_service)

    long = client.get("/v1/tasks?school_id=" + "x" * 4100)
    twice = client.get("/v1/tasks?status=open&status=done")

    assert (long.status_code, long.mimetype) == (414, PROBLEM)
    assert (twice.status_code, twice.mimetype) == (400, PROBLEM)
    assert twice.get_json()["errors"][0] == {"field": "status", "code": "repeated",
                                             "detail": "given more than once"}
