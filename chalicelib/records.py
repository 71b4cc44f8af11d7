"""Image records in DynamoDB: who owns which image, listed newest first.

One table (`PICSET_TABLE_NAME`), keyed `pk` (partition) and `sk` (sort):

* an image record has `pk` = its owner's `sub` and `sk` = `<created_at>#<id>`, where
  `created_at` is a fixed-width UTC timestamp, so a Query on the owner in descending order
  lists their images newest first, and two images made in the same microsecond still
  have distinct keys;
* the global secondary index `by-id` (partition key `id`, all attributes) finds an
  image's owner from its id; only records have an `id`, so the index holds nothing else;
* the same table holds the daily quota counters under `pk` = `quota#<sub>`
  (`chalicelib.quotas`), a partition no owner can have (a `sub` never contains `#`).

Pages of a listing are resumed with an opaque cursor, the base64url of the Query's
`LastEvaluatedKey` as JSON, validated before use so a forged one can never read another
owner's partition. The boto3 client is passed in; the pure parts have no I/O.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from . import keys
from .errors import RequestError

PK = "pk"
SK = "sk"
ID_INDEX = "by-id"
#: microseconds and a `Z`: every timestamp has the same width, so strings sort as times
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
SORT_KEY_PATTERN = re.compile(
    r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z#" + keys.ID_PATTERN.pattern
)
#: far more than a real cursor (two short keys) needs; a longer one is refused unread
MAX_CURSOR = 600


@dataclass(frozen=True)
class ImageRecord:
    id: str
    owner: str
    filename: str
    alt: str
    content_type: str
    bytes: int
    created_at: str  # `TIMESTAMP_FORMAT`, UTC

    @property
    def key(self) -> dict[str, Any]:
        return {PK: {"S": self.owner}, SK: {"S": sort_key(self.created_at, self.id)}}


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def sort_key(created_at: str, image_id: str) -> str:
    return f"{created_at}#{image_id}"


def to_item(record: ImageRecord) -> dict[str, Any]:
    return {
        **record.key,
        "id": {"S": record.id},
        "owner": {"S": record.owner},
        "filename": {"S": record.filename},
        "alt": {"S": record.alt},
        "content_type": {"S": record.content_type},
        "bytes": {"N": str(record.bytes)},
        "created_at": {"S": record.created_at},
    }


def from_item(item: dict[str, Any]) -> ImageRecord:
    return ImageRecord(
        id=item["id"]["S"],
        owner=item["owner"]["S"],
        filename=item.get("filename", {}).get("S", ""),
        alt=item.get("alt", {}).get("S", ""),
        content_type=item.get("content_type", {}).get("S", ""),
        bytes=int(item.get("bytes", {}).get("N", "0")),
        created_at=item["created_at"]["S"],
    )


def encode_cursor(last_key: dict[str, Any]) -> str:
    raw = json.dumps(last_key, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, owner: str) -> dict[str, Any]:
    """The `ExclusiveStartKey` a cursor stands for; `RequestError` (400 `bad_cursor`)
    unless it is exactly a key of `owner`'s own partition: a cursor is client input, and
    an unchecked one could start a Query anywhere."""
    bad = RequestError("bad_cursor", "This cursor is not one a listing returned.")
    if not cursor or len(cursor) > MAX_CURSOR:
        raise bad
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        key = json.loads(raw)
    except (ValueError, binascii.Error):
        raise bad from None
    if not isinstance(key, dict) or set(key) != {PK, SK}:
        raise bad
    pk, sk = key[PK], key[SK]
    if pk != {"S": owner} or not isinstance(sk, dict) or set(sk) != {"S"}:
        raise bad
    if not isinstance(sk["S"], str) or SORT_KEY_PATTERN.fullmatch(sk["S"]) is None:
        raise bad
    return {PK: {"S": owner}, SK: {"S": sk["S"]}}


def put(client: Any, table: str, record: ImageRecord) -> None:
    client.put_item(
        TableName=table,
        Item=to_item(record),
        ConditionExpression="attribute_not_exists(#pk)",
        ExpressionAttributeNames={"#pk": PK},
    )


def page(
    client: Any, table: str, owner: str, limit: int, cursor: str | None
) -> tuple[list[ImageRecord], str | None]:
    """One page of `owner`'s records, newest first, and the cursor of the next (None
    after the last)."""
    query: dict[str, Any] = {
        "TableName": table,
        "KeyConditionExpression": "#pk = :owner",
        "ExpressionAttributeNames": {"#pk": PK},
        "ExpressionAttributeValues": {":owner": {"S": owner}},
        "ScanIndexForward": False,
        "Limit": limit,
    }
    if cursor:
        query["ExclusiveStartKey"] = decode_cursor(cursor, owner)
    response = client.query(**query)
    last = response.get("LastEvaluatedKey")
    return [from_item(item) for item in response.get("Items", [])], (
        encode_cursor(last) if last else None
    )


def find(client: Any, table: str, image_id: str) -> ImageRecord | None:
    """The record of `image_id` (through the `by-id` index), or None."""
    response = client.query(
        TableName=table,
        IndexName=ID_INDEX,
        KeyConditionExpression="#id = :id",
        ExpressionAttributeNames={"#id": "id"},
        ExpressionAttributeValues={":id": {"S": image_id}},
        Limit=1,
    )
    items = response.get("Items", [])
    return from_item(items[0]) if items else None


def set_alt(client: Any, table: str, record: ImageRecord, alt: str) -> None:
    client.update_item(
        TableName=table,
        Key=record.key,
        UpdateExpression="SET #alt = :alt",
        ConditionExpression="attribute_exists(#pk)",
        ExpressionAttributeNames={"#alt": "alt", "#pk": PK},
        ExpressionAttributeValues={":alt": {"S": alt}},
    )


def remove(client: Any, table: str, record: ImageRecord) -> None:
    client.delete_item(TableName=table, Key=record.key)
