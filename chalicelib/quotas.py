"""Per-person daily quotas: uploads and bytes per UTC day, in the records table.

A counter item per person and day, `pk` = `quota#<sub>`, `sk` = the day (`YYYY-MM-DD`),
holds `uploads` and `bytes`, and an `expires_at` for DynamoDB's TTL to remove it once
the day is over. A ticket reserves one upload and its declared size with ONE conditional
UpdateItem: ADD both, on condition that the totals before it leave room for both. DynamoDB
applies each such update atomically, so any number of concurrent requests at the limit
can never take more than it: every one but those that fit fails its condition.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from .errors import QuotaExceeded
from .records import PK, SK

PREFIX = "quota#"
#: keep a finished day's counter one more day (TTL deletes within days anyway)
KEEP = timedelta(days=1)


@dataclass(frozen=True)
class Limits:
    uploads: int
    bytes: int


def day_of(now: datetime) -> str:
    return now.astimezone(UTC).strftime("%Y-%m-%d")


def next_day(now: datetime) -> datetime:
    today = now.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    return today + timedelta(days=1)


def retry_after(now: datetime) -> int:
    """Whole seconds until the next UTC day (at least 1), for `Retry-After`."""
    return max(1, math.ceil((next_day(now) - now.astimezone(UTC)).total_seconds()))


def expires_at(now: datetime) -> int:
    """When the day's counter may go: the epoch seconds DynamoDB's TTL reads."""
    return int((next_day(now) + KEEP).timestamp())


def counter_key(sub: str, now: datetime) -> dict[str, Any]:
    return {PK: {"S": f"{PREFIX}{sub}"}, SK: {"S": day_of(now)}}


def reserve(client: Any, table: str, sub: str, size: int, now: datetime, limits: Limits) -> None:
    """Count one upload of `size` bytes against `sub`'s day, or raise `QuotaExceeded`."""
    refused = QuotaExceeded(
        f"You have reached today's upload limit ({limits.uploads:,} uploads or "
        f"{limits.bytes:,} bytes a day). It starts again at midnight UTC.",
        retry_after(now),
    )
    if size > limits.bytes:
        raise refused
    try:
        client.update_item(
            TableName=table,
            Key=counter_key(sub, now),
            UpdateExpression="ADD #uploads :one, #bytes :size SET #expires = :expires",
            ConditionExpression=(
                "(attribute_not_exists(#uploads) OR #uploads <= :uploads_room) AND "
                "(attribute_not_exists(#bytes) OR #bytes <= :bytes_room)"
            ),
            ExpressionAttributeNames={
                "#uploads": "uploads",
                "#bytes": "bytes",
                "#expires": "expires_at",
            },
            ExpressionAttributeValues={
                ":one": {"N": "1"},
                ":size": {"N": str(size)},
                ":expires": {"N": str(expires_at(now))},
                ":uploads_room": {"N": str(limits.uploads - 1)},
                ":bytes_room": {"N": str(limits.bytes - size)},
            },
        )
    except client.exceptions.ConditionalCheckFailedException:
        raise refused from None
