"""The report of originals without a manifest (`dev.unprocessed`), against moto's S3 in
process: what counts as unprocessed, what may still be processing, and paging past
S3's 1000 keys a page. `tests/test_cli.py` runs the command itself over HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from moto import mock_aws

from chalicelib import aws, keys
from chalicelib.settings import Settings
from dev import unprocessed

BUCKET = "picset-report"
BOUND = 240


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = aws.client("s3", Settings(bucket=BUCKET))
        client.create_bucket(Bucket=BUCKET)
        yield client


def put(s3: Any, key: str, size: int = 10) -> None:
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"x" * size)


def later(seconds: float) -> datetime:
    return datetime.now(UTC) + timedelta(seconds=seconds)


def test_only_originals_without_a_manifest_are_reported(s3):
    ready, failed, never = keys.new_image_id(), keys.new_image_id(), keys.new_image_id()
    for image_id in (ready, failed, never):
        put(s3, keys.upload_key(image_id), 100)
    put(s3, keys.manifest_key(ready))
    put(s3, keys.manifest_key(failed))
    put(s3, f"images/{never}/19ade3f2a1b-7c9d2e/320w.avif")  # a killed run's variant
    put(s3, "uploads/not-a-picset-key")
    report = unprocessed.find(s3, BUCKET, later(BOUND + 60), BOUND)
    assert [o.image_id for o in report.unprocessed] == [never]
    assert report.pending == []
    assert (report.checked, report.foreign) == (3, 1)
    (entry,) = report.to_dict()["unprocessed"]
    assert entry["key"] == keys.upload_key(never) and entry["bytes"] == 100
    assert BOUND + 59 <= entry["age_seconds"] <= BOUND + 120


def test_an_original_younger_than_the_bound_is_reported_apart(s3):
    young = keys.new_image_id()
    put(s3, keys.upload_key(young), 2_000)
    report = unprocessed.find(s3, BUCKET, later(BOUND - 60), BOUND)
    assert report.unprocessed == []
    assert [o.image_id for o in report.pending] == [young]
    assert report.to_dict()["processing_bytes"] == 2_000
    text = unprocessed.text(report)
    assert text.startswith(f"processing\t{young}\t")
    assert "0 unprocessed original(s), 0 B in all, of 1 in picset-report" in text
    assert "1 more, 2.0 KB, younger than that: they may still be processing" in text


def test_pages_past_a_thousand_originals(s3):
    ids = [keys.new_image_id() for _ in range(1003)]
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda image_id: put(s3, keys.upload_key(image_id)), ids))
    put(s3, keys.manifest_key(ids[0]))
    report = unprocessed.find(s3, BUCKET, later(BOUND + 1), BOUND)
    assert report.checked == 1003
    assert sorted(o.image_id for o in report.unprocessed) == sorted(ids[1:])
    assert unprocessed.total_bytes(report.unprocessed) == 1002 * 10


def test_a_small_page_size_sees_every_original(s3):
    ids = [keys.new_image_id() for _ in range(5)]
    for image_id in ids:
        put(s3, keys.upload_key(image_id))
    pages = list(unprocessed.pages(s3, BUCKET, page_size=2))
    assert [len(page) for page in pages] == [2, 2, 1]
    report = unprocessed.find(s3, BUCKET, later(BOUND + 1), BOUND, page_size=2)
    assert len(report.unprocessed) == 5


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        pytest.param(0, "0s", id="now"),
        pytest.param(45, "45s", id="seconds"),
        pytest.param(725, "12m 5s", id="minutes"),
        pytest.param(5 * 3600 + 3 * 60 + 9, "5h 3m", id="hours"),
        pytest.param(3 * 86400 + 4 * 3600 + 59, "3d 4h", id="days"),
        pytest.param(-5, "0s", id="clock-skew"),
    ],
)
def test_human_age(seconds, shown):
    assert unprocessed.human_age(timedelta(seconds=seconds)) == shown
