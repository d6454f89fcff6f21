"""The ``skolefravaer`` command: the background worker and the operators' tasks."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from importlib.metadata import version

from services.cli import dev, disposal, status
from services.config import ConfigError, Settings, logs

DESCRIPTION = """\
Skolefravær's background worker and operator tasks. Settings are read from the
environment (see the README's configuration table); a bad value stops the command
with exit code 78 and a log line naming the variable."""


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="skolefravaer", description=DESCRIPTION)
    root.add_argument("--version", action="version",
                      version=f"%(prog)s {version('skolefravaer')}")
    commands = root.add_subparsers(dest="command", required=True, metavar="command")

    def command(name: str, summary: str) -> argparse.ArgumentParser:
        return commands.add_parser(name, help=summary, description=summary[0].upper()
                                   + summary[1:] + ".")

    worker = command("worker", "follow the log: projections, audit log, deadline clock, "
                               "Kafka relays")
    worker.add_argument("--no-relay", dest="relay", action="store_false",
                        help="do not publish to Kafka even when it is configured")
    worker.add_argument("--only-relay", action="store_true", help="run only the Kafka relays")
    worker.add_argument("--shares", type=int, default=None, metavar="N",
                        help="the pupil views' number of shares (default: as recorded, else 1)")
    worker.add_argument("--share", type=int, action="append", default=None, metavar="K",
                        help="follow share K (0 … N-1; repeatable); by default every share, "
                             "each while no other worker follows it")
    command("catch-up", "bring every projection to the head of the log once")
    rebuild = command("rebuild", "empty the pupil views and build them again from the log")
    rebuild.add_argument("--yes", action="store_true",
                         help="do not ask (needed when stdin is not a terminal)")
    reshard = command("reshard", "change the pupil views' number of shares (stop the workers "
                                 "first)")
    reshard.add_argument("--shares", type=int, required=True, metavar="N")
    verify = command("verify", "recompute the tamper-evident log; exit 1 if it is broken")
    verify.add_argument("--public-key", help="the published public key (PEM file)")
    verify.add_argument("--no-catch-up", dest="catch_up", action="store_false",
                        help="do not first record events the audit log has not seen")
    check = command("status", "print each worker's lag; exit 1 past --max-lag or when the "
                              "store does not answer")
    check.add_argument("--max-lag", type=int, default=None, help="the most lag that is healthy")
    disposal.arguments(command("dispose", "dispose of the data of pupils whose retention "
                                          "has run out: destroy each one's key (PRIV-4)"))
    dev.arguments(command("token", "print an access token of the development issuer "
                                   "(development mode only)"), token=True)
    dev.arguments(command("dev-issuer", "create the development issuer if need be; print the "
                                        "AUTH_ISSUERS that trusts it"), token=False)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = Settings.from_environ()
    except ConfigError as error:
        logs.refuse_to_start(error)
    logs.configure(settings)
    return _command(args.command)(args, settings)


def _command(name: str) -> Callable[[argparse.Namespace, Settings], int]:
    if name == "status":
        return status.run
    if name in dev.COMMANDS:
        return dev.COMMANDS[name]
    if name == "dispose":
        return disposal.run
    # Only now: the service's modules take seconds to import, and status does without them.
    from services.cli.commands import COMMANDS

    return COMMANDS[name]
