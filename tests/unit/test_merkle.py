"""The RFC 6962 / RFC 9162 Merkle tree that makes the event log tamper-evident."""

from __future__ import annotations

import hashlib
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.evidence.merkle import (
    EMPTY_ROOT,
    MerkleAccumulator,
    Subtree,
    consistency_proof,
    consistency_ranges,
    inclusion_proof,
    inclusion_ranges,
    leaf_hash,
    node_hash,
    root,
    subtree_hash,
    subtrees,
    tree_hash,
    verify_consistency,
    verify_inclusion,
)

# Certificate Transparency's reference leaves and tree heads, as published with RFC 6962
# implementations (transparency-dev/merkle testonly): another implementation's answers.
REFERENCE_LEAVES = [
    bytes.fromhex(h)
    for h in ["", "00", "10", "2021", "3031", "40414243", "5051525354555657",
              "606162636465666768696a6b6c6d6e6f"]
]  # fmt: skip
REFERENCE_ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
REFERENCE_HASHES = [leaf_hash(leaf) for leaf in REFERENCE_LEAVES]

MAX_SIZE = 70
LEAVES = [leaf_hash(f"hendelse {i}".encode()) for i in range(MAX_SIZE)]
ROOTS = [root(LEAVES[:n]) for n in range(MAX_SIZE + 1)]


def flipped(data: bytes, position: int = 0) -> bytes:
    return data[:position] + bytes([data[position] ^ 0x01]) + data[position + 1 :]


# --- Known answers -------------------------------------------------------------------------------


def test_the_empty_tree_has_the_hash_of_the_empty_string_as_root() -> None:
    empty_root = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    assert root([]).hex() == empty_root
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT


def test_one_empty_leaf_has_the_hash_of_a_single_zero_byte_as_root() -> None:
    assert root([leaf_hash(b"")]) == hashlib.sha256(b"\x00").digest()


def test_nodes_are_hashed_with_a_0x01_prefix_so_they_never_pass_for_leaves() -> None:
    left, right = leaf_hash(b"l"), leaf_hash(b"r")
    assert node_hash(left, right) == hashlib.sha256(b"\x01" + left + right).digest()
    assert node_hash(left, right) != leaf_hash(left + right)


def test_roots_agree_with_the_certificate_transparency_reference_for_sizes_0_to_8() -> None:
    for size, expected in enumerate(REFERENCE_ROOTS):
        assert root(REFERENCE_HASHES[:size]).hex() == expected, f"size {size}"


def test_proofs_agree_with_the_certificate_transparency_reference() -> None:
    assert [h.hex()[:8] for h in inclusion_proof(REFERENCE_HASHES, 0)] == [
        "96a296d2", "5f083f0a", "6b47aaf2"
    ]  # fmt: skip
    assert [h.hex()[:8] for h in inclusion_proof(REFERENCE_HASHES, 5)] == [
        "bc1a0643", "ca854ea1", "d37ee418"
    ]  # fmt: skip
    assert [h.hex()[:8] for h in consistency_proof(REFERENCE_HASHES, 2)] == [
        "5f083f0a", "6b47aaf2"
    ]  # fmt: skip
    assert [h.hex()[:8] for h in consistency_proof(REFERENCE_HASHES, 6)] == [
        "0ebc5d34", "ca854ea1", "d37ee418"
    ]  # fmt: skip
    assert [h.hex()[:8] for h in consistency_proof(REFERENCE_HASHES[:5], 2)] == [
        "5f083f0a", "bc1a0643"
    ]  # fmt: skip


# --- Inclusion -----------------------------------------------------------------------------------


@pytest.mark.parametrize("size", range(MAX_SIZE + 1))
def test_every_leaf_of_every_tree_up_to_70_has_an_inclusion_proof_that_verifies(
    size: int,
) -> None:
    leaves = LEAVES[:size]
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert verify_inclusion(leaves[index], index, size, proof, ROOTS[size])


@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_an_inclusion_proof_proves_nothing_about_other_leaves_places_or_trees(size: int) -> None:
    leaves = LEAVES[:size]
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        assert not verify_inclusion(flipped(leaves[index]), index, size, proof, ROOTS[size])
        assert not verify_inclusion(leaf_hash(b"en annen"), index, size, proof, ROOTS[size])
        for wrong_index in range(size):
            if wrong_index != index:
                assert not verify_inclusion(leaves[index], wrong_index, size, proof, ROOTS[size])
        for wrong_size in (size - 1, size + 1):
            if wrong_size < len(ROOTS):
                assert not verify_inclusion(
                    leaves[index], index, wrong_size, proof, ROOTS[wrong_size]
                )
        assert not verify_inclusion(leaves[index], index, size, proof, flipped(ROOTS[size], 31))


@pytest.mark.parametrize("size", range(2, MAX_SIZE + 1))
def test_a_tampered_truncated_extended_or_reordered_proof_fails(size: int) -> None:
    leaves = LEAVES[:size]
    for index in range(size):
        proof = inclusion_proof(leaves, index)
        for k in range(len(proof)):
            bad = [*proof[:k], flipped(proof[k], k), *proof[k + 1 :]]
            assert not verify_inclusion(leaves[index], index, size, bad, ROOTS[size])
        assert not verify_inclusion(leaves[index], index, size, proof[:-1], ROOTS[size])
        assert not verify_inclusion(leaves[index], index, size, [*proof, EMPTY_ROOT], ROOTS[size])
        if len(proof) >= 2:
            swapped = [proof[1], proof[0], *proof[2:]]
            assert not verify_inclusion(leaves[index], index, size, swapped, ROOTS[size])


@pytest.mark.parametrize("size", range(2, MAX_SIZE + 1))
def test_swapping_two_neighbouring_leaves_changes_the_root_and_breaks_their_proofs(
    size: int,
) -> None:
    for first in range(size - 1):
        swapped = list(LEAVES[:size])
        swapped[first], swapped[first + 1] = swapped[first + 1], swapped[first]
        assert root(swapped) != ROOTS[size]
        for index in (first, first + 1):
            proof = inclusion_proof(LEAVES[:size], index)
            assert not verify_inclusion(swapped[index], index, size, proof, ROOTS[size])
            assert not verify_inclusion(LEAVES[index], index, size, proof, root(swapped))


def test_proofs_are_only_given_for_leaves_that_exist() -> None:
    with pytest.raises(IndexError):
        inclusion_proof(LEAVES[:5], 5)
    with pytest.raises(IndexError):
        inclusion_proof([], 0)
    assert not verify_inclusion(LEAVES[0], 0, 0, [], EMPTY_ROOT)
    assert not verify_inclusion(LEAVES[0], -1, 5, inclusion_proof(LEAVES[:5], 0), ROOTS[5])


def test_data_where_leaf_hashes_belong_is_refused() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        root([b"not a hash"])
    with pytest.raises(ValueError, match="32 bytes"):
        MerkleAccumulator().append(b"not a hash")


# --- Consistency ---------------------------------------------------------------------------------

CONSISTENCY_MAX = 40


@pytest.mark.parametrize("new_size", range(CONSISTENCY_MAX + 1))
def test_every_earlier_tree_is_proven_a_prefix_of_every_later_one(new_size: int) -> None:
    for old_size in range(new_size + 1):
        proof = consistency_proof(LEAVES[:new_size], old_size)
        assert verify_consistency(old_size, new_size, ROOTS[old_size], ROOTS[new_size], proof)


@pytest.mark.parametrize("new_size", range(1, CONSISTENCY_MAX + 1))
def test_a_rewritten_prefix_cannot_be_proven_consistent(new_size: int) -> None:
    for old_size in range(1, new_size + 1):
        for rewritten_at in {0, old_size // 2, old_size - 1}:
            history = list(LEAVES[:new_size])
            history[rewritten_at] = leaf_hash(b"omskrevet")
            new_root = root(history)
            honest = consistency_proof(LEAVES[:new_size], old_size)
            forged = consistency_proof(history, old_size)
            assert not verify_consistency(old_size, new_size, ROOTS[old_size], new_root, honest)
            assert not verify_consistency(old_size, new_size, ROOTS[old_size], new_root, forged)


@pytest.mark.parametrize("new_size", range(2, CONSISTENCY_MAX + 1))
def test_a_tampered_truncated_extended_or_misdated_consistency_proof_fails(new_size: int) -> None:
    new_root = ROOTS[new_size]
    for old_size in range(1, new_size):
        proof = consistency_proof(LEAVES[:new_size], old_size)
        for k in range(len(proof)):
            bad = [*proof[:k], flipped(proof[k], k), *proof[k + 1 :]]
            assert not verify_consistency(old_size, new_size, ROOTS[old_size], new_root, bad)
        assert not verify_consistency(old_size, new_size, ROOTS[old_size], new_root, proof[:-1])
        assert not verify_consistency(
            old_size, new_size, ROOTS[old_size], new_root, [*proof, EMPTY_ROOT]
        )
        assert not verify_consistency(old_size, new_size, ROOTS[old_size], new_root, [])
        assert not verify_consistency(new_size, old_size, new_root, ROOTS[old_size], proof)
        for other_old in range(1, new_size):  # the proof is for one pair of sizes only
            if other_old != old_size:
                assert not verify_consistency(
                    other_old, new_size, ROOTS[other_old], new_root, proof
                )
        for other_new in range(old_size + 1, CONSISTENCY_MAX + 1):
            if other_new != new_size:
                assert not verify_consistency(
                    old_size, other_new, ROOTS[old_size], ROOTS[other_new], proof
                )


def test_the_degenerate_consistency_cases() -> None:
    assert verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [])
    assert not verify_consistency(0, 8, ROOTS[1], ROOTS[8], [])
    assert not verify_consistency(0, 8, EMPTY_ROOT, ROOTS[8], [EMPTY_ROOT])
    assert verify_consistency(5, 5, ROOTS[5], ROOTS[5], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[6], [])
    assert not verify_consistency(5, 5, ROOTS[5], ROOTS[5], [ROOTS[5]])
    assert not verify_consistency(-1, 5, EMPTY_ROOT, ROOTS[5], [])
    with pytest.raises(ValueError):
        consistency_proof(LEAVES[:5], 6)


# --- The accumulator -----------------------------------------------------------------------------


@given(st.lists(st.binary(max_size=40), max_size=100))
def test_the_accumulator_has_the_same_root_as_the_whole_tree_after_every_append(
    data: list[bytes],
) -> None:
    hashes = [leaf_hash(d) for d in data]
    acc = MerkleAccumulator()
    assert acc.root() == EMPTY_ROOT
    for n, h in enumerate(hashes, start=1):
        acc.append(h)
        assert acc.size == n
        assert acc.root() == root(hashes[:n])


@given(st.lists(st.binary(max_size=20), max_size=80), st.data())
def test_the_accumulator_resumes_from_its_json_form(data: list[bytes], draw: st.DataObject) -> None:
    hashes = [leaf_hash(d) for d in data]
    cut = draw.draw(st.integers(0, len(hashes)))
    before = MerkleAccumulator()
    for h in hashes[:cut]:
        before.append(h)
    saved = json.loads(json.dumps(before.to_dict()))
    assert len(saved["frontier"]) == bin(cut).count("1")  # O(log n) to persist
    resumed = MerkleAccumulator.from_dict(saved)
    assert (resumed.size, resumed.root()) == (before.size, before.root())
    for h in hashes[cut:]:
        resumed.append(h)
    assert resumed.root() == root(hashes)


def test_the_accumulator_keeps_up_with_a_large_log() -> None:
    hashes = [leaf_hash(i.to_bytes(4, "big")) for i in range(10_000)]
    acc = MerkleAccumulator()
    for h in hashes:
        acc.append(h)
    assert acc.root() == root(hashes)
    assert len(acc.to_dict()["frontier"]) == bin(10_000).count("1")


@pytest.mark.parametrize(
    "saved",
    [
        {"size": 3, "frontier": [EMPTY_ROOT.hex()]},  # 3 leaves are 2 perfect subtrees
        {"size": 1, "frontier": ["abcd"]},
        {"size": -1, "frontier": []},
        {"size": True, "frontier": [EMPTY_ROOT.hex()]},
    ],
)
def test_a_frontier_that_cannot_belong_to_its_size_is_refused(saved: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        MerkleAccumulator.from_dict(saved)


# --- Proofs from stored complete subtrees --------------------------------------------------------


def stored_subtrees(leaves: list[bytes], lowest_level: int = 1) -> dict[Subtree, bytes]:
    """What a store keeps: each leaf at level 0, and each node from ``lowest_level`` up as the
    accumulator completes it."""
    acc, stored = MerkleAccumulator(), {}
    for index, leaf in enumerate(leaves):
        stored[(0, index)] = leaf
        stored.update((s, h) for s, h in acc.append(leaf) if s[0] >= lowest_level)
    return stored


def test_the_accumulator_completes_every_interior_node_once_with_its_tree_hash() -> None:
    stored = stored_subtrees(LEAVES)
    for (level, index), node in stored.items():
        lo = index << level
        assert node == root(LEAVES[lo : lo + (1 << level)])
    size = len(LEAVES)
    assert len(stored) == size + size - size.bit_count()  # leaves + floor(n / 2**k), k >= 1


@pytest.mark.parametrize("lowest_level", [1, 3])
@pytest.mark.parametrize("size", range(1, MAX_SIZE + 1))
def test_stored_subtrees_give_every_inclusion_and_consistency_proof(
    size: int, lowest_level: int
) -> None:
    # Subtrees completed by later leaves are stored too, as in a log that kept growing.
    stored = stored_subtrees(LEAVES, lowest_level)
    for index in range(size):
        assert [tree_hash(stored, lo, hi) for lo, hi in inclusion_ranges(index, size)] == (
            inclusion_proof(LEAVES[:size], index))
    for old_size in range(size + 1):
        assert [tree_hash(stored, lo, hi) for lo, hi in consistency_ranges(old_size, size)] == (
            consistency_proof(LEAVES[:size], old_size))
    assert tree_hash(stored, 0, size) == ROOTS[size]


def test_a_range_is_made_of_one_aligned_subtree_per_bit_of_its_length() -> None:
    assert subtrees(0, 13) == [(3, 0), (2, 2), (0, 12)]
    assert subtrees(16, 22) == [(2, 4), (1, 10)]
    assert subtrees(5, 5) == []
    with pytest.raises(ValueError, match="does not start a subtree"):
        subtrees(2, 6)  # four leaves from leaf 2 on are no subtree of the tree


def test_a_subtree_not_given_is_joined_from_its_halves_down_to_the_leaves() -> None:
    leaves = {(0, index): leaf for index, leaf in enumerate(LEAVES[:8])}
    given = {**leaves, (1, 1): ROOTS[1]}  # a node that is given is taken as it is
    assert subtree_hash(given, (2, 0)) == node_hash(node_hash(LEAVES[0], LEAVES[1]), ROOTS[1])
    assert subtree_hash(leaves, (3, 0)) == ROOTS[8]
    with pytest.raises(KeyError, match="leaf 8"):
        subtree_hash(leaves, (1, 4))
