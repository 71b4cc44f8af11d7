"""Who is calling the API.

# replaced by the identity change: this module is a placeholder of the interface the
# Cognito sign-in work provides (`Caller`; `app.current_caller()` raising `Unauthorized`).
# It is never shipped: the identity change replaces it at merge.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

#: A Cognito `sub` is a UUID. Refusing anything else also keeps an owner from ever
#: colliding with the table's other partitions (`quota#...`).
SUB_PATTERN = re.compile(r"[A-Za-z0-9-]{1,128}")


@dataclass(frozen=True)
class Caller:
    sub: str
    username: str
