"""Every benchmark at a tiny N, so the scripts stay alive (the convention: `benchmarks`).

    python -m benchmarks.smoke --postgres "host=127.0.0.1 user=postgres dbname=test"

Runs each script of the package with its ``TINY`` arguments, ``--jobs`` at a time (they wait
on PostgreSQL more than they compute), prints each one's output when it ends and how long it
took, and exits non-zero if any script crashed or declares no ``TINY``. Figures are
printed, never judged.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import benchmarks

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 300  # seconds: a tiny run that takes this long has stopped being tiny
DEFAULT_POSTGRES = os.environ.get("SKOLEFRAVAER_TEST_POSTGRES",
                                  "host=127.0.0.1 port=5432 user=postgres dbname=test")


def scripts() -> list[str]:
    """The package's modules but this one, by name."""
    return sorted(module.name for module in pkgutil.iter_modules(benchmarks.__path__)
                  if module.name != "smoke")


def tiny_arguments(name: str, postgres: str) -> list[str] | None:
    """The script's ``TINY`` arguments with the conninfo filled in; None if it has none."""
    tiny = getattr(importlib.import_module(f"benchmarks.{name}"), "TINY", None)
    return None if tiny is None else [argument.replace("{postgres}", postgres)
                                      for argument in tiny]


def run(name: str, postgres: str) -> bool:
    """Run one script at its tiny N; print its output; answer whether it ran through."""
    arguments = tiny_arguments(name, postgres)
    if arguments is None:
        print(f"=== {name}: no TINY arguments (see benchmarks/__init__.py)", flush=True)
        return False
    started = time.perf_counter()
    try:
        done = subprocess.run([sys.executable, "-m", f"benchmarks.{name}", *arguments],
                              cwd=ROOT, timeout=TIMEOUT, check=False, text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output, status = done.stdout, f"exit {done.returncode}"
    except subprocess.TimeoutExpired as late:
        output, status = str(late.output or ""), f"still running after {TIMEOUT} s"
    print(f"=== {name} {' '.join(arguments)}\n{output.rstrip()}\n"
          f"=== {name}: {status} in {time.perf_counter() - started:.1f} s", flush=True)
    return status == "exit 0"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="libpq conninfo")
    parser.add_argument("--jobs", type=int, default=3, help="scripts run at once")
    parser.add_argument("names", nargs="*", help="only these scripts (default: all)")
    args = parser.parse_args()
    names, started = args.names or scripts(), time.perf_counter()
    with ThreadPoolExecutor(args.jobs) as pool:
        ran = dict(zip(names, pool.map(lambda name: run(name, args.postgres), names),
                       strict=True))
    failed = [name for name, ok in ran.items() if not ok]
    print(f"benchmarks smoke: {len(names) - len(failed)} of {len(names)} ran through, "
          f"failed: {', '.join(failed) or 'none'} ({time.perf_counter() - started:.0f} s)")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
