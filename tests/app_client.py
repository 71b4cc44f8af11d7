"""The app in-process, for handler tests: moto's S3 and DynamoDB mocked, the bucket and
the records table made, and chalice's test client with a caller.

Chalice's test client cannot present a token that the pool on a real emulator signed, so
these tests replace `app.current_caller` with `header_caller`, which names the caller
from an `X-Picset-Test-Sub` header. It exists only here; the app verifies tokens
(tests/test_identity.py, and over HTTP tests/test_access.py).
A module takes the fixtures as `s3 = app_client.s3` and `client = app_client.client`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from chalice.test import Client
from moto import mock_aws

import app as picset_app
from chalicelib.errors import Unauthorized
from chalicelib.identity import SUB_PATTERN, Caller
from dev.bootstrap import create_table

BUCKET = "picset-test"


def header_caller() -> Caller:
    request = picset_app.app.current_request
    sub = request.headers.get("x-picset-test-sub", "") if request is not None else ""
    if SUB_PATTERN.fullmatch(sub) is None:
        raise Unauthorized()
    return Caller(sub=sub, username=sub)


@pytest.fixture
def s3() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        create_table(boto3.client("dynamodb", region_name="us-east-1"), "picset-images")
        picset_app._clients.clear()
        yield client
        picset_app._clients.clear()


@pytest.fixture
def client(s3: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Client]:
    monkeypatch.setattr(picset_app, "current_caller", header_caller)
    with Client(picset_app.app) as test_client:
        yield test_client
