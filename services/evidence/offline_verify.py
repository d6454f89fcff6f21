"""Kontroller en bevispakke fra Skolefravær uten å stole på tjenesten (offline).

    python offline_verify.py bundle.json [--offentlig-nokkel betrodd.pem]
    python offline_verify.py saksfremstilling.pdf [--offentlig-nokkel betrodd.pem]
    python offline_verify.py --konsistens eldre.json nyere.json [--offentlig-nokkel betrodd.pem]

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

An issued dossier (``GET /v1/dossiers/{id}``, JSON, or its PDF, which carries that JSON as an
attached file) is an envelope ``{"content": {...}, "content_sha256": ..., "signature": ...}``
(``services/evidence/signed_json.py``): the Ed25519 signature, by the checkpoint key, covers
the RFC 8785 canonical form of ``content`` — every word and figure the document shows
(``content.for_people``), the dossier data and its proof bundle (``content.dossier.audit``),
and what was issued from which checkpoint (``content.issued``). A passing run proves, besides
the bundle, that not one byte of ``content`` changed since the key's holder signed it, and
that it was made from the bundle's checkpoint. Compare the printed content fingerprint with
the one printed in the PDF: the verifier checks the attached JSON, not the PDF's drawing.
A dossier that was not issued (the preview) carries no signature: only its events are checked.

``--konsistens ELDRE NYERE`` checks, RFC 9162 §2.1.4, that the log only grew between two
checkpoints: ELDRE is a signed checkpoint (the note's text, or any file above that carries
one), NYERE the JSON of ``GET /v1/audit/consistency?old_size=<size of ELDRE>`` (the newer
checkpoint and the proof).

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
import zlib
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


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """RFC 9162 §2.1.4.2: is the tree (old_size, old_root) a prefix of (new_size, new_root)?"""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == hashlib.sha256(b"").digest()
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr, sr = node_hash(c, fr), node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


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


def _leaf_of(event: dict[str, Any]) -> bytes | None:
    """The event's leaf hash: of its stored bytes, or as given (``leaf_sha256``) when the
    reader the dossier was made for may not see the whole event (PRIV-1): its inclusion is
    proven all the same, its content is not shown."""
    stored_b64, given = event.get("stored_bytes_b64"), event.get("leaf_sha256")
    if isinstance(given, str) and stored_b64 is None:
        return bytes.fromhex(given) if _HASH_HEX.fullmatch(given) else None
    try:
        stored = (
            base64.b64decode(stored_b64, validate=True) if isinstance(stored_b64, str) else None
        )
    except (binascii.Error, ValueError):
        return None
    return None if stored is None else leaf_hash(stored)


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
    leaf = _leaf_of(event)
    if leaf is None:
        return (f"{label}: verken gyldig «stored_bytes_b64» (base64) eller «leaf_sha256» "
                "(64 heksadesimale tegn)")
    proof_hex = event.get("inclusion_proof")
    if not isinstance(proof_hex, list) or not all(
        isinstance(h, str) and _HASH_HEX.fullmatch(h) for h in proof_hex
    ):
        return f"{label}: «inclusion_proof» må være en liste av hasher med 64 heksadesimale tegn"
    proof = [bytes.fromhex(h) for h in proof_hex]
    if not verify_inclusion(leaf, index, checkpoint.size, proof, checkpoint.root):
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


# --- RFC 8785 (JCS): the bytes an issued dossier's signature covers ---------------------------


def canonical_json(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of parsed JSON (ValueError for what JCS refuses)."""
    try:
        return _jcs(value).encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("teksten har en ugyldig UTF-16-surrogat") from None


def _jcs(value: Any) -> str:
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, int):
        if abs(value) > 2**53 - 1:
            raise ValueError(f"heltallet {value} kan ikke skrives nøyaktig i I-JSON")
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ",".join(_jcs(v) for v in value) + "]"
    if isinstance(value, dict) and all(isinstance(k, str) for k in value):
        keys = sorted(value, key=lambda k: k.encode("utf-16-be"))  # by UTF-16 code units
        return "{" + ",".join(f"{_jcs(k)}:{_jcs(value[k])}" for k in keys) + "}"
    raise ValueError(f"{type(value).__name__} er ikke JSON")


def _number(x: float) -> str:
    """A number as ECMAScript writes it (RFC 8785 §3.2.2.3): the shortest digits that
    round-trip (Python's repr finds the same), placed by ECMAScript's rules."""
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError("NaN og uendelig er ikke JSON")
    if x == 0:
        return "0"
    if x < 0:
        return "-" + _number(-x)
    mantissa, _, exponent = repr(x).partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    n = len(whole) - (len(whole + fraction) - len(digits)) + int(exponent or 0)
    digits = digits.rstrip("0")  # the value is 0.digits × 10**n
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return f"{digits[:n]}.{digits[n:]}"
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    return f"{digits[0]}{'.' + digits[1:] if k > 1 else ''}e{'+' if e >= 0 else '-'}{abs(e)}"


# --- An issued dossier ------------------------------------------------------------------------


def attached_json(pdf: bytes) -> bytes:
    """The one file attached to a PDF from Skolefravær (the issued dossier's JSON). Reads the
    PDF as fpdf2 writes it (an uncompressed object with the EmbeddedFile stream); ValueError
    for a PDF without exactly one attached file."""
    found = list(re.finditer(rb"/Type\s*/EmbeddedFile\b", pdf))
    if len(found) != 1:
        raise ValueError(f"PDF-en skal ha ett vedlegg, den har {len(found)}")
    start = pdf.rfind(b" obj", 0, found[0].start())
    head = re.compile(rb">>\s*stream\r?\n").search(pdf, found[0].end())
    length = re.search(rb"/Length\s+(\d+)(?!\s+\d+\s+R)", pdf[start : head.start()]) if head \
        else None
    if start < 0 or head is None or length is None:
        raise ValueError("vedlegget i PDF-en kan ikke leses")
    data = pdf[head.end() : head.end() + int(length.group(1))]
    try:
        return zlib.decompress(data) if b"/FlateDecode" in pdf[start : head.start()] else data
    except zlib.error:
        raise ValueError("vedlegget i PDF-en er ikke gyldig komprimert") from None


def is_issued(document: Any) -> bool:
    return isinstance(document, dict) and isinstance(document.get("content"), dict) \
        and "signature" in document


def check_issued(
    document: dict[str, Any], *, trusted_public_key_pem: str | None = None
) -> list[tuple[bool, str]]:
    """Every finding for an issued dossier: its signature over the canonical content, the
    checkpoint it names, and the bundle of proofs in it."""
    content = document["content"]
    dossier = content.get("dossier")
    bundle = dossier.get("audit") if isinstance(dossier, dict) else None
    if not isinstance(bundle, dict):
        return [(False, "Saksfremstillingen har ingen bevispakke («content.dossier.audit»)")]
    findings = check_bundle(bundle, trusted_public_key_pem=trusted_public_key_pem)
    key = _load_key(trusted_public_key_pem or bundle.get("public_key_pem"))
    if key is None or any(not passed for passed, _ in findings[:2]):
        return findings
    try:
        signed = canonical_json(content)
    except ValueError as exc:
        return [*findings, (False, f"Innholdet kan ikke skrives kanonisk (RFC 8785): {exc}")]
    digest = hashlib.sha256(signed).hexdigest()
    findings.append((True, f"Innholdets fingeravtrykk (SHA-256): {digest}"))
    if document.get("content_sha256") != digest:
        findings.append((False, "«content_sha256» er ikke fingeravtrykket av innholdet"))
    findings.append(_signature_finding(document.get("signature"), signed, key))
    findings += _issued_from(content.get("issued"), bundle, key)
    return findings


def _signature_finding(
    signature: Any, signed: bytes, key: Ed25519PublicKey
) -> tuple[bool, str]:
    value = signature.get("value_b64") if isinstance(signature, dict) else None
    raw = _b64_canonical(value) if isinstance(value, str) else None
    try:
        if raw is None:
            raise InvalidSignature
        key.verify(raw, signed)
    except InvalidSignature:
        return (False, "Signaturen over innholdet stemmer ikke: noe i saksfremstillingen er "
                       "endret etter at den ble utstedt, eller den er signert med en annen nøkkel")
    return (True, "Signaturen over innholdet (RFC 8785, Ed25519) er gyldig: ingenting av det "
                  "saksfremstillingen viser, er endret")


def _issued_from(issued: Any, bundle: dict[str, Any], key: Ed25519PublicKey
                 ) -> list[tuple[bool, str]]:
    """Whether the dossier names the bundle's checkpoint as the one it was made from."""
    checkpoint = verify_checkpoint(bundle["checkpoint"], key)
    if not isinstance(issued, dict) or (issued.get("tree_size"), issued.get("root_sha256")) != (
        checkpoint.size, checkpoint.root.hex()
    ):
        return [(False, "Saksfremstillingen oppgir ikke kontrollpunktet i bevispakken som det "
                        "den ble laget fra")]
    return [(True, f"Utstedt {issued.get('issued_at')} som dokument {issued.get('dossier_id')}, "
                   f"laget fra loggen med {checkpoint.size} hendelser")]


# --- Consistency of two checkpoints (RFC 9162) -----------------------------------------------


def checkpoint_in(document: Any) -> str | None:
    """The signed checkpoint a file carries: a note, a bundle, a dossier (issued or not)."""
    if isinstance(document, str):
        return document
    for path in (("checkpoint",), ("audit", "checkpoint"),
                 ("content", "dossier", "audit", "checkpoint")):
        found: Any = document
        for name in path:
            found = found.get(name) if isinstance(found, dict) else None
        if isinstance(found, str):
            return found
    return None


def check_consistency(older: Any, newer: Any, key: Ed25519PublicKey) -> list[tuple[bool, str]]:
    """Whether the log of the ``older`` checkpoint is a prefix of the log of ``newer`` (the
    answer of ``GET /v1/audit/consistency``: its checkpoint and proof)."""
    note, proof_hex = checkpoint_in(older), newer.get("proof") if isinstance(newer, dict) else None
    if note is None or not isinstance(proof_hex, list) or not all(
        isinstance(h, str) and _HASH_HEX.fullmatch(h) for h in proof_hex
    ):
        return [(False, "Konsistens: den eldre filen har intet kontrollpunkt, eller den nyere "
                        "mangler «checkpoint» og «proof»")]
    try:
        old, new = verify_checkpoint(note, key), verify_checkpoint(str(newer["checkpoint"]), key)
    except (ValueError, KeyError) as exc:
        return [(False, f"Konsistens: et kontrollpunkt er ikke gyldig: {exc}")]
    proof = [bytes.fromhex(h) for h in proof_hex]
    if old.origin != new.origin or not verify_consistency(
        old.size, new.size, old.root, new.root, proof
    ):
        return [(False, f"Konsistens: loggen med {new.size} hendelser er IKKE en utvidelse av "
                        f"loggen med {old.size} (endret eller omskrevet historikk)")]
    return [(True, f"Konsistens: loggen med {new.size} hendelser ({new.issued_at}) inneholder "
                   f"uendret loggen med {old.size} hendelser ({old.issued_at})")]


# --- The command line ----------------------------------------------------------------------


def read_document(path: str) -> Any:
    """A file's JSON (the attached JSON of a PDF), or its text when it is a signed note."""
    with open(path, "rb") as f:
        raw = f.read()
    if raw.startswith(b"%PDF-"):
        raw = attached_json(raw)
    text = raw.decode("utf-8")
    return text if not text.lstrip().startswith(("{", "[")) else json.loads(text)


def check_document(document: Any, trusted: str | None) -> tuple[list[tuple[bool, str]], str]:
    """The findings for one file, and the closing sentence when they all pass."""
    if is_issued(document):
        return check_issued(document, trusted_public_key_pem=trusted), (
            "Resultat: alt stemmer. Saksfremstillingen er uendret slik den ble utstedt, og "
            "hendelsene i den er med, uendret, i loggen.")
    if isinstance(document, dict) and isinstance(document.get("audit"), dict):
        return check_bundle(document["audit"], trusted_public_key_pem=trusted), (
            "Resultat: hendelsene stemmer. Merk: dette er en forhåndsvisning, ikke en utstedt "
            "saksfremstilling; teksten i den er ikke signert og er IKKE kontrollert.")
    findings = check_bundle(document, trusted_public_key_pem=trusted)
    events = document.get("events") if isinstance(document, dict) else None
    count = len(events) if isinstance(events, list) else 0
    return findings, (f"Resultat: alt stemmer. {count} hendelse(r) er med, uendret, i loggen "
                      "slik kontrollpunktet beskriver den.")


def _key_for_consistency(trusted: str | None, *documents: Any) -> Ed25519PublicKey | None:
    for pem in (trusted, *(d.get("public_key_pem") if isinstance(d, dict) else None
                           for d in documents)):
        if pem is not None:
            return _load_key(pem)
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Print the report; 0 when everything verifies, 1 otherwise."""
    parser = argparse.ArgumentParser(
        description="Kontroller en bevispakke eller saksfremstilling fra Skolefravær uten å "
        "stole på tjenesten."
    )
    parser.add_argument("fil", nargs="?", help="bevispakken eller saksfremstillingen (JSON "
                        "eller PDF)")
    parser.add_argument("--konsistens", nargs=2, metavar=("ELDRE", "NYERE"),
                        help="et eldre kontrollpunkt og svaret fra /v1/audit/consistency")
    parser.add_argument(
        "--offentlig-nokkel",
        metavar="PEM-FIL",
        help="betrodd offentlig nøkkel; pakkens nøkkel må være denne",
    )
    args = parser.parse_args(argv)
    if args.fil is None and args.konsistens is None:
        parser.error("oppgi en fil, --konsistens eller begge")
    if hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(errors="replace")
    try:
        trusted = None
        if args.offentlig_nokkel is not None:
            with open(args.offentlig_nokkel, encoding="ascii") as f:
                trusted = f.read()
        document = read_document(args.fil) if args.fil else None
        pair = [read_document(p) for p in args.konsistens] if args.konsistens else None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, ValueError) as exc:
        print(f"FEIL: Kunne ikke lese filen: {exc}")
        return 1
    findings, closing = check_document(document, trusted) if args.fil else ([], "")
    if pair is not None:
        key = _key_for_consistency(trusted, document and _bundle_of(document), *pair)
        findings += (check_consistency(pair[0], pair[1], key) if key is not None else
                     [(False, "Konsistens: oppgi --offentlig-nokkel")])
    for passed, text in findings:
        print(text if passed else f"FEIL: {text}")
    failures = sum(not passed for passed, _ in findings)
    if failures:
        print(f"Resultat: {failures} feil. Det som er kontrollert, er ikke uendret.")
        return 1
    print(closing or "Resultat: alt stemmer.")
    if trusted is None:
        print("Husk: sammenlign nøkkelens fingeravtrykk med det tjenesten har publisert.")
    return 0


def _bundle_of(document: Any) -> Any:
    if is_issued(document):
        return document["content"].get("dossier", {}).get("audit")
    return document.get("audit", document) if isinstance(document, dict) else None


if __name__ == "__main__":
    sys.exit(main())
