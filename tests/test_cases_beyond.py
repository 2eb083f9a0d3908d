"""The cases beyond the CSTO and NATO (issue 20): they load, and they are the files whose SHA-256
list was committed before any score on them (data/cases_beyond/SHA256SUMS)."""

from __future__ import annotations

import hashlib

import pytest

from alliancesim.cases import load_cases
from alliancesim.data import bundled

FOLDER = bundled.DATA / "cases_beyond"
pytestmark = pytest.mark.skipif(not (FOLDER / "SHA256SUMS").is_file(),
                                reason="no frozen cases beyond the CSTO and NATO yet")


def test_the_frozen_files_are_unchanged() -> None:
    listed = {}
    for line in (FOLDER / "SHA256SUMS").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            digest, name = line.split()
            listed[name] = digest
    files = {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
             for p in sorted(FOLDER.glob("*.yaml"))}
    assert files == listed


def test_they_load_beyond_two_alliances() -> None:
    cases = load_cases(FOLDER)
    assert len({c.alliance_id for c in cases} - {"csto", "nato"}) >= 6
    for c in cases:
        assert c.sources and c.coding.get("rung") and c.coding.get("request")
