"""The events picset sends (`chalicelib.events`): exactly the public fields, one event per
manifest put in place and none otherwise, and a send that fails never loses a manifest
or fails a run. The round trip through a real rule to a queue is in
tests/test_integration.py."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from chalicelib import events, keys, manifests
from chalicelib.manifest import FAILED, READY, ErrorInfo, Manifest, Source, Variant
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings, SettingsError
from dev.memory import MemoryStorage
from tests.conftest import make_image

SETTINGS = Settings(widths=(160, 320), site_url="https://pics.example/api/")
IMAGE_ID = "E" * 22
KEY = keys.upload_key(IMAGE_ID)
T0 = datetime(2026, 12, 2, 6, 0, tzinfo=UTC)
DETAIL_FIELDS = {"id", "status", "revision", "page_url", "error_code", "variant_count"}
#: What an upload carries that must never reach an event.
SECRET_ALT = "Ann at her sister's wedding"
SECRET_NAME = "ann-smith-wedding.jpg"
SECRET_ETAG = "0123456789abcdef0123456789abcdef"


def ready_manifest() -> Manifest:
    variant = Variant("avif", 320, 240, f"images/{IMAGE_ID}/r/320w.avif", 900, "image/avif")
    return Manifest(
        id=IMAGE_ID,
        status=READY,
        source=Source(bytes=1000, format="jpeg", width=640, height=480, sequencer="00AB"),
        created_at=T0.isoformat(),
        width=640,
        height=480,
        alt=SECRET_ALT,
        variants=[variant, variant],
        revision="19ade3f2a1b-7c9d2e",
    )


def failed_manifest() -> Manifest:
    return Manifest(
        id=IMAGE_ID,
        status=FAILED,
        source=Source(bytes=12),
        created_at=T0.isoformat(),
        alt=SECRET_ALT,
        error=ErrorInfo("unsupported_format", "This file is not an image picset can read."),
        revision="19ade3f2a1b-000001",
    )


@pytest.mark.parametrize(
    ("manifest", "detail_type", "error_code", "variant_count"),
    [
        pytest.param(ready_manifest(), "Image Ready", None, 2, id="ready"),
        pytest.param(failed_manifest(), "Image Failed", "unsupported_format", 0, id="failed"),
    ],
)
def test_an_entry_carries_exactly_the_public_fields(
    manifest, detail_type, error_code, variant_count
):
    entry = events.entry(manifest, bus="default", site_url=SETTINGS.site_url)
    assert set(entry) == {"EventBusName", "Source", "DetailType", "Detail"}
    assert (entry["EventBusName"], entry["Source"], entry["DetailType"]) == (
        "default",
        "picset",
        detail_type,
    )
    detail = json.loads(entry["Detail"])
    assert detail == {
        "id": IMAGE_ID,
        "status": manifest.status,
        "revision": manifest.revision,
        "page_url": f"https://pics.example/api/images/{IMAGE_ID}",
        "error_code": error_code,
        "variant_count": variant_count,
    }
    assert set(detail) == DETAIL_FIELDS


def test_an_entry_names_no_alt_text_file_owner_or_etag():
    text = json.dumps(events.entry(ready_manifest(), bus="default", site_url=None))
    for secret in (SECRET_ALT, "alt", "filename", "owner", "etag", "sequencer"):
        assert secret not in text


@pytest.mark.parametrize(
    ("site_url", "expected"),
    [
        pytest.param(None, None, id="unknown-site-is-null"),
        pytest.param("", None, id="empty-site-is-null"),
        pytest.param(
            "http://127.0.0.1:8000/", f"http://127.0.0.1:8000/images/{IMAGE_ID}", id="root"
        ),
        pytest.param(
            "https://x.example/api", f"https://x.example/api/images/{IMAGE_ID}", id="no-slash"
        ),
    ],
)
def test_the_page_url_sits_under_the_site(site_url, expected):
    assert events.page_url(site_url, IMAGE_ID) == expected


class FakeEvents:
    """`put_events` answering from a script: an answer dict, or an exception to raise."""

    def __init__(self, *answers: Any) -> None:
        self.answers = list(answers)
        self.sent: list[list[dict[str, Any]]] = []

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.sent.append(Entries)
        answer = self.answers.pop(0) if self.answers else OK
        if isinstance(answer, Exception):
            raise answer
        return dict(answer)


OK = {"FailedEntryCount": 0, "Entries": [{"EventId": "e1"}]}


def failing(code: str) -> dict[str, Any]:
    return {"FailedEntryCount": 1, "Entries": [{"ErrorCode": code, "ErrorMessage": "no"}]}


@pytest.mark.parametrize(
    ("answers", "sent", "sends"),
    [
        pytest.param([OK], True, 1, id="taken-at-once"),
        pytest.param([failing("ThrottlingException"), OK], True, 2, id="throttled-then-taken"),
        pytest.param([failing("InternalFailure")] * 3, False, 3, id="failing-gives-up-after-3"),
        pytest.param([failing("AccessDeniedException")], False, 1, id="refused-is-not-retried"),
        pytest.param([ConnectionError("no route")], False, 1, id="unreachable-is-logged"),
    ],
)
def test_a_send_is_retried_only_for_passing_errors(answers, sent, sends, caplog):
    client = FakeEvents(*answers)
    pauses: list[float] = []
    announcer = events.Announcer(client, SETTINGS, sleep=pauses.append)
    with caplog.at_level(logging.ERROR, logger="picset.events"):
        assert announcer(ready_manifest()) is sent
    assert len(client.sent) == sends
    assert pauses == [events.BACKOFF * 2**i for i in range(sends - 1)]
    lost = [json.loads(r.getMessage()) for r in caplog.records if r.name == "picset.events"]
    if sent:
        assert lost == []
    else:
        (line,) = lost
        assert line["id"] == IMAGE_ID and line["revision"] == ready_manifest().revision


def test_a_site_url_must_be_a_web_address():
    with pytest.raises(SettingsError, match="PICSET_SITE_URL"):
        Settings.from_env({"PICSET_SITE_URL": "pics.example/api/"})
    assert Settings.from_env({"PICSET_SITE_URL": "https://pics.example/"}).site_url


def test_an_empty_bus_setting_turns_events_off():
    assert Settings.from_env({"PICSET_EVENT_BUS": ""}).event_bus == ""
    assert Settings.from_env({}).event_bus == "default"
    assert (
        events.announcer(lambda: pytest.fail("no client is made"), Settings(event_bus="")) is None
    )
    assert events.announcer(FakeEvents, SETTINGS) is not None


# --- the processor announces what it puts in place, and only that ----------------------


class Recorder:
    def __init__(self) -> None:
        self.seen: list[Manifest] = []

    def __call__(self, manifest: Manifest) -> None:
        self.seen.append(manifest)


def uploaded(data: bytes) -> MemoryStorage:
    storage = MemoryStorage()
    metadata = {"filename": SECRET_NAME, "alt": "Ann"}
    storage.put(KEY, data, content_type="image/jpeg", metadata=metadata)
    return storage


def processor(storage: MemoryStorage, announce: Any, **kwargs: Any) -> Processor:
    return Processor(storage, SETTINGS, announce=announce, **kwargs)


def in_place(storage: MemoryStorage) -> Manifest:
    found = manifests.load(storage, IMAGE_ID)
    assert found is not None
    return found


def test_a_ready_run_announces_its_manifest_once():
    storage, heard = uploaded(make_image(400, 300)), Recorder()
    outcome = processor(storage, heard).process(UploadRecord(KEY))
    assert outcome.status == "ready"
    assert heard.seen == [in_place(storage)]


def test_a_failed_run_announces_its_failure():
    storage, heard = uploaded(b"not a photo at all"), Recorder()
    processor(storage, heard).process(UploadRecord(KEY))
    (manifest,) = heard.seen
    assert manifest.error is not None and manifest.error.code == "unsupported_format"
    assert manifest == in_place(storage)


def test_a_repeated_delivery_announces_nothing():
    storage = uploaded(make_image(400, 300))
    processor(storage, Recorder()).process(UploadRecord(KEY))
    heard = Recorder()
    assert processor(storage, heard).process(UploadRecord(KEY)).status == "skipped"
    assert heard.seen == []


def test_a_run_that_loses_to_a_newer_manifest_announces_nothing():
    storage = uploaded(make_image(400, 300))
    later = T0 + timedelta(seconds=5)
    processor(storage, Recorder(), now=lambda: later, force=True).process(UploadRecord(KEY))
    heard = Recorder()
    outcome = processor(storage, heard, now=lambda: T0, force=True).process(UploadRecord(KEY))
    assert outcome.status == "superseded"
    assert heard.seen == []


def test_a_recorded_failure_announces_itself_and_never_an_existing_answer():
    event = {"Records": [{"s3": {"object": {"key": KEY}}}]}
    storage, heard = uploaded(make_image(300, 200)), Recorder()
    (outcome,) = processor(storage, heard).time_out(event, "killed")
    assert outcome.status == "failed"
    (manifest,) = heard.seen
    assert manifest.error is not None and manifest.error.code == "timeout"

    storage = uploaded(make_image(300, 200))
    processor(storage, Recorder()).process(UploadRecord(KEY))
    heard = Recorder()
    (late,) = processor(storage, heard).give_up(event, "RuntimeError: boom")
    assert late.status == "skipped"
    assert heard.seen == []


def test_a_send_that_fails_keeps_the_manifest_and_the_run(caplog):
    storage = uploaded(make_image(400, 300))
    announcer = events.Announcer(FakeEvents(RuntimeError("bus on fire")), SETTINGS)
    with caplog.at_level(logging.ERROR, logger="picset.events"):
        outcome = processor(storage, announcer).process(UploadRecord(KEY))
    assert outcome.status == "ready"
    assert in_place(storage).revision == outcome.manifest.revision  # type: ignore[union-attr]
    assert "picset.event_lost" in caplog.text


def test_the_entry_is_what_eventbridge_accepts():
    """The entry's shape against moto's EventBridge (in process), which validates it."""
    from moto import mock_aws

    from chalicelib import aws

    with mock_aws():
        settings = Settings(site_url=SETTINGS.site_url)
        client = aws.client("events", settings)
        assert events.Announcer(client, settings)(failed_manifest()) is True
