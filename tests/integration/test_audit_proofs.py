"""Proofs from stored subtrees are the RFC 6962 proofs over the whole log, on both databases.

`AuditLog` stores the interior nodes each batch completes and answers inclusion and consistency
proofs from them and the leaves they need; `merkle.inclusion_proof` and
`merkle.consistency_proof`, computed here over every recorded leaf, are the reference.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import cycle

import pytest

from services.bootstrap import Service
from services.evidence import merkle
from services.evidence.keys import build_audit_log, public_key
from services.evidence.recorder import LOWEST_STORED_LEVEL, AuditLog, recorded_at
from services.evidence.verify import verify_store
from tests.support.audit import recorded_leaf_hashes
from tests.support.events import enrolled, new_pupil

NO_ENVIRONMENT: dict[str, str] = {}
LOG_SIZE = 70  # stored events: 35 posted, each with its receipt
# Batches of one (every tree size gets a checkpoint) and batches ending inside subtrees.
BATCH_PATTERNS = [(1,), (3, 5, 2, 7, 1, 6), (13, 4, 17, 9, 27)]

Nodes = dict[merkle.Subtree, bytes]


@pytest.fixture(params=["sqlite_service", "pg_service"])
def service(request: pytest.FixtureRequest) -> Service:
    found: Service = request.getfixturevalue(request.param)
    return found


def stored_events(service: Service, posted: int = LOG_SIZE // 2) -> list[int]:
    """Post ``posted`` enrolments (each stored with its receipt, and nothing decided on
    them); answer every stored position."""
    service.ingestor.ingest([enrolled(new_pupil()) for _ in range(posted)])
    return [n.id for n in service.app.recorder.select_notifications(start=1, limit=10_000)]


def audit_log(service: Service) -> AuditLog:
    return build_audit_log(service.app, service.views, service.settings, NO_ENVIRONMENT)


def batches(log: AuditLog, pattern: tuple[int, ...]) -> Iterator[int]:
    """Record the log a batch at a time, the batch sizes taken from ``pattern`` in turn;
    answer the tree size after each batch."""
    for size in cycle(pattern):
        log.batch_size = size
        if not log.run_once():
            return
        latest = log.latest_checkpoint()
        assert latest is not None
        yield latest[0]


def stored_nodes(service: Service) -> Nodes:
    with service.views.transaction() as tx:
        rows = tx.execute("SELECT level, idx, hash FROM audit_node")
    return {(int(level), int(idx)): bytes.fromhex(h) for level, idx, h in rows}


def every_node(leaves: list[bytes]) -> Nodes:
    """The hash of every complete subtree of the stored levels, from the leaves."""
    return {(level, index): merkle.root(leaves[index << level:(index + 1) << level])
            for level in range(LOWEST_STORED_LEVEL, len(leaves).bit_length())
            for index in range(len(leaves) >> level)}


def assert_every_inclusion_proof_is_the_reference(log: AuditLog, positions: list[int],
                                                  size: int) -> None:
    leaves = recorded_leaf_hashes(log, size)
    proofs = log.proofs(positions)
    assert proofs is not None and proofs.size == size
    assert list(proofs.by_position) == positions[:size]  # in the order asked, recorded only
    for index, position in enumerate(positions[:size]):
        assert proofs.by_position[position] == (index, merkle.inclusion_proof(leaves, index))


# Proofs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("pattern", BATCH_PATTERNS, ids=str)
def test_every_leaf_of_every_tree_reached_has_the_reference_inclusion_proof(
        service: Service, pattern: tuple[int, ...]) -> None:
    positions = stored_events(service)
    log = audit_log(service)

    sizes = []
    for size in batches(log, pattern):
        # stored as the batches came, not filled in afterwards
        assert stored_nodes(service) == every_node(recorded_leaf_hashes(log, size))
        assert_every_inclusion_proof_is_the_reference(log, positions, size)
        sizes.append(size)

    assert sizes[-1] == len(positions) == LOG_SIZE
    if pattern == (1,):
        assert sizes == list(range(1, LOG_SIZE + 1))


def test_every_earlier_tree_has_the_reference_consistency_proof(service: Service) -> None:
    stored_events(service)
    log = audit_log(service)

    for size in batches(log, BATCH_PATTERNS[-1]):
        leaves = recorded_leaf_hashes(log, size)
        for old_size in range(size + 1):
            assert log.consistency(old_size, size) == merkle.consistency_proof(leaves, old_size)


def test_leaves_are_found_by_position_and_unrecorded_positions_left_out(
        service: Service) -> None:
    positions = stored_events(service)
    log = audit_log(service)
    log.batch_size = 10
    log.run_once()
    leaves = recorded_leaf_hashes(log, 10)

    found = recorded_at(service.views, [positions[12], positions[3], positions[0], 10**9])

    assert found == {positions[3]: (3, leaves[3].hex()), positions[0]: (0, leaves[0].hex())}
    assert recorded_at(service.views, []) == {}


# Back-filling a log recorded before nodes were stored ----------------------------------------


def forget_nodes(service: Service) -> None:
    with service.views.transaction() as tx:
        tx.execute("DELETE FROM audit_node")


def test_a_log_recorded_without_nodes_is_back_filled_when_the_audit_log_starts(
        service: Service) -> None:
    positions = stored_events(service)
    log = audit_log(service)
    list(batches(log, (9,)))
    recorded = stored_nodes(service)
    forget_nodes(service)

    restarted = audit_log(service)

    assert stored_nodes(service) == recorded == every_node(recorded_leaf_hashes(log, LOG_SIZE))
    assert_every_inclusion_proof_is_the_reference(restarted, positions, LOG_SIZE)


def test_nodes_missing_under_a_running_audit_log_are_back_filled_when_a_proof_needs_them(
        service: Service) -> None:
    # As when an older version recorded the first batches: the nodes completed later, some
    # over leaves recorded before, are stored; the ones before are not.
    positions = stored_events(service)
    log = audit_log(service)
    log.batch_size = 23
    log.run_once()
    forget_nodes(service)
    list(batches(log, (11,)))

    assert stored_nodes(service) != every_node(recorded_leaf_hashes(log, LOG_SIZE))
    assert_every_inclusion_proof_is_the_reference(log, positions, LOG_SIZE)
    assert stored_nodes(service) == every_node(recorded_leaf_hashes(log, LOG_SIZE))


def test_a_proof_that_needs_a_deleted_leaf_is_refused(service: Service) -> None:
    positions = stored_events(service)
    log = audit_log(service)
    log.catch_up()
    with service.views.transaction() as tx:
        tx.execute("DELETE FROM audit_leaf WHERE leaf_index = 5")

    with pytest.raises(LookupError, match="leaves and nodes a proof needs"):
        log.proofs([positions[4]])  # leaf 5 is its sibling


# What verify says about nodes --------------------------------------------------------------------


def test_an_edited_node_is_reported_by_verify_and_breaks_the_proofs_through_it(
        service: Service) -> None:
    positions = stored_events(service)
    log = audit_log(service)
    log.catch_up()
    with service.views.transaction() as tx:
        tx.execute("UPDATE audit_node SET hash = :forged WHERE level = 3 AND idx = 1",
                   {"forged": "00" * 32})
    key = public_key(service.views, NO_ENVIRONMENT)
    latest = log.latest_checkpoint()
    assert key is not None and latest is not None

    result = verify_store(service.app, service.views, key=key)
    proofs = log.proofs(positions)

    assert (result.intact, result.first_broken_position) == (False, None)
    assert result.reason is not None and "node over leaves 8 to 15" in result.reason
    assert proofs is not None
    leaves = recorded_leaf_hashes(log, LOG_SIZE)
    root = merkle.root(leaves)
    # The node is the level-3 sibling of leaves 0 to 7; other proofs take the nodes above it.
    assert [index for index, proof in proofs.by_position.values()
            if not merkle.verify_inclusion(leaves[index], index, LOG_SIZE, proof, root)
            ] == list(range(8))


def test_a_missing_node_is_no_finding_of_verify(service: Service) -> None:
    stored_events(service)
    audit_log(service).catch_up()
    forget_nodes(service)
    key = public_key(service.views, NO_ENVIRONMENT)

    result = verify_store(service.app, service.views, key=key)

    assert result.intact and result.checked == LOG_SIZE
