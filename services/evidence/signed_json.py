"""JSON signed with the checkpoint key: the content in its RFC 8785 (JCS) canonical form,
hashed with SHA-256 and signed with Ed25519.

Why JCS: a signature is over bytes, and the same JSON can be written many ways; the
canonical form lets anyone (``offline_verify.py``, or any JCS library) rebuild exactly the
signed bytes from whatever JSON text they were handed. Why the checkpoint key: a reader
already trusts it (its fingerprint is published) to vouch for the log; the same signature
then vouches for what the service derived from the log. The envelope::

    {"content": {...},
     "content_sha256": "<hex of SHA-256(JCS(content))>",
     "signature": {"algorithm": "Ed25519", "canonicalization": "RFC 8785",
                   "covers": "content", "public_key_fingerprint_sha256": "<hex>",
                   "value_b64": "<base64 of the Ed25519 signature of JCS(content)>"}}
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import rfc8785
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from services.evidence import checkpoints

ALGORITHM, CANONICALIZATION = "Ed25519", "RFC 8785"


def canonical(value: Any) -> bytes:
    """The RFC 8785 canonical UTF-8 bytes of ``value`` (plain JSON data)."""
    return rfc8785.dumps(value)


def sign(content: dict[str, Any], key: Ed25519PrivateKey, **outside: Any) -> dict[str, Any]:
    """``content`` in the signed envelope (``outside``: members beside it, unsigned, such
    as the format name)."""
    signed = canonical(content)
    return {**outside, "content": content,
            "content_sha256": hashlib.sha256(signed).hexdigest(),
            "signature": {"algorithm": ALGORITHM, "canonicalization": CANONICALIZATION,
                          "covers": "content",
                          "public_key_fingerprint_sha256":
                              checkpoints.public_key_fingerprint(key.public_key()),
                          "value_b64": base64.b64encode(key.sign(signed)).decode("ascii")}}

