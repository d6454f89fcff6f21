"""How long the case presentation takes to draw, for the realistic case grown to a large
pupil, printed as numbers (issue 15's target: the PDF of a 1,000-event pupil under 2 s).

    python -m benchmarks.dossier_render                    # a pupil of about 1,000 events
    python -m benchmarks.dossier_render --lessons 3000 --profile

Posts the realistic case of tests/support (every record kind) to an embedded SQLite store,
then ``--lessons`` lesson absences, and times: the dossier's data (``Dossiers.build``), the
people-facing model, its HTML and its PDF, each the median of ``--runs``. The machine is
shared: compare numbers from one run, not runs. ``--profile`` prints where the PDF's time
goes (cProfile) and ``--out`` keeps the PDF.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import pypdfium2

from benchmarks.proofs import lessons, timed
from domain.envelope import Actor, Role
from domain.privacy import Sight
from services.reads.history import Reader
from services.reads.rendering import pdf as paper
from services.reads.rendering.dossier import html_of
from services.reads.rendering.people import document
from tests.support.events import TENANT, absent
from tests.support.realistic_case import Municipality, realistic_case

# A run of seconds, for benchmarks.smoke.
TINY = ("--lessons", "20", "--runs", "1")

READER = Reader(Actor("benchmark", Role.PRINCIPAL), Sight.of(Role.PRINCIPAL, None))


def grow(office: Municipality, pupil: str, count: int) -> None:
    """``count`` lesson absences in the autumn, posted in batches as the platform would."""
    found = lessons()
    events = [absent(pupil, day, period=period, occurred_at="2026-12-18T15:00:00+01:00")
              for day, period in (next(found) for _ in range(count))]
    for start in range(0, len(events), 500):
        office.at("2027-02-01T10:00", *events[start:start + 500])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lessons", type=int, default=450,
                        help="lesson absences added to the realistic case")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--out", type=Path, help="write the PDF here")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        office = Municipality(Path(folder))
        try:
            pupil = realistic_case(office)
            started = time.perf_counter()
            grow(office, pupil, args.lessons)
            print(f"posted {args.lessons} more lesson absences in "
                  f"{time.perf_counter() - started:.0f} s")
            measure(office, uuid.UUID(pupil), args)
        finally:
            office.close()


def measure(office: Municipality, pupil: uuid.UUID, args: argparse.Namespace) -> None:
    dossiers = office.service.dossiers

    def built() -> dict[str, Any]:
        found = dossiers.build(pupil, TENANT, READER)
        assert found is not None, "the realistic case's pupil is enrolled"
        return found

    made = timed("dossier data (Dossiers.build)", built, args.runs)
    model = timed("people-facing model", lambda: document(made), args.runs)
    timed("HTML from the model", lambda: html_of(model), args.runs)
    pdf = timed("PDF from the model", lambda: paper.render(model), args.runs)
    timed("PDF, data and all (build + render)",
          lambda: paper.render(document(built())), args.runs)
    rows = sum(len(b.get("rows", [])) for s in model["sections"] + model["appendices"]
               for b in s["blocks"])
    print(f"the pupil: {len(made['timeline'])} events; the document: {rows} table rows, "
          f"{len(pypdfium2.PdfDocument(pdf))} pages, {len(pdf) / 1024:.0f} KiB")
    if args.out:
        args.out.write_bytes(pdf)
    if args.profile:
        profiler = cProfile.Profile()
        profiler.runcall(paper.render, model)
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
