"""The pure domain of Skolefravær: aggregates, value objects and rules.

Nothing here performs I/O. Rule IDs in docstrings and exceptions refer to
``../shared/spec/RULES.md``.
"""
