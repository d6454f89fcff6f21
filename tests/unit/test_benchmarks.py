"""The benchmarks' convention (benchmarks/__init__.py): every script declares the arguments
of a tiny run, which the smoke run of bin/test uses; a script without them is not kept alive."""

from __future__ import annotations

import importlib

from benchmarks import smoke


def test_every_benchmark_declares_tiny_arguments() -> None:
    names = smoke.scripts()
    assert "proofs" in names and "smoke" not in names
    for name in names:
        tiny = getattr(importlib.import_module(f"benchmarks.{name}"), "TINY", None)
        assert isinstance(tiny, tuple) and all(isinstance(a, str) for a in tiny), name


def test_the_conninfo_is_filled_into_the_tiny_arguments() -> None:
    arguments = smoke.tiny_arguments("proofs", "host=db dbname=test")
    assert arguments is not None
    assert arguments[arguments.index("--postgres") + 1] == "host=db dbname=test"
