"""Which share of the pupil views a municipality's events go to: the same in every process."""

from __future__ import annotations

import os
import subprocess
import sys
from types import SimpleNamespace

import pytest

from projections.shares import WHOLE, Share, Strangers, all_shares, share_of, tenant_of
from tests.conftest import ROOT

TENANTS = [f"{n:04d}" for n in range(300, 5700, 7)]


def test_every_municipality_falls_on_exactly_one_share_and_all_shares_get_some() -> None:
    for count in (2, 3, 8):
        owners = {tenant: [s.index for s in all_shares(count)
                           if s.owns(SimpleNamespace(envelope=SimpleNamespace(tenant=tenant)))]
                  for tenant in TENANTS}
        assert all(len(found) == 1 for found in owners.values())
        assert {found[0] for found in owners.values()} == set(range(count))


def test_the_share_of_a_municipality_does_not_depend_on_the_process() -> None:
    # Python's hash() of a string changes with PYTHONHASHSEED; the share must not.
    script = "from projections.shares import share_of; print(share_of('0301', 8), " \
             "share_of('4601', 3))"
    answers = {subprocess.run([sys.executable, "-c", script], cwd=ROOT, text=True, check=True,
                              capture_output=True, env={**os.environ, "PYTHONHASHSEED": seed}
                              ).stdout for seed in ("1", "2")}

    assert answers == {f"{share_of('0301', 8)} {share_of('4601', 3)}\n"} == {"5 0\n"}


def test_the_tenant_of_an_event_is_its_envelopes_or_its_own() -> None:
    assert tenant_of(SimpleNamespace(envelope=SimpleNamespace(tenant="0301"))) == "0301"
    assert tenant_of(SimpleNamespace(tenant="1103")) == "1103"  # a disposal record
    assert tenant_of(SimpleNamespace()) == ""


def test_one_share_keeps_the_projections_own_name_and_takes_everything() -> None:
    assert WHOLE.name("pupil-views") == "pupil-views"
    assert Share(3, 8).name("pupil-views") == "pupil-views/3of8"
    assert WHOLE.owns(SimpleNamespace())
    with pytest.raises(ValueError):
        Share(2, 2)


def test_a_share_remembers_only_the_latest_streams_of_other_shares() -> None:
    strangers = Strangers(limit=2)
    strangers.add("a")
    strangers.add("b")
    assert strangers.known("a")  # seen again: the latest now
    strangers.add("c")

    assert not strangers.known("b")  # fell out: its next event is decoded again
    assert strangers.known("a") and strangers.known("c")
