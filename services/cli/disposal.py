"""``skolefravaer dispose``: finds the pupils whose data is due for disposal and disposes of
it by crypto-shredding (PRIV-4); ``--dry-run`` only lists them."""

from __future__ import annotations

import argparse
import getpass
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from services.config import Settings

if TYPE_CHECKING:
    from services.bootstrap import Service
    from services.store.disposal import Due


def arguments(parser: argparse.ArgumentParser) -> None:
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--due", action="store_true",
                       help="every pupil whose retention has run out")
    which.add_argument("--pupil", type=UUID, help="one pupil (pupil_id), due or not")
    parser.add_argument("--tenant", help="the pupil's municipality (with --pupil)")
    parser.add_argument("--dry-run", action="store_true", help="list, dispose of nothing")
    parser.add_argument("--by", default=None,
                        help="who disposes (recorded; default: the operating system user)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.pupil and not args.tenant:
        print("--pupil needs --tenant", file=sys.stderr)
        return 2
    # Only now: the service's modules take seconds to import (as in ``services.cli``).
    from domain.retention import RetentionPolicy
    from services.bootstrap import build
    from services.store import disposal

    try:
        policy = RetentionPolicy.of(settings.retention_years)
    except ValueError as error:
        print(f"SKOLEFRAVAER_RETENTION_YEARS: {error}", file=sys.stderr)
        return 78
    service = build(settings, with_relay=False)
    try:
        for follower in service.projections:  # what is due is read from the views
            follower.catch_up()
        now = datetime.now(UTC)
        found = disposal.due(service.views, policy, now)
        if args.pupil:
            found = [d for d in found if d.pupil_id == args.pupil and d.tenant == args.tenant] \
                or [disposal.Due(args.tenant, args.pupil, now, disposal.ON_REQUEST)]
        return _dispose(service, found, args.dry_run, args.by or getpass.getuser())
    finally:
        service.close()


def _dispose(service: Service, found: list[Due], dry_run: bool, by: str) -> int:
    from services.store import disposal

    for due in found:
        line = f"{due.tenant} {due.pupil_id} {due.retention_class} due {due.due_at:%Y-%m-%d}"
        if dry_run:
            print(f"would dispose of {line}")
            continue
        try:
            at = disposal.dispose(service.app, service.views, due.tenant, due.pupil_id,
                                  retention_class=due.retention_class, due_at=due.due_at,
                                  by=by)
        except disposal.NoPupilKeys as error:
            print(error, file=sys.stderr)
            return 2
        print(f"disposed of {line} at {at.isoformat()}")
    print(f"{len(found)} pupil(s) {'due' if dry_run else 'disposed of'}")
    return 0
