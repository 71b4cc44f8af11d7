"""The reference SSIMULACRA2 scores (tests/data/ssimulacra2-reference.json) and the pairs
they were computed on, checked: a pair whose pixels changed since is skipped with what
changed, since its recorded score no longer applies. Shared by the tests that hold a scorer
to the reference."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.ssim_pairs import Pair, encoder_versions, make_pair, pixels_sha256

DATA = Path(__file__).resolve().parent / "data" / "ssimulacra2-reference.json"
REFERENCE: dict[str, Any] = json.loads(DATA.read_text())
RECORDED: dict[str, dict[str, Any]] = REFERENCE["pairs"]


@cache
def checked_pair(name: str) -> Pair:
    """The pair as the reference scored it, or a skip saying what changed."""
    pair = make_pair(name)
    recorded = RECORDED[name]
    recorded_with = ", ".join(f"{k} {v}" for k, v in REFERENCE["encoders"].items())
    installed = ", ".join(f"{k} {v}" for k, v in encoder_versions().items())
    for part, image in (("source", pair.source), ("distorted", pair.distorted)):
        if pixels_sha256(image) != recorded[f"{part}_sha256"]:
            pytest.skip(
                f"{name}: the {part} pixels differ from the ones the reference scored "
                f"(recorded with {recorded_with}; installed: {installed}); "
                "re-record with dev/ssim_reference.py"
            )
    return pair
