"""The caller for in-process handler tests: chalice's test client cannot present a token
that the pool on a real emulator signed, so these tests replace `app.current_caller` with
this, which names the caller from an `X-Picset-Test-Sub` header. It exists only here;
the app verifies tokens (tests/test_identity.py, and over HTTP tests/test_access.py)."""

from __future__ import annotations

import app as picset_app
from chalicelib.errors import Unauthorized
from chalicelib.identity import SUB_PATTERN, Caller


def header_caller() -> Caller:
    request = picset_app.app.current_request
    sub = request.headers.get("x-picset-test-sub", "") if request is not None else ""
    if SUB_PATTERN.fullmatch(sub) is None:
        raise Unauthorized()
    return Caller(sub=sub, username=sub)
