"""Who wrote an event is what their token says, never what the envelope claims: the
municipality is the caller's, a member of staff is the actor of what they post, a system
names the person it records for (and is kept with them), and the service's own role is
never taken from outside."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from services.bootstrap import Service
from tests.support import http, tokens
from tests.support.events import (
    absent,
    applied_for_leave,
    calendar,
    decided_leave,
    enrolled,
    envelope,
    new_pupil,
    rule_set,
)

PRINCIPAL = tokens.staff("principal", person="rektor-1")
ELSEWHERE = tokens.staff("principal", schools=("school-2",), person="rektor-2")


@pytest.fixture
def client(sqlite_service: Service) -> Iterator[FlaskClient]:
    sqlite_service.start_workers([sqlite_service.pupil_views])
    yield http.client(sqlite_service)


def post(client: FlaskClient, event: dict[str, Any], token: str | None = None
         ) -> dict[str, Any]:
    headers = tokens.bearer(token) if token else {}
    response = client.post("/v1/events", json={"events": [event]}, headers=headers)
    assert response.status_code == 200, response.get_json()
    [result] = response.get_json()["results"]
    return result  # type: ignore[no-any-return]


def as_actor(event: dict[str, Any], actor_id: str, role: str) -> dict[str, Any]:
    return {**event, "actor": {"id": actor_id, "role": role}}


def stored_actors(client: FlaskClient, pupil: str, *positions: int) -> list[dict[str, Any]]:
    """The actors of the pupil's events at ``positions``, as stored (the service's own
    decisions on them, stored beside them, are not asked for)."""
    events = client.get(f"/v1/pupils/{pupil}/history?min_position={max(positions)}"
                        ).get_json()["events"]
    by_position = {e["position"]: e["actor"] for e in events}
    return [by_position[p] for p in positions]


@pytest.fixture
def pupil(client: FlaskClient) -> str:
    enrolled_pupil = new_pupil()
    assert post(client, enrolled(enrolled_pupil))["status"] == "accepted"
    return enrolled_pupil


def test_an_event_for_another_municipality_is_rejected_and_stores_nothing(
        client: FlaskClient, sqlite_service: Service) -> None:
    head = sqlite_service.app.recorder.max_notification_id()

    result = post(client, enrolled(new_pupil(), tenant="0301"))

    assert (result["status"], result["errors"][0]["code"]) == ("rejected", "tenant_not_callers")
    assert result["errors"][0]["field"] == "tenant"
    assert sqlite_service.app.recorder.max_notification_id() == head


def test_the_services_own_role_is_never_taken_from_a_caller(client: FlaskClient,
                                                           pupil: str) -> None:
    event = as_actor(absent(pupil, "2026-09-01"), "skolefravaer-clock", "skolefravaer")

    from_system, from_staff = post(client, event), post(client, event, PRINCIPAL)

    for result in (from_system, from_staff):
        assert result["status"] == "rejected"
        assert result["errors"][0] | {"detail": ""} == {
            "code": "actor_not_allowed", "field": "actor.role", "rule": None, "detail": ""}


def test_a_system_cannot_record_for_a_person_of_another_municipality(
        client: FlaskClient, pupil: str) -> None:
    oslo_platform = tokens.system(tenant="0301")
    for_teacher = as_actor(absent(pupil, "2026-09-01"), "teacher-1", "contact_teacher")

    result = post(client, for_teacher, oslo_platform)

    assert result["errors"][0]["code"] == "tenant_not_callers"


def test_a_member_of_staff_is_the_actor_of_what_they_post(client: FlaskClient,
                                                         pupil: str) -> None:
    mine = post(client, as_actor(absent(pupil, "2026-09-01"), "rektor-1", "principal"),
                PRINCIPAL)
    someone_else = post(client, as_actor(absent(pupil, "2026-09-02"), "teacher-1",
                                         "contact_teacher"), PRINCIPAL)

    assert mine["status"] == "accepted"
    assert (someone_else["status"], someone_else["errors"][0]["code"]) == (
        "rejected", "actor_not_caller")
    assert stored_actors(client, pupil, mine["position"]) == [{
        "id": "rektor-1", "role": "principal", "via": None}]


def test_a_system_records_for_a_person_and_is_kept_with_them(client: FlaskClient,
                                                             pupil: str) -> None:
    for_teacher = as_actor(absent(pupil, "2026-09-01"), "teacher-1", "contact_teacher")
    as_itself = as_actor(absent(pupil, "2026-09-02"), "whoever-it-says", "integration_platform")

    results = [post(client, for_teacher), post(client, as_itself)]

    assert [r["status"] for r in results] == ["accepted", "accepted"]
    assert stored_actors(client, pupil, *(r["position"] for r in results)) == [
        {"id": "teacher-1", "role": "contact_teacher", "via": tokens.PLATFORM},
        {"id": tokens.PLATFORM, "role": "integration_platform", "via": None}]


def test_a_subject_teacher_records_absence_and_nothing_else(client: FlaskClient,
                                                            pupil: str) -> None:
    teacher = tokens.staff("subject_teacher", person="faglaerer-1")

    absence = post(client, as_actor(absent(pupil, "2026-09-01"), "faglaerer-1",
                                    "subject_teacher"), teacher)
    leave = post(client, as_actor(applied_for_leave(pupil, "l-1", "2026-10-05", "2026-10-06"),
                                  "faglaerer-1", "subject_teacher"), teacher)

    assert absence["status"] == "accepted"
    assert (leave["status"], leave["errors"][0]["code"]) == ("rejected", "type_not_allowed")


def test_staff_record_only_within_their_reach(client: FlaskClient, pupil: str) -> None:
    post(client, applied_for_leave(pupil, "l-1", "2026-10-05", "2026-10-06"))
    decision = decided_leave("l-1", "granted")

    def outcome(event: dict[str, Any], token: str, person: str) -> str:
        result = post(client, as_actor(event, person, "principal"), token)
        return str(result["errors"][0]["code"] if result["status"] == "rejected"
                   else result["status"])

    assert outcome(decision, ELSEWHERE, "rektor-2") == "outside_reach"
    assert outcome(calendar(), ELSEWHERE, "rektor-2") == "outside_reach"
    assert outcome(rule_set("2026-08-01", concern_thresholds={"CON-1": 4}), PRINCIPAL,
                   "rektor-1") == "outside_reach"  # the whole municipality's
    assert outcome(decision, PRINCIPAL, "rektor-1") == "accepted"
    assert outcome(calendar(), PRINCIPAL, "rektor-1") == "accepted"


def test_the_posted_envelope_shape_is_unchanged(client: FlaskClient, pupil: str) -> None:
    """Integrators keep posting `actor: {id, role}`; `via` is the service's to add."""
    with_via = absent(pupil, "2026-09-01")
    with_via["actor"] = {"id": "teacher-1", "role": "contact_teacher", "via": "forged"}

    result = post(client, with_via)

    assert result["status"] == "rejected"
    assert result["errors"][0]["field"].startswith("actor")


def test_a_correction_reaches_its_pupil_through_the_corrected_event(
        client: FlaskClient, pupil: str) -> None:
    original = absent(pupil, "2026-09-01")
    post(client, original)
    correction = envelope("RecordCorrected", {"corrects_event_id": original["event_id"],
                                              "reason": "Feilregistrert"})

    elsewhere = post(client, as_actor(correction, "rektor-2", "principal"), ELSEWHERE)
    here = post(client, as_actor(correction, "rektor-1", "principal"), PRINCIPAL)

    assert elsewhere["errors"][0]["code"] == "outside_reach"
    assert here["status"] == "accepted"
