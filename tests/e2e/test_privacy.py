"""Children's data as the law treats it (PRIV-1, PRIV-2, PRIV-3): a pupil with health
details, safeguarding records and a protected address, read through every endpoint by every
role — each finds nothing it has no need to know, anywhere in the body (the dossier's JSON,
HTML, PDF and proof bundle included), and every read is recorded."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Iterator
from typing import Any

import pypdf
import pytest
from flask.testing import FlaskClient

from domain.envelope import Role
from domain.privacy import Sight
from domain.records import AddressProtection
from services.bootstrap import build
from services.config import Settings
from services.http.context.policy import POLICY, STAFF, reach_of
from tests.conftest import sqlite_environ
from tests.support import http, tokens
from tests.support.case_events import contact, meeting, pupil_event
from tests.support.events import applied_for_leave, certificate, envelope, new_pupil, notice

PUPIL = new_pupil()
SCHOOL, CLASS = "skole-hemmelig-7", "klasse-hemmelig"
APPLICATION = "permisjon-hemmelig"
AT = "2026-09-21T10:00:00+02:00"
HEALTH = ["Migreneanfall-X1", "Dr. Helsevik", "legeerklaering-HX", "Gruer seg-SR1",
          "Referat-MX1", "Magesmerter-CT1"]
SAFEGUARDING = ["Tvangsekteskap-SG1", "Bekymring-CR1", "Destinasjon-ET1",
                "Varsle skolehelsetjenesten", "samtale med skolehelsetjenesten"]
ADDRESS = [SCHOOL, CLASS, "Kari Skjultvik", "Ola Utenansvar"]
CHRONIC = re.compile(r'"chronic_illness_or_disability":\s*true')
PER_PUPIL = {
    "pupils.get_absence": "absence", "pupils.get_diploma": "diploma",
    "pupils.get_concerns": "concerns", "pupils.get_case": "case",
    "history.get_history": "history", "dossier.get_dossier": "dossier",
}
"""The per-pupil reads of personal data (each recorded, PRIV-3), by endpoint."""


def token(role: Role) -> str:
    return tokens.staff(role.value, schools=(SCHOOL,), classes=(CLASS,), person="teacher-1")


def _enrolled() -> dict[str, Any]:
    return envelope("PupilEnrolled", {
        "pupil_id": PUPIL, "school_id": SCHOOL, "school_year": "2026-2027", "grade": 9,
        "class_id": CLASS, "contact_teacher_id": "teacher-1", "name": "Elev Hemmelig",
        "address_protection": "strengt_fortrolig", "chronic_illness_or_disability": True,
        "guardians": [{"guardian_id": "guardian-1", "relation": "mother",
                       "name": "Kari Skjultvik", "address_protection": "strengt_fortrolig"},
                      {"guardian_id": "guardian-2", "relation": "father",
                       "name": "Ola Utenansvar", "parental_responsibility": False}]})


def _recorded() -> list[dict[str, Any]]:
    ill = notice(PUPIL, "2026-09-14", "2026-09-15")
    ill["data"]["cause_text"] = "Migreneanfall-X1"
    doctor = certificate(PUPIL, "2026-09-14", "2026-09-15")
    doctor["data"].update(issued_by="Dr. Helsevik", document_ref="legeerklaering-HX")
    return [_enrolled(), ill, doctor,
            envelope("SchoolRefusalSignalReported", {"pupil_id": PUPIL,
                                                     "guardian_id": "guardian-1",
                                                     "text": "Gruer seg-SR1"}),
            meeting(PUPIL, "guardian_conversation", AT, minutes="Referat-MX1"),
            contact(PUPIL, AT, result="Mor sier Magesmerter-CT1"),
            pupil_event("SafeguardingConcernRecorded", PUPIL, AT,
                        grounds="Tvangsekteskap-SG1"),
            pupil_event("ConcernReportSent", PUPIL, AT, to="child_welfare",
                        grounds="Bekymring-CR1", document_ref="melding-1"),
            pupil_event("ExtendedTravelPlanned", PUPIL, AT, from_date="2026-10-01",
                        to_date="2026-12-01", destination="Destinasjon-ET1"),
            applied_for_leave(PUPIL, APPLICATION, "2026-10-05", "2026-10-06")]


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    service = build(Settings.from_environ(sqlite_environ(
        tmp_path_factory.mktemp("privacy") / "s.sqlite")))
    signed_in = http.client(service)
    events = _recorded()
    answer = signed_in.post("/v1/events", json={"events": events}).get_json()
    assert answer["accepted"] == len(events), answer
    for worker in (service.pupil_views, service.audit_log):
        worker.catch_up()
    yield signed_in
    service.close()


def unneeded(role: Role) -> list[str]:
    """What ``role`` has no need to know of this pupil."""
    sight = Sight.of(role, AddressProtection.STRENGT_FORTROLIG)
    return [*([] if sight.health else HEALTH), *([] if sight.safeguarding else SAFEGUARDING),
            *([] if sight.whereabouts else ADDRESS)]


def bodies(client: FlaskClient, role: Role) -> Iterator[tuple[str, str]]:
    """(what, text) of every read the role is allowed, the dossier in each form and its
    proof bundle's stored bytes decoded."""
    pupil = f"/v1/pupils/{PUPIL}"
    paths = {**{endpoint: f"{pupil}/{name}" for endpoint, name in PER_PUPIL.items()},
             "tasks.get_tasks": "/v1/tasks", "history.get_reads": f"{pupil}/reads",
             "leave.get_leave_application": f"/v1/leave-applications/{APPLICATION}"}
    auth = {"Authorization": f"Bearer {token(role)}"}
    for endpoint, path in paths.items():
        if reach_of(POLICY[endpoint], role, frozenset()) is None:
            continue
        response = client.get(path, headers=auth)
        assert response.status_code == 200, (role, path, response.get_json())
        yield path, response.get_data(as_text=True)
        if endpoint == "dossier.get_dossier":
            yield from _dossier_forms(client, path, auth, response.get_json())


def _dossier_forms(client: FlaskClient, path: str, auth: dict[str, str],
                   made: dict[str, Any]) -> Iterator[tuple[str, str]]:
    for event in (made["audit"] or {"events": []})["events"]:
        if "stored_bytes_b64" in event:
            yield "proof bundle", base64.b64decode(event["stored_bytes_b64"]).decode()
    yield "dossier html", client.get(path, headers={**auth, "Accept": "text/html"}).get_data(
        as_text=True)
    pdf = client.get(path, headers={**auth, "Accept": "application/pdf"}).get_data()
    yield "dossier pdf", "\n".join(page.extract_text() or ""
                                   for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)


WITHOUT_NEED = [role for role in STAFF if unneeded(role)]


@pytest.mark.rule("PRIV-1")
@pytest.mark.rule("PRIV-2")
@pytest.mark.parametrize("role", WITHOUT_NEED, ids=[r.value for r in WITHOUT_NEED])
def test_no_role_finds_what_it_has_no_need_to_know_anywhere(client: FlaskClient,
                                                             role: Role) -> None:
    found, read = [], 0
    for what, text in bodies(client, role):
        read += 1
        found += [(what, needle) for needle in unneeded(role) if needle in text]
        if not Sight.of(role, None).health and CHRONIC.search(text):
            found.append((what, "chronic illness"))
    assert found == []
    assert read > 0 or role is Role.SUBJECT_TEACHER


@pytest.mark.rule("PRIV-1")
def test_the_roles_that_handle_it_see_all_of_it(client: FlaskClient) -> None:
    texts = "\n".join(text for _, text in bodies(client, Role.PRINCIPAL))

    assert [needle for needle in HEALTH + SAFEGUARDING + ADDRESS if needle not in texts] == []
    assert CHRONIC.search(texts)


@pytest.mark.rule("PRIV-1")
def test_a_reader_without_need_to_know_gets_leaf_hashes_not_bytes(client: FlaskClient
                                                                   ) -> None:
    made = client.get(f"/v1/pupils/{PUPIL}/dossier",
                      headers=tokens.bearer(token(Role.AUDITOR))).get_json()
    events = made["audit"]["events"]
    hashes = {entry["position"]: entry["hash"] for entry in made["timeline"]}

    hidden = [e for e in events if "stored_bytes_b64" not in e]
    assert hidden and all(e["leaf_sha256"] == hashes[e["position"]] for e in hidden)


@pytest.mark.rule("PRIV-2")
def test_a_guardian_without_parental_responsibility_is_refused(client: FlaskClient) -> None:
    from_father = notice(PUPIL, "2026-09-16")
    from_father["data"]["guardian_id"] = "guardian-2"

    answer = client.post("/v1/events", json={"events": [from_father]}).get_json()

    [result] = answer["results"]
    assert result["status"] == "rejected"
    assert [(e["rule"], e["code"]) for e in result["errors"]] == [
        ("PRIV-2", "no_parental_responsibility")]


def _reads(client: FlaskClient) -> list[dict[str, Any]]:
    reads: list[dict[str, Any]] = client.get(
        f"/v1/pupils/{PUPIL}/reads", headers=tokens.bearer(token(Role.AUDITOR))).get_json()[
        "reads"]
    return reads


@pytest.mark.rule("PRIV-3")
@pytest.mark.parametrize("endpoint", [*PER_PUPIL, "tasks.get_tasks",
                                      "leave.get_leave_application"])
def test_each_read_of_a_pupils_data_adds_one_read_record(client: FlaskClient,
                                                         endpoint: str) -> None:
    path = {"tasks.get_tasks": "/v1/tasks",
            "leave.get_leave_application": f"/v1/leave-applications/{APPLICATION}"}.get(
        endpoint, f"/v1/pupils/{PUPIL}/{PER_PUPIL.get(endpoint)}")
    before = _reads(client)

    assert client.get(path, headers=tokens.bearer(token(Role.PRINCIPAL))).status_code == 200

    after = _reads(client)
    assert len(after) == len(before) + 1
    assert after[-1]["reader"] == {"id": "teacher-1", "role": "principal"}
    assert after[-1]["what"] and after[-1]["at"]


@pytest.mark.rule("PRIV-3")
@pytest.mark.parametrize("role,status", [(Role.AUDITOR, 200), (Role.PRINCIPAL, 200),
                                         (Role.CONTACT_TEACHER, 403),
                                         (Role.SUBJECT_TEACHER, 403), (Role.PPT_ADVISOR, 403)])
def test_the_reads_log_is_for_the_handling_roles_and_auditors(client: FlaskClient, role: Role,
                                                              status: int) -> None:
    answer = client.get(f"/v1/pupils/{PUPIL}/reads", headers=tokens.bearer(token(role)))

    assert answer.status_code == status
