"""The canonical JSON (RFC 8785) an issued dossier is signed over: the stand-alone verifier's
own canonicaliser writes the same bytes as the library the service signs with, and its copy
of the RFC 9162 consistency check agrees with ``services.evidence.merkle``."""

from __future__ import annotations

import random
import struct

import pytest
import rfc8785

from services.evidence import merkle, offline_verify, signed_json

NUMBERS = [0.0, -0.0, 1.0, -1.5, 0.1, 1e-7, 1e-6, 123456789.125, 1e21, 1e20, 9.5e20,
           5e-324, 1.7976931348623157e308, 2.0**53, 1 / 3, 333333333.33333329, 1e23,
           4.35, 0.000001, 0.0000001, 100.0, 1234.5e-10]


@pytest.mark.parametrize("number", NUMBERS)
def test_a_number_is_written_as_rfc_8785_writes_it(number: float) -> None:
    assert offline_verify.canonical_json(number) == rfc8785.dumps(number)


def test_random_doubles_are_written_as_rfc_8785_writes_them() -> None:
    draw = random.Random(8785)
    for _ in range(20_000):
        [number] = struct.unpack("<d", draw.getrandbits(64).to_bytes(8, "little"))
        if number == number and abs(number) != float("inf"):
            assert offline_verify.canonical_json(number) == rfc8785.dumps(number), number


def test_objects_strings_and_key_order_are_written_as_rfc_8785_writes_them() -> None:
    value = {"b": [True, None, False, 9007199254740991], "a": "Máret Čuđi Ŋuolga\n\t\"\\\x01",
             "\U0001f600": 1, "\ufb01": 2, "": {"z": "\u2028", "A": []}, "é": -0.0}
    assert offline_verify.canonical_json(value) == rfc8785.dumps(value) == \
        signed_json.canonical(value)


def test_what_rfc_8785_refuses_is_refused() -> None:
    for refused in (float("nan"), float("inf"), 2**53, "\ud800", {1: 2}):
        with pytest.raises(ValueError):
            offline_verify.canonical_json(refused)


def test_the_verifiers_consistency_check_agrees_with_the_merkle_module() -> None:
    leaves = [merkle.leaf_hash(bytes([n])) for n in range(40)]
    for old in range(0, 41):
        for new in range(old, 41, 3):
            proof = merkle.consistency_proof(leaves[:new], old) if 0 < old < new else []
            old_root, new_root = merkle.root(leaves[:old]), merkle.root(leaves[:new])
            assert offline_verify.verify_consistency(old, new, old_root, new_root, proof)
            assert offline_verify.verify_consistency(old, new, old_root, new_root, proof) == \
                merkle.verify_consistency(old, new, old_root, new_root, proof)
            if proof:
                bad = [bytes(32), *proof[1:]]
                assert not offline_verify.verify_consistency(old, new, old_root, new_root, bad)
