"""Hostile input and access, over the whole app on moto's server (and in-process where a
spy must prove S3 is never touched):

* a file name or alt text carrying HTML or script is shown as text everywhere: the page,
  the failed page, the manifest, the copied markup, and in a real browser no script runs;
* ids that fail validation get 404 before any S3 call; `..`, slashes and encoded tricks
  in a path parameter reach nothing;
* originals under `uploads/` refuse anonymous reads while variants allow them (moto's
  server evaluates the bucket policy for anonymous requests: measured, see the report in
  the README), and the policy document grants nothing but `images/*`;
* no variant carries EXIF, GPS or XMP;
* with an API key configured, the ticket route answers 401 without it.
"""

from __future__ import annotations

import http.client
import io
import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from chalice.test import Client
from PIL import Image

import app as picset_app
from chalicelib import keys, render
from chalicelib.manifest import from_json
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.bootstrap import public_read_policy
from dev.memory import MemoryStorage
from dev.stack import Stack, free_port
from tests import browser_support
from tests.browser_support import WAIT_MS
from tests.conftest import CORPUS, HTTP_TIMEOUT, make_image
from tests.test_integration import wait_done

browser = browser_support.browser  # the shared headless chromium fixture

#: No slash in it: the ticket keeps only a name's last path component.
HOSTILE_NAME = '"><img src=x onerror="window.__pwned=1"><svg onload=window.__pwned=2>.jpg'
HOSTILE_ALT = "</textarea><script>window.__pwned=3</script><b>bold</b>"
RAW_MARKERS = ("<img src=x", "<svg onload", "<script>window.__pwned", "<b>bold</b>")


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True) as running:
        yield running


def upload(stack: Stack, data: bytes, filename: str, alt: str = "") -> dict[str, Any]:
    body: dict[str, Any] = {
        "filename": filename,
        "content_type": "image/jpeg",
        "size": len(data),
        "alt": alt,
    }
    response = requests.post(
        f"{stack.url}api/uploads", json=body, headers=stack.auth(), timeout=HTTP_TIMEOUT
    )
    assert response.status_code == 201, response.text
    ticket = dict(response.json())
    posted = requests.post(
        ticket["url"], data=ticket["fields"], files={"file": ("f", data)}, timeout=HTTP_TIMEOUT
    )
    assert posted.status_code in (200, 204), posted.text
    return ticket


@pytest.fixture(scope="module")
def hostile_ready(stack: Stack) -> dict[str, Any]:
    ticket = upload(stack, make_image(700, 500), HOSTILE_NAME, HOSTILE_ALT)
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "ready"
    return {"ticket": ticket, "manifest": manifest}


@pytest.fixture(scope="module")
def hostile_failed(stack: Stack) -> dict[str, Any]:
    ticket = upload(stack, b"<html><script>window.__pwned=4</script></html>", HOSTILE_NAME)
    manifest = wait_done(ticket["status_url"])
    assert manifest["status"] == "failed"
    return {"ticket": ticket, "manifest": manifest}


def assert_no_raw_markup(html: str) -> None:
    for marker in RAW_MARKERS:
        assert marker not in html


@pytest.mark.integration
def test_hostile_names_never_reach_the_public_manifest(hostile_ready, hostile_failed):
    for case in (hostile_ready, hostile_failed):
        response = requests.get(case["ticket"]["status_url"], timeout=HTTP_TIMEOUT)
        assert response.headers["Content-Type"] == "application/json"
        assert "filename" not in response.json()["source"]
        assert "onerror" not in response.text
    assert hostile_ready["manifest"]["alt"] == HOSTILE_ALT


@pytest.mark.integration
def test_hostile_names_are_escaped_on_the_pages(hostile_ready, hostile_failed):
    ready = requests.get(hostile_ready["ticket"]["page_url"], timeout=HTTP_TIMEOUT).text
    assert_no_raw_markup(ready)
    assert "&lt;/textarea&gt;&lt;script&gt;" in ready
    failed = requests.get(hostile_failed["ticket"]["page_url"], timeout=HTTP_TIMEOUT).text
    assert_no_raw_markup(failed)
    assert "onerror" not in failed  # the file name is private: not even escaped


@pytest.mark.integration
def test_hostile_names_are_escaped_in_the_markup_snippet(hostile_ready):
    manifest = from_json(json.dumps(hostile_ready["manifest"]).encode())
    for markup in (
        render.embed_markup(manifest, "https://cdn.example"),
        render.page_markup(manifest, "https://cdn.example"),
    ):
        assert_no_raw_markup(str(markup))
        assert "&lt;/textarea&gt;&lt;script&gt;window.__pwned=3&lt;/script&gt;" in markup


@pytest.mark.integration
@pytest.mark.browser
def test_no_script_from_a_name_runs_in_a_browser(stack, hostile_ready, hostile_failed, browser):
    page = browser.new_page()
    page.set_default_timeout(WAIT_MS)
    dialogs: list[str] = []

    def on_dialog(dialog: Any) -> None:
        dialogs.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    try:
        page.goto(hostile_ready["ticket"]["page_url"])
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__pwned") is None
        assert page.get_attribute("#picture img", "alt") == HOSTILE_ALT
        snippet = page.input_value("#embed")
        assert "<script>" not in snippet
        assert "&lt;/textarea&gt;" in snippet
        page.goto(hostile_failed["ticket"]["page_url"])
        page.wait_for_load_state("load")
        assert page.evaluate("() => window.__pwned") is None
        # the public page names no file (only the owner's library does, as text)
        assert HOSTILE_NAME not in page.inner_text("main")
    finally:
        page.close()
    assert dialogs == []


@pytest.mark.integration
def test_originals_are_private_and_variants_public(stack, hostile_ready):
    """moto's server evaluates the bucket policy for anonymous object reads (refused
    unless the policy allows them), so this checks the bootstrap's real policy. It does
    not for bucket listings, and LocalStack's free edition not at all: the policy
    document test below covers the rest (it grants `s3:GetObject` on `images/*` only)."""
    base = f"{stack.endpoint_url}/{stack.bucket}"
    image_id = hostile_ready["ticket"]["id"]

    def anonymous_read(key: str) -> int:
        return requests.get(f"{base}/{key}", timeout=HTTP_TIMEOUT).status_code

    assert anonymous_read(keys.upload_key(image_id)) == 403
    for variant in hostile_ready["manifest"]["variants"]:
        assert anonymous_read(variant["key"]) == 200
    assert anonymous_read(keys.manifest_key(image_id)) == 200


def test_the_public_read_policy_grants_only_reads_of_images():
    policy = public_read_policy("picset-x")
    assert len(policy["Statement"]) == 1
    statement = policy["Statement"][0]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == "arn:aws:s3:::picset-x/images/*"
    assert "uploads" not in json.dumps(policy)


@pytest.mark.integration
@pytest.mark.parametrize(
    ("kind", "status"),
    [
        pytest.param("none", 401, id="missing"),
        pytest.param("garbage", 401, id="malformed"),
        pytest.param("basic", 401, id="not-bearer"),
        pytest.param("tampered", 401, id="tampered-signature"),
        pytest.param("right", 201, id="signed-in"),
    ],
)
def test_the_ticket_route_requires_a_signed_in_caller(stack, kind, status):
    token = stack.sign_in()
    head, body, signature = token.split(".")
    headers = {
        "none": {},
        "garbage": {"Authorization": "Bearer not-a-token"},
        "basic": {"Authorization": f"Basic {token}"},
        "tampered": {"Authorization": f"Bearer {head}.{body}.{signature[::-1]}"},
        "right": {"Authorization": f"Bearer {token}"},
    }[kind]
    response = requests.post(
        f"{stack.url}api/uploads",
        json={"filename": "a.jpg", "content_type": "image/jpeg", "size": 10, "alt": ""},
        headers=headers,
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == status
    if status == 401:
        assert response.json()["error"]["code"] == "unauthorized"


BAD_PATHS = [
    pytest.param("/api/images/..", id="api-dotdot"),
    pytest.param("/api/images/..%2F..%2Fuploads%2FAAAA", id="api-encoded-slashes"),
    pytest.param("/api/images/%2e%2e%2f%2e%2e%2fetc%2fpasswd", id="api-encoded-dots"),
    pytest.param("/api/images/AAAAAAAAAAAAAAAAAAAAA%2F", id="api-22-with-slash"),
    pytest.param("/api/images/AAAAAAAAAAAAAAAAAAAAAA%00", id="api-nul"),
    pytest.param("/api/images/%252e%252e", id="api-double-encoded"),
    pytest.param("/api/images/AAAAAAAAAAAAAAAAAAAAA%C3%A9", id="api-non-ascii"),
    pytest.param("/images/..", id="page-dotdot"),
    pytest.param("/images/..%2Fuploads%2FAAAAAAAAAAAAAAAAAAAAAA", id="page-into-uploads"),
    pytest.param("/images/%3Cscript%3E", id="page-script"),
    pytest.param("/assets/..%2Fapp.py", id="asset-up"),
    pytest.param("/assets/%2e%2e%2f%2e%2e%2fetc%2fpasswd", id="asset-encoded"),
    pytest.param("/assets/picset.css%00.py", id="asset-nul"),
]


@pytest.fixture
def no_s3(monkeypatch) -> Iterator[Client]:
    """The app in-process with S3 replaced by something that fails the test if used."""

    class Untouchable:
        def __getattr__(self, name: str) -> Any:
            raise AssertionError(f"S3 was touched ({name}) for an invalid path")

    monkeypatch.setattr(picset_app, "get_storage", Untouchable)
    monkeypatch.setattr(picset_app, "get_s3", Untouchable)
    with Client(picset_app.app) as client:
        yield client


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_ids_and_tricks_get_404_without_touching_s3(no_s3, path):
    response = no_s3.http.get(path)
    assert response.status_code == 404
    assert b"import " not in response.body and b"root:" not in response.body


@pytest.mark.integration
@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_ids_and_tricks_reach_nothing_over_http(stack, path):
    # http.client sends the path as written (requests would resolve the dot segments).
    connection = http.client.HTTPConnection(stack.host, stack.app_port, timeout=HTTP_TIMEOUT)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        status, text = response.status, response.read().decode(errors="replace")
    finally:
        connection.close()
    # 404 from a route; chalice local (like API Gateway) answers 403 for a path no route
    # matches at all, such as one an encoded slash turned into two segments.
    assert status in (403, 404), text[:200]
    assert "import " not in text and "root:" not in text


def exif_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x010F] = "Camera maker"  # Make
    exif[0x0112] = 6  # Orientation
    exif.get_ifd(0x8825).update({1: "N", 2: (48.0, 51.0, 29.0), 3: "E", 4: (2.0, 17.0, 40.0)})
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><GPSLatitude>48,51N</GPSLatitude></x:xmpmeta>'
    return make_image(640, 480, exif=exif.tobytes(), xmp=xmp)


def assert_no_metadata(body: bytes) -> None:
    image = Image.open(io.BytesIO(body))
    assert len(image.getexif()) == 0
    assert not {"exif", "xmp", "XML:com.adobe.xmp"} & set(image.info)
    assert b"Exif\x00\x00" not in body
    assert b"xmpmeta" not in body


def test_no_variant_carries_exif_gps_or_xmp():
    source = exif_with_gps()
    assert Image.open(io.BytesIO(source)).getexif().get_ifd(0x8825)  # the source has GPS
    storage = MemoryStorage()
    image_id = "G" * 22
    storage.put(keys.upload_key(image_id), source, content_type="image/jpeg")
    outcome = Processor(storage, Settings(widths=(160, 320))).process(
        UploadRecord(keys.upload_key(image_id))
    )
    assert outcome.status == "ready"
    assert outcome.manifest is not None
    assert (outcome.manifest.width, outcome.manifest.height) == (480, 640)  # oriented
    for variant in outcome.manifest.variants:
        found = storage.get(variant.key)
        assert found is not None
        assert_no_metadata(found[1])


@pytest.mark.corpus
def test_no_variant_of_a_real_phone_photo_carries_its_metadata():
    path = CORPUS / "exif-sample-large.jpg"
    if not path.exists():
        pytest.skip("../shared/corpus is not present")
    storage = MemoryStorage()
    image_id = "H" * 22
    storage.put(keys.upload_key(image_id), path.read_bytes(), content_type="image/jpeg")
    outcome = Processor(storage, Settings(widths=(320,))).process(
        UploadRecord(keys.upload_key(image_id))
    )
    assert outcome.status == "ready"
    assert outcome.manifest is not None
    for variant in outcome.manifest.variants:
        found = storage.get(variant.key)
        assert found is not None
        assert_no_metadata(found[1])


@pytest.mark.integration
def test_sign_in_answers_a_token_or_401(stack):
    good = requests.post(
        f"{stack.url}api/session",
        json={"username": stack.user, "password": stack.password},
        timeout=HTTP_TIMEOUT,
    )
    assert good.status_code == 200
    assert set(good.json()) >= {"token", "expires_in"} and good.json()["expires_in"] > 0
    for body in (
        {"username": stack.user, "password": "Wrong-pass-1"},
        {"username": "nobody-here", "password": stack.password},
    ):
        refused = requests.post(f"{stack.url}api/session", json=body, timeout=HTTP_TIMEOUT)
        assert refused.status_code == 401
        assert refused.json()["error"] == {
            "code": "unauthorized",
            "message": "Wrong user name or password.",
        }
    bad = requests.post(f"{stack.url}api/session", json={"username": 1}, timeout=HTTP_TIMEOUT)
    assert bad.status_code == 400


@pytest.mark.integration
def test_a_token_of_another_pool_on_the_same_emulator_is_refused(stack):
    """Signed by the same emulator (moto signs every pool with one key), but issued by
    another pool: only the issuer tells them apart, and it is checked."""
    from chalicelib import aws
    from chalicelib.settings import Settings
    from dev.bootstrap import ensure_user, identity

    cognito = aws.client("cognito-idp", Settings.from_env(stack.env))
    other = identity(cognito, "some-other-app")
    ensure_user(cognito, other.pool_id, "mallory", "Other-pass-1")
    answer = cognito.initiate_auth(
        ClientId=other.client_id,
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "mallory", "PASSWORD": "Other-pass-1"},
    )
    token = answer["AuthenticationResult"]["AccessToken"]
    response = requests.post(
        f"{stack.url}api/uploads",
        json={"filename": "a.jpg", "content_type": "image/jpeg", "size": 10, "alt": ""},
        headers={"Authorization": f"Bearer {token}"},
        timeout=HTTP_TIMEOUT,
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
