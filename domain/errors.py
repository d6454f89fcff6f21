"""Why the domain refuses something."""

from __future__ import annotations


class RuleViolation(Exception):
    """An inbound fact breaks a rule; nothing is stored.

    ``field`` is the path of the offending field in the posted event (``data.date``),
    ``rule`` the rule ID from RULES.md where one applies, ``code`` a stable
    machine-readable reason for integrators.
    """

    def __init__(self, code: str, detail: str, *, field: str | None = None,
                 rule: str | None = None) -> None:
        super().__init__(detail)
        self.code = code
        self.detail = detail
        self.field = field
        self.rule = rule
