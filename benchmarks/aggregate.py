"""What deciding one event costs a pupil and the pupil's case as their history grows, in
memory, no database (issue 15: ingestion whose cost does not grow with history).

    python -m benchmarks.aggregate                   # N = 1,000 and 5,000
    python -m benchmarks.aggregate --events 20000

One pupil, enrolled for as many school years as the events need, and the pupil's case,
driven as the intake handlers drive them: absences by day and by lesson, guardians'
notices, late arrivals, "arrived, then left", corrections (ABS-9) of any earlier fact, and
the day closing (CON-3) each time the school day moves on — about five events a day. Prints
the CPU time per 1,000 events in each tenth of the run (the last tenth's over the first's:
flat is ≤ 1.2), and the bytes the pupil aggregate holds per fact it remembers
(tracemalloc). The machine is shared: compare the figures of one run.

Measured (2 shared cores). Before issue 15, when the pupil kept every fact in full and
the case re-read them, and every open task, for each event: N = 1,000: 247 ms per 1,000
events in the first tenth, 3,541 in the last (14×); N = 5,000: 876 → 43,166 (49×); 387
bytes per fact. After (facts indexed by month, tasks by what ends them): N = 1,000: 154 →
99; N = 5,000: 100 → 95; N = 20,000: 122 → 113 (last/first ≤ 1.0); 341 bytes per fact.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
import tracemalloc
from collections.abc import Callable
from datetime import date, datetime
from datetime import time as clock
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

from domain.case import Context, FollowUpCase
from domain.envelope import Actor, Envelope, Role
from domain.pupil import Pupil
from domain.records import (
    Absence,
    AbsenceNotice,
    AbsenceScope,
    Enrolment,
    Guardian,
    GuardianRelation,
    LateArrival,
    LeftSchool,
    Lesson,
    NoticeCause,
    NoticeChannel,
)
from domain.rule_sets import RuleSet
from domain.school_days import SchoolDays

TINY = ("--events", "300")

OSLO = ZoneInfo("Europe/Oslo")
WEEKDAYS = SchoolDays(None)
GUARDIAN = "guardian-1"
FIRST_YEAR = 2026
EVENTS_PER_DAY = 5


class Driver:
    """A pupil and case and the events the benchmark feeds them, drawn from a seed."""

    def __init__(self, events: int, seed: int = 1) -> None:
        self.rng = random.Random(seed)
        self.rules = RuleSet()
        self.pupil_id = self.uuid()
        self.day = date(FIRST_YEAR, 8, 17)
        self.facts: list[tuple[UUID, Any]] = []
        years = events // (EVENTS_PER_DAY * 190) + 2
        enrolled = self.envelope("PupilEnrolled")
        self.pupil = Pupil.enrolled(enrolled, self.enrolment(0))
        for year in range(1, years):
            self.pupil.enrol(self.envelope("PupilEnrolled"), self.enrolment(year))
        self.case = FollowUpCase.started(enrolled, self.pupil_id)
        self.context = Context(self.pupil, lambda day: self.rules, lambda day: WEEKDAYS)
        self.follow()

    def uuid(self) -> UUID:
        return UUID(int=self.rng.getrandbits(128))

    def enrolment(self, year: int) -> Enrolment:
        first = FIRST_YEAR + year
        return Enrolment(self.pupil_id, "school-1", f"{first}-{first + 1}", 1 + year % 10, "1A",
                         "teacher-1", (Guardian(GUARDIAN, GuardianRelation.MOTHER),),
                         name="Kari", national_id="01011012384")

    def envelope(self, kind: str, role: Role = Role.CONTACT_TEACHER, hour: int = 9) -> Envelope:
        when = datetime.combine(self.day, clock(hour, 0), OSLO)
        return Envelope(self.uuid(), kind, 1, "3101", when, when, Actor(f"{role.value}-1", role),
                        "benchmark")

    def step(self, index: int) -> None:
        if index and index % EVENTS_PER_DAY == 0:
            self.case.close_day(self.envelope("DayClosed", Role.SERVICE, 23), self.day,
                                self.context)
            self.day = WEEKDAYS.next_after(self.day)
        else:
            self.fact()
        self.follow()

    def fact(self) -> None:
        draw = self.rng.random()
        if draw < 0.3:
            self.record("AbsenceRecorded", self.pupil.record_absence,
                        Absence(self.day, AbsenceScope.DAY), WEEKDAYS)
        elif draw < 0.6:
            self.record("AbsenceRecorded", self.pupil.record_absence,
                        Absence(self.day, AbsenceScope.LESSON, Lesson(self.rng.randint(1, 6))),
                        WEEKDAYS)
        elif draw < 0.7:
            self.record("LateArrivalRecorded", self.pupil.record_late_arrival,
                        LateArrival(self.day, None, 10), WEEKDAYS)
        elif draw < 0.75:
            self.record("LeftSchoolRecorded", self.pupil.record_left_school,
                        LeftSchool(self.day, clock(11, 0)), WEEKDAYS)
        elif draw < 0.9 or not self.facts:
            lessons = None if self.rng.random() < 0.5 else (self.rng.randint(1, 6),)
            self.record("AbsenceNoticeReceived", self.pupil.receive_notice, AbsenceNotice(
                self.day, self.day, NoticeCause.ILLNESS, NoticeChannel.SMS, GUARDIAN, lessons))
        else:
            self.correct()

    def record(self, kind: str, call: Callable[..., None], fact: Any, *args: Any) -> None:
        envelope = self.envelope(kind, Role.GUARDIAN if kind == "AbsenceNoticeReceived"
                                 else Role.CONTACT_TEACHER)
        call(envelope, fact, *args)
        self.facts.append((envelope.event_id, fact))

    def correct(self) -> None:
        """Any earlier fact: void, or the same fact again (its day unchanged)."""
        index = self.rng.randrange(len(self.facts))
        event_id, fact = self.facts.pop(index)
        replacement = fact if self.rng.random() < 0.5 else None
        self.pupil.correct(self.envelope("RecordCorrected"), event_id, "feil", replacement,
                           WEEKDAYS)
        if replacement is not None:
            self.facts.append((event_id, fact))

    def follow(self) -> None:
        for fact in self.pupil.collect_events():
            self.case.follow(fact, self.context)
        self.case.collect_events()


def by_tenth(events: int) -> list[float]:
    """CPU milliseconds per 1,000 events in each tenth of ``events``."""
    driver = Driver(events)
    tenth = events // 10
    found = []
    for part in range(10):
        started = time.process_time()
        for index in range(part * tenth, (part + 1) * tenth):
            driver.step(index)
        found.append((time.process_time() - started) * 1000 / tenth * 1000)
    return found


def bytes_per_fact(facts: int) -> float:
    """What the pupil aggregate holds per fact, facts recorded and their events dropped."""
    gc.collect()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    driver = Driver(facts)
    driver.case = FollowUpCase.started(driver.envelope("x"), driver.pupil_id)
    for _ in range(facts):
        driver.fact()
        driver.pupil.collect_events()
    remembered = len(driver.facts)
    del driver.case, driver.facts, driver.context
    gc.collect()
    held = tracemalloc.get_traced_memory()[0] - before
    tracemalloc.stop()
    return held / remembered


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, nargs="*", default=[1000, 5000])
    arguments = parser.parse_args()
    for events in arguments.events:
        tenths = by_tenth(events)
        print(f"N={events:,}: ms CPU per 1,000 events by tenth: "
              + " ".join(f"{t:.0f}" for t in tenths)
              + f" | last/first {tenths[-1] / tenths[0]:.2f}")
    print(f"pupil aggregate: {bytes_per_fact(1000):.0f} bytes per fact (1,000 facts)")


if __name__ == "__main__":
    main()
