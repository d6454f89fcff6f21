"""Deterministic aggregate ids.

Every id is derived from the tenant (kommunenummer) and the sender's own key, so the
same pupil in two municipalities are two aggregates, and replaying the same input
always addresses the same aggregate.
"""

from __future__ import annotations

from uuid import UUID, uuid5

NAMESPACE = UUID("6f1c1f8e-3c55-4f7e-9a43-5d1b8f0e2a61")


def scoped_id(tenant: str, kind: str, *key: object) -> UUID:
    return uuid5(NAMESPACE, "/".join([tenant, kind, *map(str, key)]))
