"""The guideline's conversation guides (§8, FOL-20) and measure catalogue (§9, FOL-13),
as data extracted from the guideline (``follow_up_catalogue.json``)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("domain").joinpath("follow_up_catalogue.json").read_text()
    return json.loads(text)  # type: ignore[no-any-return]


def measure(code: str) -> dict[str, Any] | None:
    return next((m for m in catalogue()["measure_catalogue"] if m["code"] == code), None)


def guide_questions(kind: str) -> set[str]:
    """Every question of the conversation guide for ``kind`` (pupil or guardian)."""
    guide = catalogue()["conversation_guides"].get(kind)
    if guide is None:
        return set()
    return {q for topic in guide.get("topics", []) for q in topic.get("questions", [])}
