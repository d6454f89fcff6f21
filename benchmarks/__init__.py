"""Benchmarks: scripts that print the project's figures beside the raw figure of the same
data in the same run (``python -m benchmarks.NAME --help``). Figures are printed, never
asserted: performance is not tested, only kept runnable.

The convention every script here follows, so that `benchmarks.smoke` (run by ``bin/test``
after the tests pass) keeps it alive: the module declares

    TINY: tuple[str, ...]

the command-line arguments of a run at a tiny N that takes seconds, not minutes. Any
``{postgres}`` in them is replaced by the libpq conninfo of the PostgreSQL the tests use; the
run makes its schemas ``bench_*`` and drops them. The smoke runner finds every module of
this package (but itself), runs ``python -m benchmarks.NAME *TINY`` and fails when a script
crashes or has no ``TINY``; the figures are printed, whatever they are.
"""
