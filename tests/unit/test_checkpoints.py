"""Signed checkpoints and the stand-alone offline verifier of evidence bundles."""

from __future__ import annotations

import ast
import base64
import copy
import json
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given
from hypothesis import strategies as st

from services.evidence import offline_verify
from services.evidence.checkpoints import (
    Checkpoint,
    CheckpointError,
    generate_private_key,
    key_id,
    load_private_key,
    load_public_key,
    now_rfc3339,
    open_note,
    parse_and_verify,
    private_key_base64,
    public_key_fingerprint,
    public_key_pem,
    sign,
    sign_note,
)
from services.evidence.merkle import inclusion_proof, leaf_hash, root

KEY = load_private_key(base64.b64encode(bytes(range(32))).decode())
OTHER_KEY = load_private_key(base64.b64encode(bytes(range(1, 33))).decode())
KEY_NAME = "skolefravaer.example.kommune.no"
ORIGIN = "skolefravaer.example.kommune.no/hendelseslogg"
ISSUED_AT = "2026-09-07T12:00:00Z"
CHECKPOINT = Checkpoint(ORIGIN, 40, leaf_hash(b"rot"), ISSUED_AT)
NOTE = sign(CHECKPOINT, KEY, KEY_NAME)


def replaced(text: str, position: int, by: str | None = None) -> str:
    """``text`` with the character at ``position`` replaced by another one."""
    if by is None:
        by = "A" if text[position] != "A" else "B"
    return text[:position] + by + text[position + 1 :]


# --- Checkpoints ---------------------------------------------------------------------------------


def test_a_signed_checkpoint_verifies_and_reads_back_as_the_same_checkpoint() -> None:
    assert parse_and_verify(NOTE, KEY.public_key()) == CHECKPOINT


@given(
    origin=st.text(st.characters(codec="utf-8"), min_size=1).filter(str.isprintable),
    size=st.integers(0, 2**63),
    root_hash=st.binary(min_size=32, max_size=32),
    issued_at=st.builds(
        lambda t, minutes, spec: t.replace(tzinfo=timezone(timedelta(minutes=minutes))).isoformat(
            timespec=spec
        ),
        st.datetimes(),
        st.integers(-23 * 60 - 59, 23 * 60 + 59),
        st.sampled_from(["seconds", "milliseconds", "microseconds"]),
    )
    | st.builds(now_rfc3339),
)
def test_any_checkpoint_round_trips(
    origin: str, size: int, root_hash: bytes, issued_at: str
) -> None:
    checkpoint = Checkpoint(origin, size, root_hash, issued_at)
    assert parse_and_verify(sign(checkpoint, KEY, KEY_NAME), KEY.public_key()) == checkpoint


def test_the_note_is_a_c2sp_checkpoint_with_one_signature_line() -> None:
    lines = NOTE.split("\n")
    assert lines[:4] == [ORIGIN, "40", base64.b64encode(CHECKPOINT.root).decode(), ISSUED_AT]
    assert lines[4] == ""
    assert lines[5].startswith(f"— {KEY_NAME} ")
    assert lines[6:] == [""]  # the note ends with a newline
    blob = base64.b64decode(lines[5].split(" ")[2])
    assert len(blob) == 68
    assert blob[:4] == key_id(KEY_NAME, KEY.public_key())


def test_notes_are_byte_compatible_with_gos_sumdb_note() -> None:
    # The example of golang.org/x/mod/sumdb/note: key "PeterNeumann+c74f20a3+...". Ed25519 is
    # deterministic, so the same key and text must give the very same note.
    go_skey = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    seed = base64.b64decode(go_skey.split("+", 4)[4])[1:]
    key = load_private_key(base64.b64encode(seed))
    text = (
        "If you think cryptography is the answer to your problem,\n"
        "then you don't know what your problem is.\n"
    )
    go_note = (
        text + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FF"
        "YC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"
    )
    assert key_id("PeterNeumann", key.public_key()).hex() == "c74f20a3"
    assert sign_note(text, key, "PeterNeumann") == go_note
    assert open_note(go_note, key.public_key()) == text


def test_every_single_changed_character_of_the_note_is_rejected() -> None:
    for position in range(len(NOTE)):
        with pytest.raises(CheckpointError):
            parse_and_verify(replaced(NOTE, position), KEY.public_key())


@given(st.data())
def test_any_character_changed_to_any_other_is_rejected(data: st.DataObject) -> None:
    position = data.draw(st.integers(0, len(NOTE) - 1))
    by = data.draw(st.characters().filter(lambda c: c != NOTE[position]))
    with pytest.raises(CheckpointError):
        parse_and_verify(replaced(NOTE, position, by), KEY.public_key())


def test_a_different_public_key_is_rejected() -> None:
    with pytest.raises(CheckpointError, match="no signature by the given public key"):
        parse_and_verify(NOTE, OTHER_KEY.public_key())
    with pytest.raises(CheckpointError):
        parse_and_verify(NOTE, generate_private_key().public_key())


def test_a_cosignature_by_another_key_is_ignored_but_ours_is_required() -> None:
    witness_line = sign(CHECKPOINT, OTHER_KEY, "vitne.example.no").split("\n\n")[1]
    cosigned = NOTE + witness_line
    assert parse_and_verify(cosigned, KEY.public_key()) == CHECKPOINT
    assert parse_and_verify(cosigned, OTHER_KEY.public_key()) == CHECKPOINT
    with pytest.raises(CheckpointError):
        parse_and_verify(cosigned, generate_private_key().public_key())


def test_a_signature_under_our_key_name_and_id_that_does_not_verify_is_rejected() -> None:
    line = NOTE.split("\n")[5]
    blob = base64.b64decode(line.split(" ")[2])
    forged = blob[:4] + bytes(64)
    note = NOTE.replace(line, f"— {KEY_NAME} {base64.b64encode(forged).decode()}")
    with pytest.raises(CheckpointError, match="does not verify"):
        parse_and_verify(note, KEY.public_key())


@pytest.mark.parametrize(
    "fields",
    [
        ("", 1, bytes(32), ISSUED_AT),
        ("to\nlinjer", 1, bytes(32), ISSUED_AT),
        (ORIGIN, -1, bytes(32), ISSUED_AT),
        (ORIGIN, 1, bytes(31), ISSUED_AT),
        (ORIGIN, 1, bytes(32), "7. september 2026"),
        (ORIGIN, 1, bytes(32), "2026-09-07 12:00:00Z"),
        (ORIGIN, 1, bytes(32), "2026-02-30T12:00:00Z"),
    ],
)
def test_a_checkpoint_that_cannot_be_written_canonically_is_refused(
    fields: tuple[Any, ...],
) -> None:
    with pytest.raises(CheckpointError):
        Checkpoint(*fields)


@pytest.mark.parametrize("name", ["", "med mellomrom", "a+b", "linje\nskift"])
def test_a_key_name_the_signed_note_spec_forbids_is_refused(name: str) -> None:
    with pytest.raises(CheckpointError):
        sign(CHECKPOINT, KEY, name)


def test_a_non_canonical_body_is_rejected_even_when_signed() -> None:
    body = CHECKPOINT.note_body().replace("\n40\n", "\n040\n")
    with pytest.raises(CheckpointError, match="canonical"):
        parse_and_verify(sign_note(body, KEY, KEY_NAME), KEY.public_key())


def test_keys_load_from_pem_and_from_a_base64_seed() -> None:
    pem = KEY.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    from_pem = load_private_key(pem.decode())
    from_seed = load_private_key(private_key_base64(KEY))
    assert public_key_pem(from_pem) == public_key_pem(from_seed) == public_key_pem(KEY)
    public = load_public_key(public_key_pem(KEY))
    assert parse_and_verify(NOTE, public) == CHECKPOINT
    assert public_key_fingerprint(public) == offline_verify.fingerprint(KEY.public_key())
    fresh = generate_private_key()
    assert public_key_pem(load_private_key(private_key_base64(fresh))) == public_key_pem(fresh)


def test_keys_that_are_not_ed25519_are_refused() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    ec_pem = ec_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    ec_public_pem = ec_key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    for bad in (ec_pem, "ikke en nøkkel", base64.b64encode(bytes(31)).decode()):
        with pytest.raises(ValueError):
            load_private_key(bad)
    with pytest.raises(ValueError):
        load_public_key(ec_public_pem)


# --- The offline verifier ------------------------------------------------------------------------

LOG = [
    json.dumps({"type": "FravaerRegistrert", "elev": f"elev-{p % 7}", "dag": p}).encode()
    for p in range(1, 41)
]  # the stored bytes of log positions 1..40
LOG[16] = b'{"dag":17}'  # position 17 is small, so every byte of it can be tampered with
HASHES = [leaf_hash(stored) for stored in LOG]


def make_bundle(positions: tuple[int, ...] = (1, 17, 40)) -> dict[str, Any]:
    checkpoint = Checkpoint(ORIGIN, len(LOG), root(HASHES), ISSUED_AT)
    return {
        "checkpoint": sign(checkpoint, KEY, KEY_NAME),
        "public_key_pem": public_key_pem(KEY),
        "events": [
            {
                "position": p,
                "leaf_index": p - 1,
                "stored_bytes_b64": base64.b64encode(LOG[p - 1]).decode(),
                "inclusion_proof": [h.hex() for h in inclusion_proof(HASHES, p - 1)],
            }
            for p in positions
        ],
    }


def test_a_bundle_built_from_the_log_verifies() -> None:
    assert offline_verify.verify_bundle(make_bundle()) == []
    assert offline_verify.verify_bundle(make_bundle(tuple(range(1, 41)))) == []
    assert offline_verify.verify_bundle(make_bundle(())) == []


def test_changing_any_bit_of_any_byte_of_a_stored_event_is_detected() -> None:
    bundle = make_bundle((17,))
    stored = LOG[16]
    for position in range(len(stored)):
        for bit in range(8):
            tampered = bytearray(stored)
            tampered[position] ^= 1 << bit
            bundle["events"][0]["stored_bytes_b64"] = base64.b64encode(tampered).decode()
            problems = offline_verify.verify_bundle(bundle)
            assert problems, f"byte {position}, bit {bit}"
            assert problems[0].startswith("Hendelse på posisjon 17:")


def test_adding_or_removing_a_byte_of_a_stored_event_is_detected() -> None:
    for tampered in (LOG[16] + b" ", LOG[16][:-1], b""):
        bundle = make_bundle((17,))
        bundle["events"][0]["stored_bytes_b64"] = base64.b64encode(tampered).decode()
        assert offline_verify.verify_bundle(bundle)


def _set(path: tuple[Any, ...], value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(bundle: dict[str, Any]) -> None:
        target: Any = bundle
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return mutate


def _flip_proof(bundle: dict[str, Any]) -> None:
    proof = bundle["events"][1]["inclusion_proof"]
    proof[0] = ("0" if proof[0][0] != "0" else "1") + proof[0][1:]


def _other_event_in_place(bundle: dict[str, Any]) -> None:
    bundle["events"][1]["stored_bytes_b64"] = bundle["events"][0]["stored_bytes_b64"]


TAMPERING: dict[str, Callable[[dict[str, Any]], None]] = {
    "checkpoint text changed": lambda b: b.update(checkpoint=b["checkpoint"].replace("40", "41")),
    "checkpoint signed by another key": lambda b: b.update(
        checkpoint=sign(parse_and_verify(b["checkpoint"], KEY.public_key()), OTHER_KEY, KEY_NAME)
    ),
    "another key in the bundle": _set(("public_key_pem",), public_key_pem(OTHER_KEY)),
    "no key": _set(("public_key_pem",), None),
    "no checkpoint": _set(("checkpoint",), None),
    "events not a list": _set(("events",), {}),
    "leaf index moved": _set(("events", 1, "leaf_index"), 17),
    "leaf index outside the tree": _set(("events", 1, "leaf_index"), 40),
    "leaf index negative": _set(("events", 1, "leaf_index"), -1),
    "leaf index not a number": _set(("events", 1, "leaf_index"), "16"),
    "position missing": _set(("events", 1, "position"), None),
    "position twice": _set(("events", 1, "position"), 1),
    "proof hash changed": _flip_proof,
    "proof truncated": lambda b: b["events"][1]["inclusion_proof"].pop(),
    "proof not hex": _set(("events", 1, "inclusion_proof", 0), "xyz"),
    "stored bytes not base64": _set(("events", 1, "stored_bytes_b64"), "%%%"),
    "another event's bytes": _other_event_in_place,
    "event not an object": _set(("events", 1), "hendelse"),
}


@pytest.mark.parametrize("tampering", TAMPERING.values(), ids=TAMPERING.keys())
def test_a_tampered_bundle_is_rejected(tampering: Callable[[dict[str, Any]], None]) -> None:
    bundle = make_bundle()
    tampering(bundle)
    assert offline_verify.verify_bundle(bundle)


def test_a_trusted_key_given_by_the_reader_overrides_the_bundles_word() -> None:
    bundle = make_bundle()
    assert offline_verify.verify_bundle(bundle, trusted_public_key_pem=public_key_pem(KEY)) == []
    assert offline_verify.verify_bundle(
        bundle, trusted_public_key_pem=public_key_pem(OTHER_KEY)
    ) == ["Pakkens offentlige nøkkel er ikke den betrodde nøkkelen"]
    # Someone re-signing the log with a key of their own makes a bundle that is consistent in
    # itself; only the reader's own copy of the service's key (or its fingerprint) tells.
    forged = copy.deepcopy(bundle)
    signed = parse_and_verify(forged["checkpoint"], KEY.public_key())
    forged["checkpoint"] = sign(signed, OTHER_KEY, KEY_NAME)
    forged["public_key_pem"] = public_key_pem(OTHER_KEY)
    assert offline_verify.verify_bundle(forged) == []
    assert offline_verify.verify_bundle(forged, trusted_public_key_pem=public_key_pem(KEY))


@given(st.lists(st.binary(max_size=30), min_size=1, max_size=40), st.data())
def test_the_offline_copies_agree_with_the_project_modules(
    data: list[bytes], draw: st.DataObject
) -> None:
    hashes = [leaf_hash(d) for d in data]
    assert [offline_verify.leaf_hash(d) for d in data] == hashes
    index = draw.draw(st.integers(0, len(hashes) - 1))
    proof = inclusion_proof(hashes, index)
    tree_root = root(hashes)
    assert offline_verify.verify_inclusion(hashes[index], index, len(hashes), proof, tree_root)
    if proof:  # replace the last node by another hash (data may hold b"x" itself)
        other = next(h for h in (leaf_hash(b"x"), leaf_hash(b"y")) if h != proof[-1])
        bad = [*proof[:-1], other]
        assert not offline_verify.verify_inclusion(
            hashes[index], index, len(hashes), bad, tree_root
        )
    checkpoint = Checkpoint(ORIGIN, len(hashes), tree_root, ISSUED_AT)
    verified = offline_verify.verify_checkpoint(sign(checkpoint, KEY, KEY_NAME), KEY.public_key())
    assert (verified.origin, verified.size, verified.root, verified.issued_at) == (
        checkpoint.origin, checkpoint.size, checkpoint.root, checkpoint.issued_at,
    )  # fmt: skip


def test_the_offline_checkpoint_check_rejects_every_changed_character_too() -> None:
    for position in range(len(NOTE)):
        with pytest.raises(ValueError):
            offline_verify.verify_checkpoint(replaced(NOTE, position), KEY.public_key())


OFFLINE_VERIFY = Path(offline_verify.__file__)


def test_the_offline_verifier_needs_only_the_standard_library_and_cryptography() -> None:
    tree = ast.parse(OFFLINE_VERIFY.read_text(encoding="utf-8"))
    imported = {
        (alias.name if isinstance(node, ast.Import) else node.module or "").split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert imported - {"cryptography"} <= sys.stdlib_module_names | {"__future__"}


def run_alone(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a copy of offline_verify.py with the project's packages made unimportable."""
    script = tmp_path / "offline_verify.py"
    script.write_bytes(OFFLINE_VERIFY.read_bytes())
    block = (
        "import runpy, sys\n"
        "for name in ('services', 'domain', 'projections', 'tests'): sys.modules[name] = None\n"
        f"sys.argv = [{str(script)!r}, *{list(args)!r}]\n"
        f"runpy.run_path({str(script)!r}, run_name='__main__')\n"
    )
    return subprocess.run(
        [sys.executable, "-I", "-c", block],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        encoding="utf-8",
        check=False,
    )


def test_the_command_line_reports_in_norwegian_and_exits_0_when_all_is_well(
    tmp_path: Path,
) -> None:
    (tmp_path / "bundle.json").write_text(json.dumps(make_bundle()), encoding="utf-8")
    (tmp_path / "betrodd.pem").write_text(public_key_pem(KEY), encoding="ascii")
    result = run_alone(tmp_path, "bundle.json")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Kontrollpunktet er gyldig signert" in result.stdout
    assert "Hendelse på posisjon 17: OK" in result.stdout
    assert "FEIL" not in result.stdout
    trusted = run_alone(tmp_path, "bundle.json", "--offentlig-nokkel", "betrodd.pem")
    assert trusted.returncode == 0, trusted.stdout + trusted.stderr
    assert "Pakkens offentlige nøkkel er den betrodde nøkkelen" in trusted.stdout


def test_the_command_line_exits_1_and_says_what_is_wrong(tmp_path: Path) -> None:
    bundle = make_bundle()
    bundle["events"][1]["stored_bytes_b64"] = base64.b64encode(b'{"dag":18}').decode()
    (tmp_path / "bundle.json").write_text(json.dumps(bundle), encoding="utf-8")
    result = run_alone(tmp_path, "bundle.json")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Hendelse på posisjon 1: OK" in result.stdout
    assert "FEIL: Hendelse på posisjon 17:" in result.stdout
    assert run_alone(tmp_path, "finnes-ikke.json").returncode == 1
