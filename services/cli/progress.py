"""What the operator sees while a long command runs: a progress bar (tqdm) and a question
before anything is destroyed — both only on a terminal. In files and CI logs a bar's
carriage returns are noise, and an unanswered question would hang the job."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import NoReturn, TypeAlias

from tqdm import tqdm

Bar: TypeAlias = "tqdm[NoReturn]"


@contextmanager
def progress(description: str, total: int | None = None) -> Iterator[Bar]:
    """A bar on stderr counting events; nothing at all when stderr is not a terminal."""
    with tqdm(desc=description, total=total, unit=" events", file=sys.stderr,
              disable=not sys.stderr.isatty(), dynamic_ncols=True) as bar:
        yield bar


def confirmed(question: str) -> bool:
    """Ask on the terminal; without one (a script, a pipe) the answer is no."""
    if not sys.stdin.isatty():
        return False
    answer = input(f"{question} [y/N] ")
    return answer.strip().lower() in {"y", "yes"}
