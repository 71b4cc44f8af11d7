"""Routes and the resize handler through chalice's test client, against moto in-process."""

import json

import pytest
from chalice.test import Client

from chalicelib import keys, tickets
from tests import app_client
from tests.app_client import BUCKET
from tests.conftest import make_image

s3 = app_client.s3  # the in-process app and its mocked AWS, shared by the handler tests
client = app_client.client

#: the caller, as `tests.callers.header_caller` reads it in place of a verified token
SIGNED_IN = {"X-Picset-Test-Sub": "0b0e3c2a-7d41-4c4e-9c55-5d1a2f3b4c5d"}


def post_json(client: Client, body: object, headers: dict[str, str] | None = None):
    return client.http.post(
        "/api/uploads",
        headers={"Content-Type": "application/json", **SIGNED_IN, **(headers or {})},
        body=json.dumps(body) if not isinstance(body, bytes) else body,
    )


def test_ticket_is_issued(client):
    response = post_json(
        client, {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10, "alt": "A cat"}
    )
    assert response.status_code == 201
    ticket = json.loads(response.body)
    assert keys.is_valid_id(ticket["id"])
    assert ticket["fields"]["key"] == keys.upload_key(ticket["id"])
    assert ticket["status_url"].endswith(f"/api/images/{ticket['id']}")
    assert ticket["page_url"].endswith(f"/images/{ticket['id']}")


@pytest.mark.parametrize(
    ("body", "code"),
    [
        pytest.param(b"{not json", "bad_json", id="bad-json"),
        pytest.param({"filename": "a.jpg"}, "missing_field", id="missing"),
        pytest.param(
            {"filename": "a.exe", "content_type": "application/x-msdownload", "size": 1},
            "unsupported_type",
            id="type",
        ),
        pytest.param(
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10**10},
            "too_large",
            id="oversize",
        ),
        pytest.param(
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
            "missing_alt",
            id="no-alt",
        ),
        pytest.param(
            {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10, "alt": "猫" * 490},
            "alt_too_long",
            id="alt-over-the-metadata-limit",
        ),
    ],
)
def test_bad_ticket_requests_get_json_400(client, body, code):
    response = post_json(client, body)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.body)["error"]["code"] == code


JAPANESE_NAME = ("海辺の夕日と砂浜" * 25)[:200] + ".jpg"


def test_the_longest_alt_that_fits_gets_a_ticket_s3_will_take(client):
    body = {"filename": JAPANESE_NAME, "content_type": "image/jpeg", "size": 10}
    response = post_json(client, {**body, "alt": "夕" * 198})
    assert response.status_code == 201
    fields = json.loads(response.body)["fields"]
    assert tickets.metadata_size(fields) <= tickets.METADATA_LIMIT
    refused = post_json(client, {**body, "alt": "夕" * 490})
    assert refused.status_code == 400
    error = json.loads(refused.body)["error"]
    assert error["code"] == "alt_too_long"
    assert "at most 198 of them fit" in error["message"]


def test_session_without_a_pool_is_unavailable(client):
    response = client.http.post(
        "/api/session",
        headers={"Content-Type": "application/json"},
        body=json.dumps({"username": "ann", "password": "x"}),
    )
    assert response.status_code == 503
    assert json.loads(response.body)["error"]["code"] == "sign_in_unavailable"


def test_a_ticket_needs_a_signed_in_caller(client):
    good = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10, "alt": ""}
    response = client.http.post(
        "/api/uploads", headers={"Content-Type": "application/json"}, body=json.dumps(good)
    )
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"


def test_unknown_and_malformed_ids_are_404(client):
    assert client.http.get("/api/images/" + "Z" * 22).status_code == 404
    assert client.http.get("/api/images/..%2F..%2Fetc").status_code == 404
    page = client.http.get("/images/nope")
    assert page.status_code == 404
    assert b"Not found" in page.body


def s3_event(client, s3, image_id: str) -> dict:
    """Chalice's generated event, with the object's real ETag as S3 sends it."""
    event = client.events.generate_s3_event(bucket=BUCKET, key=keys.upload_key(image_id))
    etag = s3.head_object(Bucket=BUCKET, Key=keys.upload_key(image_id))["ETag"].strip('"')
    event["Records"][0]["s3"]["object"]["eTag"] = etag
    return event


def test_upload_then_resize_event_then_ready(client, s3):
    image_id = "D" * 22
    s3.put_object(
        Bucket=BUCKET,
        Key=keys.upload_key(image_id),
        Body=make_image(700, 500),
        ContentType="image/jpeg",
        Metadata={"filename": "%3Cb%3Ehi%3C%2Fb%3E.jpg"},
    )
    assert client.http.get(f"/api/images/{image_id}").status_code == 202
    processing = client.http.get(f"/images/{image_id}")
    assert b'data-status="processing"' in processing.body

    event = s3_event(client, s3, image_id)
    client.lambda_.invoke("resize_upload", event)

    status = client.http.get(f"/api/images/{image_id}")
    assert status.status_code == 200
    manifest = json.loads(status.body)
    assert manifest["status"] == "ready"
    widths = sorted({v["width"] for v in manifest["variants"]})
    # Spaced by bytes: from 320 to the source's own 700, three of them.
    assert (widths[0], widths[-1], len(widths)) == (320, 700, 3)
    page = client.http.get(f"/images/{image_id}")
    assert page.status_code == 200
    assert b"<picture>" in page.body
    assert b"<b>hi</b>" not in page.body
    assert b"&lt;b&gt;hi" not in page.body  # the file name is private: not even escaped


def test_bad_file_ends_failed_without_raising(client, s3):
    image_id = "E" * 22
    s3.put_object(Bucket=BUCKET, Key=keys.upload_key(image_id), Body=b"%PDF-1.4 nope")
    event = s3_event(client, s3, image_id)
    client.lambda_.invoke("resize_upload", event)
    manifest = json.loads(client.http.get(f"/api/images/{image_id}").body)
    assert manifest["status"] == "failed"
    assert manifest["error"]["code"] == "unsupported_format"
    page = client.http.get(f"/images/{image_id}")
    assert b'data-code="unsupported_format"' in page.body


def test_upload_page_is_served(client):
    page = client.http.get("/")
    assert page.status_code == 200
    assert page.headers["Content-Type"].startswith("text/html")
    assert b'type="file"' in page.body
