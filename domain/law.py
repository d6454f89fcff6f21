"""The legal basis of each step, as data (LAW-1).

The guideline cites the Education Act of 1998; the Education Act of 2023 renumbered it
from 1 August 2024. Which section a decision, letter or diploma outcome cites depends on
its date, and the table lives in ``legal_basis.json`` so that a change of law is a data
change. Every row says whether it has been verified against Lovdata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources


@dataclass(frozen=True)
class LegalBasis:
    topic: str
    act: str
    section: str
    paragraph: str | None
    in_force_from: date
    in_force_to: date | None
    verified: bool

    def in_force_on(self, day: date) -> bool:
        return self.in_force_from <= day and (self.in_force_to is None
                                              or day <= self.in_force_to)

    @property
    def citation(self) -> str:
        """As cited in Norwegian text: "opplæringslova § 2-2 fjerde ledd"."""
        act = self.act.split(" (")[0]
        return " ".join(part for part in (act, self.section, self.paragraph) if part)

    def as_dict(self) -> dict[str, object]:
        return {"topic": self.topic, "act": self.act, "section": self.section,
                "paragraph": self.paragraph, "citation": self.citation,
                "in_force_from": self.in_force_from.isoformat(),
                "in_force_to": self.in_force_to.isoformat() if self.in_force_to else None,
                "verified": self.verified}


@cache
def legal_bases() -> tuple[LegalBasis, ...]:
    table = json.loads(resources.files("domain").joinpath("legal_basis.json").read_text())
    return tuple(
        LegalBasis(topic=row["topic"], act=row["act"], section=row["section"],
                   paragraph=row["paragraph"],
                   in_force_from=date.fromisoformat(row["in_force_from"]),
                   in_force_to=date.fromisoformat(row["in_force_to"])
                   if row["in_force_to"] else None,
                   verified=row["verified"])
        for row in table["rows"])


class NoLegalBasis(LookupError):
    """No row of the table covers this topic on this date: the table needs a row."""


def legal_basis(topic: str, on: date) -> LegalBasis:
    for basis in legal_bases():
        if basis.topic == topic and basis.in_force_on(on):
            return basis
    raise NoLegalBasis(f"no legal basis for {topic!r} on {on.isoformat()}")
