"""The pure parts of image records and quotas: keys, cursors, days and Retry-After."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

import pytest

from chalicelib import quotas, records
from chalicelib.errors import RequestError

OWNER = "5f0c1e2a-1111-2222-3333-444455556666"
ID = "A" * 22


def key_of(moment: datetime, image_id: str = ID) -> dict:
    return {"pk": {"S": OWNER}, "sk": {"S": records.sort_key(records.timestamp(moment), image_id)}}


def test_sort_keys_sort_as_their_times():
    moments = [
        datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC),
        datetime(2026, 1, 2, 3, 4, 5, 60, tzinfo=UTC),
        datetime(2026, 10, 1, tzinfo=UTC),
        datetime(2027, 1, 1, tzinfo=UTC),
    ]
    sort_keys = [records.sort_key(records.timestamp(m), ID) for m in moments]
    assert sorted(sort_keys) == sort_keys
    assert sort_keys[0] == f"2026-01-02T03:04:05.000006Z#{ID}"
    assert all(records.SORT_KEY_PATTERN.fullmatch(k) for k in sort_keys)


def test_a_cursor_round_trips_and_is_url_safe():
    key = key_of(datetime(2026, 1, 2, tzinfo=UTC))
    cursor = records.encode_cursor(key)
    assert set(cursor) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert records.decode_cursor(cursor, OWNER) == key


def b64(value: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        pytest.param("", id="empty"),
        pytest.param("!!!", id="not-base64"),
        pytest.param(b64("x"), id="not-an-object"),
        pytest.param(b64({"pk": {"S": OWNER}}), id="no-sort-key"),
        pytest.param(
            records.encode_cursor({**key_of(datetime(2026, 1, 2, tzinfo=UTC)), "x": {"S": "1"}}),
            id="extra-key",
        ),
        pytest.param(
            records.encode_cursor({**key_of(datetime(2026, 1, 2, tzinfo=UTC)), "pk": {"S": "b"}}),
            id="another-owners-partition",
        ),
        pytest.param(
            records.encode_cursor({"pk": {"S": OWNER}, "sk": {"S": "2026-01-01"}}),
            id="not-a-sort-key",
        ),
        pytest.param(
            records.encode_cursor({"pk": {"S": OWNER}, "sk": {"N": "1"}}), id="wrong-type"
        ),
        pytest.param("A" * (records.MAX_CURSOR + 1), id="too-long"),
    ],
)
def test_a_forged_cursor_is_refused(cursor):
    with pytest.raises(RequestError) as refused:
        records.decode_cursor(cursor, OWNER)
    assert refused.value.code == "bad_cursor" and refused.value.status == 400


@pytest.mark.parametrize(
    ("now", "seconds"),
    [
        pytest.param(datetime(2026, 3, 1, 0, 0, 0, tzinfo=UTC), 86400, id="midnight"),
        pytest.param(datetime(2026, 3, 1, 23, 59, 59, tzinfo=UTC), 1, id="last-second"),
        pytest.param(datetime(2026, 3, 1, 23, 59, 59, 500000, tzinfo=UTC), 1, id="rounds-up"),
        pytest.param(datetime(2026, 3, 1, 12, 0, 0, tzinfo=UTC), 43200, id="noon"),
    ],
)
def test_retry_after_is_the_seconds_until_the_next_utc_day(now, seconds):
    assert quotas.retry_after(now) == seconds


def test_counters_are_per_utc_day_and_expire_after_it():
    now = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    assert quotas.day_of(now) == "2026-03-01"
    assert quotas.counter_key(OWNER, now) == {
        "pk": {"S": f"quota#{OWNER}"},
        "sk": {"S": "2026-03-01"},
    }
    assert quotas.expires_at(now) == int(datetime(2026, 3, 3, tzinfo=UTC).timestamp())
