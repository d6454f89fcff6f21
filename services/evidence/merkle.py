"""The Merkle tree of RFC 6962 / RFC 9162 over the stored event log; pure functions, no I/O.

Why exactly this tree and not a home-made one: a reader who does not trust the service must be
able to check our proofs with any independent implementation (Certificate Transparency tools,
``transparency-dev/merkle``, or the stand-alone ``offline_verify.py``). That only works if the
hashing (0x00/0x01 domain separation, so a leaf can never pass for a node), the split rule
(largest power of two *below* n, not the midpoint) and the proof algorithms are the standard ones.

Leaves are handled as their leaf hashes: callers hash each stored event once with `leaf_hash`
and keep the 32-byte values, which is all the tree, the proofs and `MerkleAccumulator` need.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from typing import Any

HASH_SIZE = 32
EMPTY_ROOT = hashlib.sha256(b"").digest()
"""MTH({}) of RFC 6962 §2.1: the root of the tree with no leaves."""


def leaf_hash(data: bytes) -> bytes:
    """SHA-256(0x00 || data): the hash of one leaf, prefixed so it can never equal a node hash."""
    return hashlib.sha256(b"\x00" + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """SHA-256(0x01 || left || right): the hash of an interior node."""
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(n: int) -> int:
    """The largest power of two strictly below ``n`` (n >= 2): where RFC 6962 splits a tree."""
    return 1 << ((n - 1).bit_length() - 1)


def _mth(hashes: Sequence[bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) over leaf hashes, by index range so large logs are not copied per level."""
    n = hi - lo
    if n == 0:
        return EMPTY_ROOT
    if n == 1:
        return hashes[lo]
    k = _split(n)
    return node_hash(_mth(hashes, lo, lo + k), _mth(hashes, lo + k, hi))


Subtree = tuple[int, int]
"""(level, index): the complete subtree over the 2**level leaves from index * 2**level on.
Level 0 is a leaf; the hash of a subtree at level k > 0 is the node_hash of its two halves
at level k - 1. Every tree hash of RFC 6962 is made of these, which is what lets a store of
them answer proofs without the leaves (`subtrees`, `tree_hash`)."""


def subtrees(lo: int, hi: int) -> list[Subtree]:
    """The complete subtrees MTH(D[lo:hi]) is made of, left to right: one per 1-bit of
    ``hi - lo``, largest first. ``lo`` must be a multiple of the first one's size, as it is
    for every range the RFC's recursion splits off (`inclusion_ranges`, `consistency_ranges`);
    elsewhere RFC 6962 would split the range differently."""
    found: list[Subtree] = []
    while lo < hi:
        level = (hi - lo).bit_length() - 1
        if lo & ((1 << level) - 1):
            raise ValueError(f"leaf {lo} does not start a subtree of {1 << level} leaves")
        found.append((level, lo >> level))
        lo += 1 << level
    return found


def tree_hash(hashes: Mapping[Subtree, bytes], lo: int, hi: int) -> bytes:
    """MTH(D[lo:hi]) (lo < hi) from the hashes of its `subtrees`, or of subtrees below them
    (`subtree_hash`)."""
    return _fold([subtree_hash(hashes, subtree) for subtree in subtrees(lo, hi)])


def subtree_hash(hashes: Mapping[Subtree, bytes], subtree: Subtree) -> bytes:
    """The hash of ``subtree`` as given, or else joined from its two halves, recursively:
    a store may keep only the upper levels and the leaves."""
    found = hashes.get(subtree)
    if found is not None:
        return found
    level, index = subtree
    if level == 0:
        raise KeyError(f"leaf {index} is not given")
    return node_hash(subtree_hash(hashes, (level - 1, 2 * index)),
                     subtree_hash(hashes, (level - 1, 2 * index + 1)))


def _fold(parts: Sequence[bytes]) -> bytes:
    """Complete subtrees, largest first, joined into one tree hash: RFC 6962 splits off the
    largest power of two on the left, so the rest is joined first, from the right."""
    joined = parts[-1]
    for part in reversed(parts[:-1]):
        joined = node_hash(part, joined)
    return joined


def _check_hashes(leaf_hashes: Sequence[bytes]) -> None:
    # A leaf of the wrong length is a caller passing data where a leaf hash belongs, and would
    # silently produce a tree nobody else can reproduce.
    for h in leaf_hashes:
        if len(h) != HASH_SIZE:
            raise ValueError(f"leaf hashes are {HASH_SIZE} bytes, got {len(h)}; use leaf_hash")


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH(D[n]) of RFC 6962 §2.1 over the given leaf hashes."""
    _check_hashes(leaf_hashes)
    return _mth(leaf_hashes, 0, len(leaf_hashes))


def inclusion_proof(leaf_hashes: Sequence[bytes], index: int) -> list[bytes]:
    """PATH(index, D[n]) of RFC 6962 §2.1.1: the sibling hashes from the leaf up to the root."""
    _check_hashes(leaf_hashes)
    return [_mth(leaf_hashes, lo, hi) for lo, hi in inclusion_ranges(index, len(leaf_hashes))]


def inclusion_ranges(index: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose tree hashes are PATH(index, D[size]), leaf end first."""
    if not 0 <= index < size:
        raise IndexError(f"leaf index {index} outside a tree of {size} leaves")
    ranges: list[tuple[int, int]] = []
    lo, hi = 0, size
    while hi - lo > 1:  # walk down; the path is built from the leaf end, so it is reversed below
        k = _split(hi - lo)
        if index < lo + k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo = lo + k
    ranges.reverse()
    return ranges


def verify_inclusion(
    leaf_hash: bytes, index: int, tree_size: int, proof: Sequence[bytes], root: bytes
) -> bool:
    """True when ``proof`` shows ``leaf_hash`` at ``index`` in the tree of ``tree_size`` leaves
    whose root is ``root``; RFC 9162 §2.1.3.2, step by step. Never raises on bad input."""
    if not 0 <= index < tree_size:
        return False
    fn, sn = index, tree_size - 1
    r = leaf_hash
    for p in proof:
        if sn == 0:
            return False  # the proof is longer than the path
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


def consistency_proof(leaf_hashes: Sequence[bytes], old_size: int) -> list[bytes]:
    """PROOF(old_size, D[n]) of RFC 9162 §2.1.4.1: shows the first ``old_size`` leaves are
    unchanged in the current tree, i.e. the log was only appended to. Empty when old_size is
    0 or n (nothing to prove)."""
    _check_hashes(leaf_hashes)
    return [_mth(leaf_hashes, lo, hi)
            for lo, hi in consistency_ranges(old_size, len(leaf_hashes))]


def consistency_ranges(old_size: int, size: int) -> list[tuple[int, int]]:
    """The leaf ranges [lo, hi) whose tree hashes are PROOF(old_size, D[size])."""
    if not 0 <= old_size <= size:
        raise ValueError(f"old size {old_size} outside 0..{size}")
    if old_size in (0, size):
        return []
    ranges: list[tuple[int, int]] = []
    m, lo, hi, complete = old_size, 0, size, True
    # SUBPROOF(m, D[lo:hi], complete), unrolled; nodes are collected leaf-end last, as in the RFC.
    while m != hi - lo:
        k = _split(hi - lo)
        if m <= k:
            ranges.append((lo + k, hi))
            hi = lo + k
        else:
            ranges.append((lo, lo + k))
            lo, m, complete = lo + k, m - k, False
    if not complete:
        ranges.append((lo, hi))
    ranges.reverse()
    return ranges


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: Sequence[bytes]
) -> bool:
    """True when ``proof`` shows the tree (old_size, old_root) is a prefix of the tree
    (new_size, new_root); RFC 9162 §2.1.4.2. Never raises on bad input."""
    if not 0 <= old_size <= new_size:
        return False
    if old_size == new_size:
        return not proof and old_root == new_root
    if old_size == 0:
        return not proof and old_root == EMPTY_ROOT  # the empty tree is a prefix of every tree
    if not proof:
        return False
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # old tree is a complete subtree: its root starts the path
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
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return sn == 0 and fr == old_root and sr == new_root


class MerkleAccumulator:
    """The running root of an append-only log without keeping (or rehashing) its leaves.

    Holds the "frontier": the roots of the perfect subtrees that the binary digits of ``size``
    split the log into, largest first. Appending merges equal-height subtrees like a binary
    carry (O(1) amortised, O(log n) worst case); `root` folds the frontier right to left, which
    is exactly RFC 6962's split at the largest power of two. At most 64 hashes for any real log,
    so a projection can persist it (`to_dict`) beside its position and resume after a restart.
    """

    __slots__ = ("_frontier", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._frontier: list[bytes] = []

    @property
    def size(self) -> int:
        """Number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> list[tuple[Subtree, bytes]]:
        """Add the next leaf (its `leaf_hash`, not the raw data); answer the interior nodes it
        completes, lowest first, for a store of them (at most 64; none for an even index)."""
        if len(leaf_hash) != HASH_SIZE:
            raise ValueError(f"leaf hashes are {HASH_SIZE} bytes, got {len(leaf_hash)}")
        h, carry, level = leaf_hash, self._size, 0
        completed: list[tuple[Subtree, bytes]] = []
        while carry & 1:  # each trailing 1-bit is a perfect subtree of the same height: merge
            h = node_hash(self._frontier.pop(), h)
            carry >>= 1
            level += 1
            completed.append(((level, self._size >> level), h))
        self._frontier.append(h)
        self._size += 1
        return completed

    def root(self) -> bytes:
        """The RFC 6962 root of everything appended so far; equals `root` over the same leaves."""
        return _fold(self._frontier) if self._frontier else EMPTY_ROOT

    def to_dict(self) -> dict[str, Any]:
        """A small JSON-able form: ``{"size": n, "frontier": [hex, ...]}``."""
        return {"size": self._size, "frontier": [h.hex() for h in self._frontier]}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> MerkleAccumulator:
        """Rebuild from `to_dict`, refusing a frontier that cannot belong to the stated size."""
        size = data["size"]
        frontier = data["frontier"]
        if not isinstance(size, int) or isinstance(size, bool) or size < 0:
            raise ValueError(f"accumulator size must be a non-negative integer, got {size!r}")
        if not isinstance(frontier, list) or len(frontier) != size.bit_count():
            raise ValueError(f"a tree of {size} leaves has {size.bit_count()} frontier hashes")
        hashes = [bytes.fromhex(h) for h in frontier]
        if any(len(h) != HASH_SIZE for h in hashes):
            raise ValueError(f"frontier hashes are {HASH_SIZE} bytes")
        acc = cls()
        acc._size, acc._frontier = size, hashes
        return acc
