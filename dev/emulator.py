"""moto's server, as the local stack runs it: S3, SQS, Cognito, DynamoDB and EventBridge
on loopback.

One fidelity fix: DynamoDB applies each conditional write atomically (that is what makes a
quota's `ConditionExpression` hold under concurrent requests), but moto's server serves
requests on many threads and evaluates a condition and writes the item without a lock
between them, so two requests can both pass a condition only one of them should. Here
every item write of moto's DynamoDB backend runs under one lock, as DynamoDB's own
per-item serialisation would. Nothing else of moto is changed.

Run: `python -m dev.emulator -H 127.0.0.1 -p 9001` (moto's own server arguments).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.dynamodb.models import DynamoDBBackend

#: Item writes that may carry a condition.
WRITES = ("put_item", "update_item", "delete_item", "transact_write_items")

_lock = threading.RLock()


def _serialised(write: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(write)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with _lock:
            return write(*args, **kwargs)

    return locked


def make_writes_atomic() -> None:
    for name in WRITES:
        original = getattr(DynamoDBBackend, name)
        if not getattr(original, "_picset_serialised", False):
            wrapped = _serialised(original)
            wrapped._picset_serialised = True  # type: ignore[attr-defined]
            setattr(DynamoDBBackend, name, wrapped)


def main() -> None:
    from moto.server import main as moto_main

    make_writes_atomic()
    moto_main()


if __name__ == "__main__":
    main()
