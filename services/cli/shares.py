"""The pupil views in shares of municipalities (`projections.shares`): which shares a worker
follows, and changing their number (``skolefravaer reshard``)."""

from __future__ import annotations

import argparse
import sys

from projections import shares
from projections.follower import Follower, ViewSink
from projections.positions import PositionMoved
from projections.pupil_views import PupilViews
from services.bootstrap import Service
from services.config import Settings

VIEWS = PupilViews.name


def follow(service: Service, count: int | None = None, chosen: list[int] | None = None
           ) -> None:
    """Make ``service``'s pupil views the shares ``chosen`` of ``count`` (by default: all
    of the recorded number, as built), each under a lease of its own. Raises
    `shares.LayoutChanged` when ``count`` is not the recorded number (and the views have
    folded events), and ValueError for a share that is not one."""
    count = shares.recorded(service.views, VIEWS) if count is None else count
    shares.claim(service.views, VIEWS, count)
    picked = ([shares.Share(k, count) for k in sorted(set(chosen))] if chosen
              else shares.all_shares(count))
    if [f.name for f in service.projections] == [share.name(VIEWS) for share in picked]:
        return  # as built
    service.projections[:] = [Follower(service.app, ViewSink(service.views, PupilViews(), share))
                              for share in picked]
    assert service.leases is not None
    for follower in service.projections:
        follower.lease = service.leases.lease(follower.name)


def reshard(args: argparse.Namespace, settings: Settings) -> int:
    """Bring every share to one position, then swap the shares' rows for the new number's,
    in one transaction: nothing folded twice, nothing skipped. Refuses while a worker
    follows a share (stop the workers; start them again with the new number)."""
    from services.bootstrap import build

    if args.shares < 1:
        print("--shares is 1 or more", file=sys.stderr)
        return 2
    service = build(settings, with_relay=False)
    try:
        old = shares.recorded(service.views, VIEWS)
        follow(service, old)
        assert service.leases is not None
        busy = [f.name for f in service.projections if not service.leases.lease(f.name).held()]
        if busy:
            print(f"a worker follows {', '.join(busy)}: stop the workers first",
                  file=sys.stderr)
            return 1
        at = _swap(service, old, args.shares)
        print(f"{VIEWS}: {old} share(s) became {args.shares} at position {at}")
        return 0
    finally:
        service.close()


def _swap(service: Service, old: int, new: int) -> int:
    while True:
        # A read may bring a share forward meanwhile (consistent reads fold too): again.
        at = max(shares.positions_of(service.views, VIEWS).values())
        for follower in service.projections:
            while follower.run_once(until=at):
                pass
        try:
            with service.views.transaction() as tx:
                shares.swap(tx, VIEWS, old, new, at)
            return at
        except PositionMoved:
            continue
