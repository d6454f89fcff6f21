"""The audit endpoints as an auditor uses them, against a store someone has tampered with."""

from __future__ import annotations

import psycopg
import pytest

from services.bootstrap import Service
from tests.support import http
from tests.support.case_events import contact, letter
from tests.support.events import enrolled, new_pupil


@pytest.mark.rule("POL-3")
def test_verify_finds_a_contact_log_edited_in_the_database(
        pg_service: Service, postgres_conninfo: str, pg_schema: str) -> None:
    client = http.client(pg_service)
    pupil = new_pupil()
    outcomes = pg_service.ingestor.ingest([
        enrolled(pupil), contact(pupil, "2026-10-01T10:00:00+02:00"),
        letter(pupil, "2026-10-02T10:00:00+02:00")])
    contact_position = outcomes[1].position

    intact = client.get("/v1/audit/verify").get_json()
    key = client.get("/v1/audit/public-key").get_json()
    checkpoint = client.get("/v1/audit/checkpoint").get_data(as_text=True)
    with psycopg.connect(postgres_conninfo, autocommit=True) as connection:
        connection.execute(
            f"UPDATE {pg_schema}.skolefravaer_events SET state = overlay(state placing "
            f"'\\x58'::bytea from 40 for 1) WHERE notification_id = %s", (contact_position,))
    broken = client.get("/v1/audit/verify").get_json()

    stored = len(outcomes) * 2 + 1  # each event, its receipt, and the case it started
    assert intact == {"intact": True, "checked": stored, "reason": None,
                      "first_broken_position": None}
    assert key["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")
    assert len(key["fingerprint_sha256"]) == 64
    assert checkpoint.splitlines()[1] == str(stored)
    assert broken["intact"] is False
    assert broken["first_broken_position"] == contact_position


def test_an_earlier_checkpoint_is_proven_a_prefix_of_the_latest(pg_service: Service) -> None:
    from services.evidence import checkpoints, merkle

    client = http.client(pg_service)
    pupil = new_pupil()
    pg_service.ingestor.ingest([enrolled(pupil), contact(pupil, "2026-10-01T10:00:00+02:00")])
    key = checkpoints.load_public_key(client.get("/v1/audit/public-key").get_json()
                                      ["public_key_pem"])
    kept = checkpoints.parse_and_verify(client.get("/v1/audit/checkpoint").get_data(
        as_text=True), key)
    pg_service.ingestor.ingest([letter(pupil, "2026-10-02T10:00:00+02:00")])

    answer = client.get(f"/v1/audit/consistency?old_size={kept.size}").get_json()
    latest = checkpoints.parse_and_verify(answer["checkpoint"], key)
    proof = [bytes.fromhex(node) for node in answer["proof"]]

    assert latest.size > kept.size
    assert merkle.verify_consistency(kept.size, latest.size, kept.root, latest.root, proof)
    assert not merkle.verify_consistency(kept.size, latest.size, bytes(32), latest.root, proof)
    assert client.get("/v1/audit/consistency?old_size=999999").status_code == 409
