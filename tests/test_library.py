"""The owner's library through chalice's test client on moto: records at ticket time,
quotas, listing, alt changes and deletion, and who may do what."""

from __future__ import annotations

import dataclasses
import json
import logging
from typing import Any

import pytest
from chalice.test import Client

import app as picset_app
from chalicelib import keys, manifests, state
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage
from tests import app_client
from tests.app_client import BUCKET
from tests.conftest import make_image
from tests.test_cdn import create_distribution, invalidated_paths

s3 = app_client.s3  # the in-process app and its mocked AWS, shared by the handler tests
client = app_client.client

ALICE = "a11ce000-0000-4000-8000-000000000001"
BOB = "b0b00000-0000-4000-8000-000000000002"


def as_(sub: str | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    return {**headers, "X-Picset-Test-Sub": sub} if sub else headers


def ticket(client: Client, sub: str = ALICE, size: int = 10, name: str = "a.jpg") -> Any:
    body = {"filename": name, "content_type": "image/jpeg", "size": size, "alt": "A cat"}
    return client.http.post("/api/uploads", headers=as_(sub), body=json.dumps(body))


def listing(client: Client, sub: str = ALICE, query: str = "") -> Any:
    return client.http.get(f"/api/images{query}", headers=as_(sub))


def processed(client: Client, s3: Any, sub: str = ALICE) -> str:
    """An image of `sub`'s, uploaded and resized."""
    image_id = json.loads(ticket(client, sub).body)["id"]
    key = keys.upload_key(image_id)
    s3.put_object(
        Bucket=BUCKET,
        Key=key,
        Body=make_image(400, 300),
        ContentType="image/jpeg",
        Metadata={"filename": "a.jpg", "alt": "A%20cat"},
    )
    event = client.events.generate_s3_event(bucket=BUCKET, key=key)
    event["Records"][0]["s3"]["object"]["eTag"] = s3.head_object(Bucket=BUCKET, Key=key)[
        "ETag"
    ].strip('"')
    client.lambda_.invoke("resize_upload", event)
    return str(image_id)


def test_a_ticket_records_its_owner_and_the_library_lists_it(client):
    assert ticket(client, name="Holiday.jpg").status_code == 201
    response = listing(client)
    assert response.status_code == 200
    (image,) = json.loads(response.body)["images"]
    assert image["filename"] == "Holiday.jpg"
    assert image["status"] == "processing"
    assert image["alt"] == "A cat"
    assert json.loads(listing(client, BOB).body) == {"images": [], "cursor": None}


def test_the_library_pages_newest_first(client):
    made = [json.loads(ticket(client).body)["id"] for _ in range(5)]
    seen: list[str] = []
    cursor = ""
    while True:
        page = json.loads(listing(client, query=f"?limit=2{cursor}").body)
        seen += [image["id"] for image in page["images"]]
        if page["cursor"] is None:
            break
        cursor = f"&cursor={page['cursor']}"
    assert seen == made[::-1]


@pytest.mark.parametrize("query", ["?limit=0", "?limit=51", "?limit=x", "?cursor=bm9wZQ"])
def test_bad_paging_is_400(client, query):
    response = listing(client, query=query)
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] in {"bad_limit", "bad_cursor"}


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/images"),
        ("PATCH", f"/api/images/{'A' * 22}"),
        ("DELETE", f"/api/images/{'A' * 22}"),
    ],
)
def test_the_library_needs_a_caller(client, method, path):
    response = client.http.request(method, path, headers=as_(None), body=b'{"alt": ""}')
    assert response.status_code == 401
    assert json.loads(response.body)["error"]["code"] == "unauthorized"


def test_over_the_upload_quota_is_429_with_retry_after(client, monkeypatch):
    settings = dataclasses.replace(picset_app.SETTINGS, quota_uploads_per_day=2)
    monkeypatch.setattr(picset_app, "SETTINGS", settings)
    assert [ticket(client).status_code for _ in range(2)] == [201, 201]
    refused = ticket(client)
    assert refused.status_code == 429
    assert json.loads(refused.body)["error"]["code"] == "quota_exceeded"
    assert 1 <= int(refused.headers["Retry-After"]) <= 86400
    assert ticket(client, BOB).status_code == 201  # quotas are per person
    assert len(json.loads(listing(client).body)["images"]) == 2  # nothing recorded


def test_over_the_byte_quota_is_429(client, monkeypatch):
    settings = dataclasses.replace(
        picset_app.SETTINGS, max_upload_bytes=1000, quota_bytes_per_day=2500
    )
    monkeypatch.setattr(picset_app, "SETTINGS", settings)
    assert [ticket(client, size=1000).status_code for _ in range(2)] == [201, 201]
    assert ticket(client, size=600).status_code == 429
    assert ticket(client, size=500).status_code == 201


def test_the_owner_changes_alt_and_the_manifest_keeps_its_revision(client, s3):
    image_id = processed(client, s3)
    storage = S3Storage(s3, BUCKET)
    before = manifests.load(storage, image_id)
    assert before is not None and before.alt == "A cat"
    path = f"/api/images/{image_id}"
    changed = client.http.patch(path, headers=as_(ALICE), body=json.dumps({"alt": "A dog"}))
    assert changed.status_code == 200, changed.body
    assert json.loads(changed.body)["alt"] == "A dog"
    after = manifests.load(storage, image_id)
    assert after is not None and after.alt == "A dog"
    assert after.revision == before.revision and after.variants == before.variants
    (image,) = json.loads(listing(client).body)["images"]
    assert image["alt"] == "A dog" and image["status"] == "ready"
    assert image["preview_url"].endswith("/320w.jpg")
    assert (image["width"], image["height"]) == (400, 300)
    assert b'alt="A dog"' in client.http.get(f"/images/{image_id}").body


@pytest.mark.parametrize(
    ("body", "code"),
    [({}, "missing_alt"), ({"alt": 3}, "bad_alt"), ({"alt": "x" * 501}, "alt_too_long")],
)
def test_alt_changes_follow_the_tickets_rules(client, s3, body, code):
    image_id = processed(client, s3)
    response = client.http.patch(
        f"/api/images/{image_id}", headers=as_(ALICE), body=json.dumps(body)
    )
    assert response.status_code == 400
    assert json.loads(response.body)["error"]["code"] == code


def test_a_still_processing_image_answers_409(client):
    image_id = json.loads(ticket(client).body)["id"]
    response = client.http.patch(
        f"/api/images/{image_id}", headers=as_(ALICE), body=json.dumps({"alt": "A dog"})
    )
    assert response.status_code == 409
    assert json.loads(response.body)["error"]["code"] == "processing"


def test_only_the_owner_may_change_or_delete(client, s3):
    image_id = processed(client, s3)
    path = f"/api/images/{image_id}"
    for response in (
        client.http.patch(path, headers=as_(BOB), body=json.dumps({"alt": "mine"})),
        client.http.delete(path, headers=as_(BOB)),
    ):
        assert response.status_code == 403
        assert json.loads(response.body)["error"]["code"] == "forbidden"
    assert client.http.get(f"/api/images/{image_id}").status_code == 200


@pytest.mark.parametrize("image_id", ["Z" * 22, "not-an-id", "..%2F..%2Fetc"])
def test_unknown_or_malformed_ids_are_404(client, image_id):
    path = f"/api/images/{image_id}"
    assert client.http.delete(path, headers=as_(ALICE)).status_code == 404
    patched = client.http.patch(path, headers=as_(ALICE), body=json.dumps({"alt": ""}))
    assert patched.status_code == 404


def test_delete_removes_everything_in_order(client, s3):
    image_id = processed(client, s3)
    storage = S3Storage(s3, BUCKET)
    assert state.load(storage, image_id) is not None
    response = client.http.delete(f"/api/images/{image_id}", headers=as_(ALICE))
    assert response.status_code == 204
    assert storage.head(keys.upload_key(image_id)) is None
    assert storage.list_keys(keys.image_prefix(image_id)) == []
    assert storage.head(keys.private_key(image_id)) is None
    assert json.loads(listing(client).body)["images"] == []
    assert client.http.get(f"/images/{image_id}").status_code == 404
    assert client.http.delete(f"/api/images/{image_id}", headers=as_(ALICE)).status_code == 404


def test_delete_asks_the_stages_distribution_to_drop_the_images_paths(client, s3, monkeypatch):
    distribution_id = create_distribution(Settings())
    settings = dataclasses.replace(picset_app.SETTINGS, distribution_id=distribution_id)
    monkeypatch.setattr(picset_app, "SETTINGS", settings)
    image_id = processed(client, s3)
    assert invalidated_paths(Settings(), distribution_id) == []
    response = client.http.delete(f"/api/images/{image_id}", headers=as_(ALICE))
    assert response.status_code == 204
    assert invalidated_paths(Settings(), distribution_id) == [[f"/images/{image_id}/*"]]


def test_a_failed_invalidation_does_not_fail_the_delete(client, s3, monkeypatch, caplog):
    """The image is gone from the bucket either way: the owner gets 204, the operator a
    log line naming the paths."""
    settings = dataclasses.replace(picset_app.SETTINGS, distribution_id="ENOSUCHDIST")
    monkeypatch.setattr(picset_app, "SETTINGS", settings)
    image_id = processed(client, s3)
    with caplog.at_level(logging.ERROR, logger="picset.cdn"):
        response = client.http.delete(f"/api/images/{image_id}", headers=as_(ALICE))
    assert response.status_code == 204
    assert S3Storage(s3, BUCKET).list_keys(keys.image_prefix(image_id)) == []
    assert json.loads(listing(client).body)["images"] == []
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "picset.cdn"]
    assert line["paths"] == [f"/images/{image_id}/*"]


def test_without_a_distribution_a_delete_asks_no_cdn(client, s3):
    assert picset_app.SETTINGS.distribution_id is None
    image_id = processed(client, s3)
    assert client.http.delete(f"/api/images/{image_id}", headers=as_(ALICE)).status_code == 204
    assert "cloudfront" not in picset_app._clients
