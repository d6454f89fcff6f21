"""Development only: the local token issuer bin/run trusts, and tokens from it for any
role, school and municipality (the README's curl examples)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from services.config import Settings

DIRECTORY = "var/dev-issuer"
Command = Callable[[argparse.Namespace, Settings], int]


def arguments(parser: argparse.ArgumentParser, *, token: bool) -> None:
    parser.add_argument("--dir", type=Path, default=Path(DIRECTORY),
                        help=f"where the issuer's key is kept (default {DIRECTORY})")
    if not token:
        return
    parser.add_argument("--tenant", required=True, help="the municipality (kommunenummer)")
    parser.add_argument("--role", help="a member of staff's role (principal, contact_teacher…)")
    parser.add_argument("--school", action="append", default=[], help="a school (repeatable)")
    parser.add_argument("--class", dest="classes", action="append", default=[],
                        help="a class the person teaches (repeatable)")
    parser.add_argument("--scope", action="append", default=[],
                        help="a system's scope: events.write, reads, audit, metrics (repeatable;"
                             " makes it a system's token)")
    parser.add_argument("--id", help="the person or client (default: dev-<role> / dev-system)")
    parser.add_argument("--lifetime", type=int, default=3600, help="seconds (default 3600)")


def _development_only(command: Command) -> Command:
    """Refuses in production mode, where the development issuer is never trusted."""
    def run(args: argparse.Namespace, settings: Settings) -> int:
        if settings.mode == "production":
            print("no development issuer in production mode", file=sys.stderr)
            return 2
        # Imported here: `skolefravaer status` stays quick without the JWT libraries.
        from services.config import dev_issuer

        dev_issuer.ensure(args.dir)
        return command(args, settings)
    return run


@_development_only
def print_issuers(args: argparse.Namespace, settings: Settings) -> int:
    from services.config import dev_issuer

    print(json.dumps(dev_issuer.issuers(args.dir)))
    return 0


@_development_only
def print_token(args: argparse.Namespace, settings: Settings) -> int:
    from services.config import dev_issuer

    if bool(args.scope) == bool(args.role):
        print("give --role (a member of staff) or --scope (a system), not both",
              file=sys.stderr)
        return 2
    print(dev_issuer.token(args.dir, "system" if args.scope else "staff", args.tenant,
                           subject=args.id or f"dev-{args.role or 'system'}", role=args.role,
                           schools=tuple(args.school), classes=tuple(args.classes),
                           scopes=tuple(args.scope), lifetime=args.lifetime))
    return 0


COMMANDS: dict[str, Command] = {"token": print_token, "dev-issuer": print_issuers}
