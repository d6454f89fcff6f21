"""Signed checkpoints: the service's Ed25519-signed statement "the log had N events, root R, at T".

Why: a Merkle root only makes the log tamper-evident if the root itself cannot be swapped; a
signed checkpoint pins it, and any later checkpoint must be consistent with it (see
`services.evidence.merkle.verify_consistency`). The text follows the C2SP "signed note" and
transparency-log checkpoint formats so that off-the-shelf tooling can read it:

    <origin>
    <size, decimal>
    <root hash, base64>
    <issued_at, RFC 3339>

    — <key name> <base64(4-byte key id || 64-byte Ed25519 signature)>

The signature covers the body (the four lines, each ending in a newline) as UTF-8 bytes. The key
id is the first 4 bytes of SHA-256(key name || 0x0A || 0x01 || raw public key), 0x01 naming
Ed25519, so a verifier can pick its key's signature out of several.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

ED25519_TYPE = b"\x01"
SIGNATURE_PREFIX = "— "  # U+2014 EM DASH and a space, as in the signed-note spec
MAX_SIGNATURES = 100  # the signed-note spec lets verifiers refuse notes with more
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})"
)


class CheckpointError(ValueError):
    """A checkpoint note that is malformed, or not signed by the expected key."""


def _b64decode_canonical(text: str, what: str) -> bytes:
    """Strict base64: only the canonical spelling, so no two texts carry the same bytes."""
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise CheckpointError(f"{what} is not valid base64") from exc
    if base64.b64encode(raw).decode("ascii") != text:
        raise CheckpointError(f"{what} is not canonical base64")
    return raw


def _check_key_name(key_name: str) -> None:
    if not key_name or "+" in key_name or any(c.isspace() for c in key_name):
        raise CheckpointError(f"key name {key_name!r} must be non-empty, without spaces or '+'")


@dataclass(frozen=True)
class Checkpoint:
    """What one checkpoint claims: the log ``origin`` had ``size`` leaves with ``root``."""

    origin: str
    size: int
    root: bytes
    issued_at: str

    def __post_init__(self) -> None:
        if not isinstance(self.origin, str) or not self.origin or not self.origin.isprintable():
            raise CheckpointError("origin must be a non-empty line of printable characters")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 0:
            raise CheckpointError(f"size must be a non-negative integer, got {self.size!r}")
        if not isinstance(self.root, bytes) or len(self.root) != 32:
            raise CheckpointError("root must be a 32-byte SHA-256 hash")
        if not isinstance(self.issued_at, str) or not _RFC3339.fullmatch(self.issued_at):
            raise CheckpointError(f"issued_at {self.issued_at!r} is not an RFC 3339 timestamp")
        try:
            datetime.fromisoformat(self.issued_at)
        except ValueError as exc:
            raise CheckpointError(f"issued_at {self.issued_at!r} is not a real time") from exc

    def note_body(self) -> str:
        """The canonical signed text: one field a line, each line ending in a newline."""
        root_b64 = base64.b64encode(self.root).decode("ascii")
        return f"{self.origin}\n{self.size}\n{root_b64}\n{self.issued_at}\n"


def now_rfc3339() -> str:
    """The current UTC time in the form `Checkpoint.issued_at` expects, to whole seconds."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def key_id(key_name: str, public_key: Ed25519PublicKey) -> bytes:
    """The signed-note key id: SHA-256(name || 0x0A || 0x01 || raw public key)[:4]."""
    raw = public_key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(key_name.encode("utf-8") + b"\n" + ED25519_TYPE + raw).digest()[:4]


def sign_note(text: str, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """A C2SP signed note: ``text`` (non-empty lines, each ending in a newline), a blank line,
    and the Ed25519 signature line of ``key_name``. Byte-compatible with Go's sumdb/note."""
    _check_key_name(key_name)
    if not text.endswith("\n") or "\n\n" in text or text.startswith("\n"):
        raise CheckpointError("note text is non-empty lines, each ending in a newline")
    signature = private_key.sign(text.encode("utf-8"))
    blob = key_id(key_name, private_key.public_key()) + signature
    return f"{text}\n{SIGNATURE_PREFIX}{key_name} {base64.b64encode(blob).decode('ascii')}\n"


def open_note(note_text: str, public_key: Ed25519PublicKey) -> str:
    """The text of a signed note, if a signature in it by ``public_key`` verifies.

    Raises `CheckpointError` otherwise: wrong layout, no signature by this key, or a signature
    by this key that does not verify. Signatures by other keys (witnesses, say) are allowed and
    ignored, as the signed-note spec says; a malformed one is refused all the same.
    """
    try:
        note_text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise CheckpointError("a signed note is valid UTF-8 text") from exc
    if not note_text.endswith("\n"):
        raise CheckpointError("a signed note ends with a newline")
    blank = note_text.find("\n\n")
    if blank < 0:
        raise CheckpointError("no blank line between the text and its signatures")
    text, signature_block = note_text[: blank + 1], note_text[blank + 2 :]
    if not signature_block:
        raise CheckpointError("the note carries no signature")
    signature_lines = signature_block[:-1].split("\n")
    if len(signature_lines) > MAX_SIGNATURES:
        raise CheckpointError(f"more than {MAX_SIGNATURES} signatures")

    verified = False
    for line in signature_lines:
        if not line.startswith(SIGNATURE_PREFIX):
            raise CheckpointError(f"signature line does not start with {SIGNATURE_PREFIX!r}")
        parts = line[len(SIGNATURE_PREFIX) :].split(" ")
        if len(parts) != 2:
            raise CheckpointError("a signature line is '— <key name> <base64>'")
        name, blob_b64 = parts
        _check_key_name(name)
        blob = _b64decode_canonical(blob_b64, "signature")
        if len(blob) != 4 + 64:
            raise CheckpointError("an Ed25519 signature is 4 key-id bytes and 64 signature bytes")
        if blob[:4] != key_id(name, public_key):
            continue  # somebody else's signature
        try:
            public_key.verify(blob[4:], text.encode("utf-8"))
        except InvalidSignature as exc:
            raise CheckpointError(f"the signature by {name!r} does not verify") from exc
        verified = True
    if not verified:
        raise CheckpointError("no signature by the given public key")
    return text


def sign(checkpoint: Checkpoint, private_key: Ed25519PrivateKey, key_name: str) -> str:
    """The complete signed note for ``checkpoint``: body, blank line, one signature line."""
    return sign_note(checkpoint.note_body(), private_key, key_name)


def parse_and_verify(note_text: str, public_key: Ed25519PublicKey) -> Checkpoint:
    """The checkpoint in ``note_text``, if a signature in it by ``public_key`` verifies.

    Raises `CheckpointError` for anything else: everything `open_note` refuses, a body that is
    not the four checkpoint lines, or fields not written exactly as `sign` writes them.
    """
    body = open_note(note_text, public_key)
    lines = body[:-1].split("\n")
    if len(lines) != 4:
        raise CheckpointError("a checkpoint body has 4 lines: origin, size, root, issued_at")
    origin, size_text, root_b64, issued_at = lines
    if not _DECIMAL.fullmatch(size_text):
        raise CheckpointError(f"size {size_text!r} is not a canonical decimal number")
    checkpoint = Checkpoint(
        origin, int(size_text), _b64decode_canonical(root_b64, "root hash"), issued_at
    )
    if checkpoint.note_body() != body:  # belt and braces: only the canonical text is accepted
        raise CheckpointError("the checkpoint body is not in canonical form")
    return checkpoint


def generate_private_key() -> Ed25519PrivateKey:
    """A fresh Ed25519 signing key."""
    return Ed25519PrivateKey.generate()


def load_private_key(pem_or_raw_base64: str | bytes) -> Ed25519PrivateKey:
    """An Ed25519 key from an unencrypted PKCS#8 PEM, or from its 32-byte seed in base64
    (the short form that fits in an environment variable; see `private_key_base64`)."""
    text = (
        pem_or_raw_base64.decode("ascii")
        if isinstance(pem_or_raw_base64, bytes)
        else pem_or_raw_base64
    ).strip()
    if text.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(text.encode("ascii"), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError("the PEM holds a private key, but not an Ed25519 one")
        return key
    try:
        seed = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("expected a PEM private key or a base64 Ed25519 seed") from exc
    if len(seed) != 32:
        raise ValueError(f"an Ed25519 seed is 32 bytes, got {len(seed)}")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key_base64(private_key: Ed25519PrivateKey) -> str:
    """The 32-byte seed in base64, the form `load_private_key` also reads. Keep it secret."""
    raw = private_key.private_bytes(
        serialization.Encoding.Raw,
        serialization.PrivateFormat.Raw,
        serialization.NoEncryption(),
    )
    return base64.b64encode(raw).decode("ascii")


def public_key_pem(private_key: Ed25519PrivateKey) -> str:
    """The public half as a SubjectPublicKeyInfo PEM, to publish and to put in bundles."""
    return public_key_pem_of(private_key.public_key())


def public_key_pem_of(public_key: Ed25519PublicKey) -> str:
    """A public key as SubjectPublicKeyInfo PEM."""
    return public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def public_key_fingerprint(public_key: Ed25519PublicKey) -> str:
    """SHA-256 of the key's DER SubjectPublicKeyInfo, in hex: the value to publish so readers can
    tell the key in a bundle is ours (``openssl pkey -pubin -outform DER | sha256sum`` agrees)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def load_public_key(pem: str | bytes) -> Ed25519PublicKey:
    """An Ed25519 public key from a SubjectPublicKeyInfo PEM."""
    key = serialization.load_pem_public_key(pem.encode("ascii") if isinstance(pem, str) else pem)
    if not isinstance(key, Ed25519PublicKey):
        raise ValueError("the PEM holds a public key, but not an Ed25519 one")
    return key
