import base64
import json

import pytest
from moto import mock_aws

from chalicelib import aws, tickets
from chalicelib.errors import RequestError
from chalicelib.settings import Settings

SETTINGS = Settings(bucket="picset-test", max_upload_bytes=10_000)
GOOD = {"filename": "cat.jpg", "content_type": "image/jpeg", "size": 500}


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param([], "bad_request", id="not-an-object"),
        pytest.param({"filename": "a.jpg"}, "missing_field", id="missing-fields"),
        pytest.param({**GOOD, "filename": ""}, "bad_filename", id="empty-name"),
        pytest.param({**GOOD, "filename": 7}, "bad_filename", id="name-not-string"),
        pytest.param({**GOOD, "content_type": "text/html"}, "unsupported_type", id="html"),
        pytest.param({**GOOD, "content_type": "image/svg+xml"}, "unsupported_type", id="svg"),
        pytest.param({**GOOD, "size": 0}, "bad_size", id="zero-size"),
        pytest.param({**GOOD, "size": "500"}, "bad_size", id="size-string"),
        pytest.param({**GOOD, "size": True}, "bad_size", id="size-bool"),
        pytest.param({**GOOD, "size": 10_001}, "too_large", id="oversize"),
        pytest.param({**GOOD, "alt": 5}, "bad_alt", id="alt-not-string"),
    ],
)
def test_rejects_bad_requests(body, code):
    with pytest.raises(RequestError) as caught:
        tickets.parse_request(body, SETTINGS)
    assert caught.value.code == code
    assert caught.value.status == 400


def test_accepts_a_good_request_and_normalises_type():
    parsed = tickets.parse_request({**GOOD, "content_type": "Image/JPEG"}, SETTINGS)
    assert parsed == tickets.TicketRequest("cat.jpg", "image/jpeg", 500, None)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("photo.jpg", "photo.jpg", id="plain"),
        pytest.param("../../etc/passwd", "passwd", id="traversal"),
        pytest.param("C:\\Users\\me\\pic.png", "pic.png", id="windows-path"),
        pytest.param("a\x00b\nc.jpg", "abc.jpg", id="control-chars"),
        pytest.param("..", "upload", id="dot-dot"),
        pytest.param("x" * 500, "x" * 200, id="long"),
        pytest.param("<script>.jpg", "<script>.jpg", id="html-kept-as-text"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert tickets.sanitize_filename(raw) == clean


def test_metadata_round_trips_non_ascii():
    name = "façade été 東京.jpg"
    encoded = tickets.encode_meta(name)
    assert encoded.isascii()
    assert tickets.decode_meta(encoded) == name


@mock_aws
def test_ticket_fixes_key_type_size_and_name():
    client = aws.client("s3", SETTINGS)
    request = tickets.parse_request({**GOOD, "alt": "A cat"}, SETTINGS)
    ticket = tickets.issue_ticket(client, SETTINGS, request, "A" * 22)
    fields = ticket["fields"]
    assert fields["key"] == "uploads/" + "A" * 22
    assert fields["Content-Type"] == "image/jpeg"
    assert fields["x-amz-meta-filename"] == "cat.jpg"
    assert fields["x-amz-meta-alt"] == "A cat"
    assert fields["x-amz-algorithm"] == "AWS4-HMAC-SHA256"
    policy = json.loads(base64.b64decode(fields["policy"]))
    assert ["content-length-range", 1, 10_000] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ticket["expires_in"] == SETTINGS.ticket_expiry_seconds
