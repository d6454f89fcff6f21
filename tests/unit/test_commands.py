"""The contract loads each posted event into a typed, frozen command the handlers take."""

from __future__ import annotations

import dataclasses
from datetime import date, time

import pytest

from domain.case_records import Contact
from domain.records import Absence, AbsenceScope, Lesson
from services.intake import commands as c
from services.intake.contract import DATA_SCHEMAS, INTERNAL_SCHEMAS
from services.intake.handlers import HANDLERS
from services.intake.loading import load
from tests.support.case_events import agreement, contact
from tests.support.events import absent, enrolled, new_pupil

EVERY_SCHEMA = {**DATA_SCHEMAS, **INTERNAL_SCHEMAS}


@pytest.mark.parametrize("event_type", sorted(EVERY_SCHEMA))
def test_every_event_type_loads_into_a_frozen_command_with_a_handler(event_type: str) -> None:
    command = type(EVERY_SCHEMA[event_type]).command

    assert dataclasses.is_dataclass(command)
    assert command.__dataclass_params__.frozen  # type: ignore[attr-defined]
    assert command in HANDLERS


def test_an_absence_loads_as_the_domain_s_absence_and_cannot_be_changed() -> None:
    pupil = new_pupil()
    command = load(DATA_SCHEMAS["AbsenceRecorded"], absent(pupil, "2026-09-01", period=3)["data"],
                   prefix="data")

    assert command == c.RecordAbsence(pupil_id=command.pupil_id, fact=Absence(
        date(2026, 9, 1), AbsenceScope.LESSON, Lesson(period=3)))
    assert str(command.pupil_id) == pupil
    with pytest.raises(dataclasses.FrozenInstanceError):
        command.pupil_id = None


def test_lists_load_as_tuples_so_records_stay_frozen_and_hashable() -> None:
    enrolment = load(DATA_SCHEMAS["PupilEnrolled"], enrolled(new_pupil())["data"],
                     prefix="data").enrolment
    signed = load(DATA_SCHEMAS["CollaborationAgreementSigned"],
                  agreement(new_pupil(), "2026-09-10T10:00:00+02:00")["data"],
                  prefix="data").agreement

    assert isinstance(enrolment.guardians, tuple)
    assert isinstance(signed.measures, tuple) and isinstance(signed.signed_by, tuple)
    hash(signed)


def test_a_contact_s_date_time_becomes_the_day_and_the_time_pol_4_asks_for() -> None:
    logged = load(DATA_SCHEMAS["ContactLogged"],
                  contact(new_pupil(), "2026-10-06T00:30:00+02:00")["data"], prefix="data")

    assert isinstance(logged.contact, Contact)
    assert logged.contact.at_time is not None
    assert (logged.contact.on, logged.contact.at_time.replace(tzinfo=None)) == (
        date(2026, 10, 6), time(0, 30))
