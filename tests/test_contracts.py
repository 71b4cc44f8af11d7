"""The manifest's published JSON Schema (`chalicelib/schemas/manifest.v1.json`) is what
the writer writes: its enums are the registries' own (formats, error codes, statuses),
its properties are the dataclasses' fields, every manifest a real run writes (ready on
several inputs, failed on every error path) and every legacy manifest read back is
valid, and the API serves it."""

from __future__ import annotations

import dataclasses
import json
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from chalicelib import contracts, errors, formats, images, keys, manifests
from chalicelib.manifest import FAILED, READY, VERSION, ErrorInfo, Manifest, Source, Variant
from chalicelib.manifest import from_dict as manifest_from_dict
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests import app_client
from tests.conftest import make_image
from tests.crafted import Frame, gif
from tests.test_pipeline_steps import lab16_tiff

SCHEMA = contracts.manifest_schema()
VALIDATOR = jsonschema.Draft202012Validator(
    SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
)
DEFS = SCHEMA["$defs"]
SETTINGS = Settings(widths=(160, 320), max_pixels=2_000_000, max_upload_bytes=1_000_000)
IMAGE_ID = "S" * 22
KEY = keys.upload_key(IMAGE_ID)

client = app_client.client
s3 = app_client.s3


def assert_valid(manifest: dict[str, Any]) -> None:
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in VALIDATOR.iter_errors(manifest)]
    assert not problems, problems


def written(data: bytes, **record: Any) -> dict[str, Any]:
    """The manifest a real run writes for an upload of `data`, as stored."""
    storage = MemoryStorage()
    storage.put(KEY, data, content_type="image/jpeg", metadata={"filename": "a.jpg"})
    Processor(storage, SETTINGS).process(UploadRecord(KEY, **record))
    found = storage.get(keys.manifest_key(IMAGE_ID))
    assert found is not None
    return dict(json.loads(found[1]))


# --- the schema itself, and the registries it must agree with ---------------------------


def test_the_schema_is_draft_2020_12_with_an_id():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["$id"].endswith(f"manifest:v{VERSION}")
    assert SCHEMA["properties"]["version"] == {**SCHEMA["properties"]["version"], "const": VERSION}
    assert f"manifest.v{VERSION}.json" == contracts.MANIFEST


@pytest.mark.parametrize(
    ("where", "expected"),
    [
        pytest.param(SCHEMA["properties"]["status"], [READY, FAILED], id="statuses"),
        pytest.param(
            DEFS["source"]["properties"]["format"],
            [f.name for f in formats.INPUTS] + [None],
            id="input-formats",
        ),
        pytest.param(
            DEFS["variant"]["properties"]["format"],
            [f.name for f in formats.OUTPUTS],
            id="output-formats",
        ),
        pytest.param(
            DEFS["variant"]["properties"]["content_type"],
            [f.content_type for f in formats.OUTPUTS],
            id="output-content-types",
        ),
        pytest.param(
            DEFS["error"]["properties"]["code"], list(errors.ERROR_CODES), id="error-codes"
        ),
    ],
)
def test_the_schemas_enums_are_the_registries(where, expected):
    assert sorted(where["enum"], key=str) == sorted(expected, key=str)


def _fields(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


def _required(cls: type) -> set[str]:
    missing = dataclasses.MISSING
    return {
        f.name
        for f in dataclasses.fields(cls)
        if f.default is missing and f.default_factory is missing
    }


@pytest.mark.parametrize(
    ("cls", "where"),
    [
        pytest.param(Manifest, SCHEMA, id="manifest"),
        pytest.param(Source, DEFS["source"], id="source"),
        pytest.param(ErrorInfo, DEFS["error"], id="error"),
    ],
)
def test_every_field_the_writer_writes_is_in_the_schema_and_required(cls, where):
    """`to_dict` writes every field, so each is required, and nothing else is allowed."""
    assert set(where["properties"]) == _fields(cls)
    assert set(where["required"]) == _fields(cls)
    assert where["additionalProperties"] is False


def test_a_variant_has_its_fields_and_may_carry_quality_and_score():
    """Variants gain optional `quality` and `score`; the schema has them already, so a
    manifest written with or without them is valid."""
    properties = set(DEFS["variant"]["properties"])
    assert _fields(Variant) <= properties
    assert properties - _fields(Variant) <= {"quality", "score"}
    assert set(DEFS["variant"]["required"]) == _required(Variant)
    assert DEFS["variant"]["additionalProperties"] is False


# --- what the writer writes is valid ------------------------------------------------------


def _animation() -> bytes:
    frames = [Frame(0, 0, 200, 120, colour=c, delay_cs=5) for c in (1, 2, 3)]
    return gif((200, 120), frames)


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(make_image(400, 300), id="jpeg"),
        pytest.param(make_image(120, 90), id="jpeg-smaller-than-every-width"),
        pytest.param(make_image(300, 200, "PNG", "RGBA"), id="png-with-alpha"),
        pytest.param(make_image(300, 200, "WEBP"), id="webp"),
        pytest.param(make_image(1200, 40), id="panorama"),
        pytest.param(_animation(), id="animated-gif"),
        pytest.param(make_image(200, 150, "TIFF"), id="tiff"),
    ],
)
def test_a_ready_manifest_is_valid(data):
    manifest = written(data)
    assert manifest["status"] == READY
    assert_valid(manifest)


@pytest.mark.parametrize(
    ("data", "record", "code"),
    [
        pytest.param(b"this is not a photo\n", {}, "unsupported_format", id="text"),
        pytest.param(b"", {}, "empty", id="empty"),
        pytest.param(make_image(300, 200), {"size": 5_000_000}, "too_large", id="too-large"),
        pytest.param(make_image(2000, 1500), {}, "too_many_pixels", id="too-many-pixels"),
        pytest.param(make_image(300, 200)[:400], {}, "corrupt", id="truncated"),
        pytest.param(lab16_tiff(9), {}, "unsupported_encoding", id="icclab-tiff"),
    ],
)
def test_a_failed_manifest_is_valid(data, record, code):
    manifest = written(data, **record)
    assert (manifest["status"], manifest["error"]["code"]) == (FAILED, code)
    assert_valid(manifest)


@pytest.mark.parametrize(
    ("how", "code"),
    [
        pytest.param("give_up", "internal", id="internal"),
        pytest.param("time_out", "timeout", id="timeout"),
    ],
)
def test_a_recorded_failure_is_valid(how, code):
    storage = MemoryStorage()
    storage.put(KEY, make_image(300, 200), content_type="image/jpeg")
    event = {"Records": [{"s3": {"object": {"key": KEY, "sequencer": "0055AED6DCD90281E5"}}}]}
    (outcome,) = getattr(Processor(storage, SETTINGS), how)(event, "killed")
    assert outcome.manifest is not None and outcome.manifest.error is not None
    assert outcome.manifest.error.code == code
    assert_valid(outcome.manifest.to_dict())


def test_the_status_apis_computed_timeout_is_valid():
    storage = MemoryStorage()
    storage.put(KEY, make_image(300, 200), content_type="image/jpeg")
    storage.age(KEY, 10_000)
    found = images.lookup(storage, IMAGE_ID, datetime.now(UTC), 240)
    assert found.manifest is not None and found.status == FAILED
    assert_valid(found.manifest.to_dict())


def test_a_manifest_with_changed_alt_is_valid():
    storage = MemoryStorage()
    storage.put(KEY, make_image(300, 200), content_type="image/jpeg")
    Processor(storage, SETTINGS).process(UploadRecord(KEY))
    changed = manifests.change_alt(storage, IMAGE_ID, "A dog on a beach")
    assert changed is not None
    assert_valid(changed.to_dict())


LEGACY = {
    "version": 1,
    "id": IMAGE_ID,
    "status": "ready",
    "source": {
        "bytes": 1234,
        "format": "jpeg",
        "width": 640,
        "height": 480,
        "frames": 1,
        "etag": "0123456789abcdef0123456789abcdef",
        "filename": "ann-smith.jpg",
    },
    "created_at": "2025-06-01T10:00:00+00:00",
    "processing_ms": 800,
    "width": 640,
    "height": 480,
    "placeholder": "data:image/webp;base64,UklGRg==",
    "color": "#336699",
    "has_alpha": False,
    "animated": False,
    "notes": [],
    "variants": [
        {
            "format": "jpeg",
            "width": 320,
            "height": 240,
            "key": f"images/{IMAGE_ID}/320w.jpg",
            "bytes": 9000,
            "content_type": "image/jpeg",
        }
    ],
    "error": None,
    "steps_ms": {"sniff": 0.1},
}


@pytest.mark.parametrize(
    "legacy",
    [
        pytest.param(LEGACY, id="before-revisions-alt-and-state"),
        pytest.param({**LEGACY, "revision": "", "alt": None}, id="before-alt"),
        pytest.param(
            {
                **LEGACY,
                "status": "failed",
                "variants": [],
                "error": {"code": "corrupt", "message": "x"},
            },
            id="failed-before-revisions",
        ),
    ],
)
def test_a_legacy_manifest_read_back_is_valid(legacy):
    assert not VALIDATOR.is_valid(legacy)  # as stored it named the file and its ETag
    assert_valid(manifest_from_dict(legacy).to_dict())


# --- the schema can fail ------------------------------------------------------------------


def _ready() -> dict[str, Any]:
    return manifest_from_dict(LEGACY).to_dict()


@pytest.mark.parametrize(
    ("change", "why"),
    [
        pytest.param(lambda m: m["source"].update(filename="a.jpg"), "a file name", id="filename"),
        pytest.param(lambda m: m.update(owner="ann"), "an owner", id="owner"),
        pytest.param(lambda m: m.update(status="processing"), "a stored processing", id="status"),
        pytest.param(
            lambda m: m.update(variants=[]), "a ready image with nothing", id="no-variants"
        ),
        pytest.param(
            lambda m: m.update(error={"code": "corrupt", "message": "x"}),
            "ready and an error",
            id="ready-error",
        ),
        pytest.param(
            lambda m: m["variants"][0].update(format="bmp"), "an unknown format", id="format"
        ),
        pytest.param(
            lambda m: m["variants"][0].update(quality=101), "quality over 100", id="quality"
        ),
        pytest.param(lambda m: m.update(version=2), "another version", id="version"),
    ],
)
def test_the_schema_refuses_what_the_writer_never_writes(change, why):
    manifest = _ready()
    change(manifest)
    assert not VALIDATOR.is_valid(manifest), why


def test_a_variant_with_quality_and_score_is_valid():
    manifest = _ready()
    manifest["variants"][0].update(quality=80, score=-3.5)
    assert_valid(manifest)
    manifest["variants"][0].update(quality=None, score=None)
    assert_valid(manifest)


# --- served by the API ----------------------------------------------------------------------


def test_the_api_serves_the_schema(client):
    response = client.http.get(f"/{contracts.path_of(contracts.MANIFEST)}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/schema+json"
    assert response.headers["Cache-Control"].startswith("public, max-age=")
    assert json.loads(response.body) == SCHEMA


@pytest.mark.parametrize("name", ["manifest.v2.json", "..%2Fapp.py", "manifest.v1"])
def test_the_api_serves_no_other_file(client, name):
    response = client.http.get(f"/api/schemas/{name}")
    assert response.status_code == 404
    assert json.loads(response.body)["error"]["code"] == "not_found"


def test_the_status_api_links_its_schema(client, s3):
    body = manifest_from_dict(LEGACY).to_json()
    s3.put_object(Bucket=app_client.BUCKET, Key=keys.manifest_key(IMAGE_ID), Body=body)
    response = client.http.get(f"/api/images/{IMAGE_ID}")
    assert response.status_code == 200
    assert_valid(json.loads(response.body))
    link = response.headers["Link"]
    assert link.endswith(f'{contracts.path_of(contracts.MANIFEST)}>; rel="describedby"')
