"""Kontroller en bevispakke fra Skolefravær uten å stole på tjenesten (offline).

    python offline_verify.py bundle.json [--offentlig-nokkel betrodd.pem]

Needs Python 3.11+ and the ``cryptography`` package, nothing else: this file is meant to be copied
alone to an auditor's laptop, so it deliberately imports no project module. The few hash functions
and the checkpoint parsing are copies of ``services/merkle.py`` and ``services/checkpoints.py``;
the tests check that the copies agree with the originals.

A bundle is JSON::

    {"checkpoint": "<signed note>", "public_key_pem": "-----BEGIN PUBLIC KEY-----...",
     "events": [{"position": 17, "leaf_index": 16, "stored_bytes_b64": "...",
                 "inclusion_proof": ["<hex>", ...]}, ...]}

What a passing run proves: the holder of the private key signed a checkpoint saying the log
had N entries with a given Merkle root (RFC 6962), and each event's stored bytes are, exactly,
the entry at its leaf index in that log. Whose key it is the bundle cannot prove: compare the
printed fingerprint with the one the service publishes, or pass the trusted key yourself.
Exit status: 0 when everything verifies, 1 otherwise (2 for a wrong command line).
"""

from __future__ import annotations

import argparse
import base64
import binascii
import hashlib
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeGuard

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

# --- Copied from services/merkle.py (RFC 6962 / RFC 9162) ---------------------------------------


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data)."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right)."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """RFC 9162 §2.1.3.2: is ``leaf_hash`` at ``index`` of the tree with this size and root?"""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


# --- Copied from services/checkpoints.py (C2SP signed note / checkpoint) ------------------------

SIGNATURE_PREFIX = "— "
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HASH_HEX = re.compile(r"[0-9a-fA-F]{64}")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


@dataclass(frozen=True)
class SignedCheckpoint:
    """A checkpoint whose signature by the given key has verified."""

    origin: str
    size: int
    root: bytes
    issued_at: str
    key_name: str


def _b64_canonical(text: str) -> bytes | None:
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None
    return raw if base64.b64encode(raw).decode("ascii") == text else None


def _key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(key_name.encode("utf-8") + b"\n\x01" + raw).digest()[:4]


def fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the DER SubjectPublicKeyInfo, hex (as ``openssl pkey -pubin -outform DER``)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def verify_checkpoint(note_text: str, public_key: Ed25519PublicKey) -> SignedCheckpoint:
    """The checkpoint, if ``public_key`` signed it; otherwise ValueError (message in Norwegian)."""
    try:
        note_text.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("kontrollpunktet er ikke gyldig UTF-8-tekst") from None
    if not note_text.endswith("\n"):
        raise ValueError("kontrollpunktet slutter ikke med linjeskift")
    blank = note_text.find("\n\n")
    if blank < 0 or blank + 2 == len(note_text):
        raise ValueError("kontrollpunktet har ingen signaturlinjer")
    body, signature_lines = note_text[: blank + 1], note_text[blank + 2 : -1].split("\n")
    signer = None
    for line in signature_lines:
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if not line.startswith(SIGNATURE_PREFIX) or len(parts) != 2:
            raise ValueError("en signaturlinje har feil format")
        name, blob_b64 = parts
        blob = _b64_canonical(blob_b64)
        if not name or "+" in name or any(c.isspace() for c in name):
            raise ValueError(f"ugyldig nøkkelnavn «{name}»")
        if blob is None or len(blob) != 68:
            raise ValueError(f"signaturen fra «{name}» er ikke gyldig base64 av 68 byte")
        if blob[:4] != _key_id(name, public_key):
            continue  # signert av en annen nøkkel; ignoreres
        try:
            public_key.verify(blob[4:], body.encode("utf-8"))
        except InvalidSignature:
            raise ValueError(f"signaturen fra «{name}» stemmer ikke med innholdet") from None
        signer = name
    if signer is None:
        raise ValueError("kontrollpunktet er ikke signert med den offentlige nøkkelen")

    lines = body[:-1].split("\n")
    if len(lines) != 4:
        raise ValueError("kontrollpunktet skal ha fire linjer: opphav, størrelse, rot, tidspunkt")
    origin, size_text, root_b64, issued_at = lines
    root = _b64_canonical(root_b64)
    if not _DECIMAL.fullmatch(size_text):
        raise ValueError(f"størrelsen «{size_text}» er ikke et tall")
    if root is None or len(root) != 32:
        raise ValueError("rot-hashen er ikke 32 byte i base64")
    if not origin or not _RFC3339.fullmatch(issued_at):
        raise ValueError("opphav eller tidspunkt i kontrollpunktet har feil format")
    return SignedCheckpoint(origin, int(size_text), root, issued_at, signer)


# --- The bundle -------------------------------------------------------------------------------


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _load_key(pem: object) -> Ed25519PublicKey | None:
    try:
        key = (
            serialization.load_pem_public_key(pem.encode("utf-8")) if isinstance(pem, str) else None
        )
    except (ValueError, UnsupportedAlgorithm):
        return None
    return key if isinstance(key, Ed25519PublicKey) else None


def _check_event(event: dict[str, Any], label: str, checkpoint: SignedCheckpoint) -> str | None:
    """The problem with one event, or None when its inclusion in the checkpoint is proven."""
    index = event.get("leaf_index")
    if not _is_int(index) or index < 0:
        return f"{label}: «leaf_index» må være et heltall fra 0 og oppover"
    if index >= checkpoint.size:
        return (
            f"{label}: leaf_index {index} ligger utenfor kontrollpunktet "
            f"({checkpoint.size} hendelser)"
        )
    stored_b64 = event.get("stored_bytes_b64")
    try:
        stored = (
            base64.b64decode(stored_b64, validate=True) if isinstance(stored_b64, str) else None
        )
    except (binascii.Error, ValueError):
        stored = None
    if stored is None:
        return f"{label}: «stored_bytes_b64» er ikke gyldig base64"
    proof_hex = event.get("inclusion_proof")
    if not isinstance(proof_hex, list) or not all(
        isinstance(h, str) and _HASH_HEX.fullmatch(h) for h in proof_hex
    ):
        return f"{label}: «inclusion_proof» må være en liste av hasher med 64 heksadesimale tegn"
    proof = [bytes.fromhex(h) for h in proof_hex]
    if not verify_inclusion(leaf_hash(stored), index, checkpoint.size, proof, checkpoint.root):
        return (
            f"{label}: de lagrede bytene og inklusjonsbeviset stemmer ikke med "
            "kontrollpunktets rot-hash (endret innhold, feil plass eller feil bevis)"
        )
    return None


def check_bundle(
    bundle: dict[str, Any], *, trusted_public_key_pem: str | None = None
) -> list[tuple[bool, str]]:
    """Every finding, in report order, as (passed, Norwegian sentence)."""
    if not isinstance(bundle, dict):
        return [(False, "Pakken er ikke et JSON-objekt")]
    findings: list[tuple[bool, str]] = []
    key = _load_key(bundle.get("public_key_pem"))
    if key is None:
        return [(False, "Pakkens «public_key_pem» er ikke en offentlig Ed25519-nøkkel i PEM")]
    if trusted_public_key_pem is not None:
        trusted = _load_key(trusted_public_key_pem)
        if trusted is None:
            return [(False, "Den betrodde nøkkelen er ikke en offentlig Ed25519-nøkkel i PEM")]
        if fingerprint(trusted) != fingerprint(key):
            return [(False, "Pakkens offentlige nøkkel er ikke den betrodde nøkkelen")]
        findings.append((True, "Pakkens offentlige nøkkel er den betrodde nøkkelen"))
    findings.append((True, f"Offentlig nøkkel, SHA-256-fingeravtrykk: {fingerprint(key)}"))

    note = bundle.get("checkpoint")
    try:
        if not isinstance(note, str):
            raise ValueError("«checkpoint» mangler eller er ikke tekst")
        checkpoint = verify_checkpoint(note, key)
    except ValueError as exc:
        findings.append((False, f"Kontrollpunktet er ikke gyldig: {exc}"))
        findings.append((False, "Hendelsene kan ikke kontrolleres uten et gyldig kontrollpunkt"))
        return findings
    signed = (
        f"Kontrollpunktet er gyldig signert av «{checkpoint.key_name}»: logg "
        f"«{checkpoint.origin}», {checkpoint.size} hendelser, utstedt {checkpoint.issued_at}, "
        f"rot-hash {checkpoint.root.hex()}"
    )
    findings.append((True, signed))

    events = bundle.get("events")
    if not isinstance(events, list):
        findings.append((False, "Pakkens «events» mangler eller er ikke en liste"))
        return findings
    if not events:
        findings.append(
            (True, "Pakken inneholder ingen hendelser; bare kontrollpunktet er sjekket")
        )
    positions: set[int] = set()
    indexes: set[int] = set()
    for number, event in enumerate(events, start=1):
        position = event.get("position") if isinstance(event, dict) else None
        if not isinstance(event, dict) or not _is_int(position) or position < 1:
            problem = f"Hendelse nr. {number} i pakken: mangler «position» (heltall fra 1)"
            findings.append((False, problem))
            continue
        label = f"Hendelse på posisjon {position}"
        index = event.get("leaf_index")
        if position in positions or (_is_int(index) and index in indexes):
            found: str | None = f"{label}: posisjonen eller leaf_index forekommer to ganger"
        else:
            found = _check_event(event, label, checkpoint)
        positions.add(position)
        if _is_int(index):
            indexes.add(index)
        findings.append((True, f"{label}: OK") if found is None else (False, found))
    return findings


def verify_bundle(
    bundle: dict[str, Any], *, trusted_public_key_pem: str | None = None
) -> list[str]:
    """The problems found in ``bundle`` (Norwegian sentences); empty means it is valid."""
    return [
        text
        for passed, text in check_bundle(bundle, trusted_public_key_pem=trusted_public_key_pem)
        if not passed
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; 0 when everything verifies, 1 otherwise."""
    parser = argparse.ArgumentParser(
        description="Kontroller en bevispakke fra Skolefravær uten å stole på tjenesten."
    )
    parser.add_argument("bundle", help="bevispakken (JSON)")
    parser.add_argument(
        "--offentlig-nokkel",
        metavar="PEM-FIL",
        help="betrodd offentlig nøkkel; pakkens nøkkel må være denne",
    )
    args = parser.parse_args(argv)
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        with open(args.bundle, encoding="utf-8") as f:
            bundle = json.load(f)
        trusted = None
        if args.offentlig_nokkel is not None:
            with open(args.offentlig_nokkel, encoding="ascii") as f:
                trusted = f.read()
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        print(f"FEIL: Kunne ikke lese filen: {exc}")
        return 1
    if isinstance(bundle, dict) and isinstance(bundle.get("audit"), dict):
        bundle = bundle["audit"]  # a whole saksfremstilling (dossier) carries its bundle here
    findings = check_bundle(bundle, trusted_public_key_pem=trusted)
    for passed, text in findings:
        print(text if passed else f"FEIL: {text}")
    failures = sum(not passed for passed, _ in findings)
    events = bundle.get("events") if isinstance(bundle, dict) else None
    if failures:
        print(f"Resultat: {failures} feil. Pakken beviser ikke at hendelsene er uendret.")
        return 1
    count = len(events) if isinstance(events, list) else 0
    print(
        f"Resultat: alt stemmer. {count} hendelse(r) er med, uendret, i loggen slik "
        "kontrollpunktet beskriver den."
    )
    if trusted is None:
        print("Husk: sammenlign fingeravtrykket over med det tjenesten har publisert.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
