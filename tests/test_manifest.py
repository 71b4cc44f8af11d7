import json

import pytest

from chalicelib.manifest import ErrorInfo, Manifest, Source, Variant, from_dict, from_json


def ready_manifest() -> Manifest:
    return Manifest(
        id="A" * 22,
        status="ready",
        source=Source(bytes=10, format="jpeg", width=800, height=600),
        created_at="2026-01-01T00:00:00+00:00",
        width=800,
        height=600,
        variants=[
            Variant("webp", 640, 480, "images/x/640w.webp", 100, "image/webp"),
            Variant("webp", 320, 240, "images/x/320w.webp", 50, "image/webp"),
            Variant("jpeg", 320, 240, "images/x/320w.jpg", 70, "image/jpeg"),
        ],
    )


def test_round_trip():
    manifest = ready_manifest()
    assert from_json(manifest.to_json()) == manifest


def test_failed_round_trip():
    manifest = Manifest(
        id="B" * 22,
        status="failed",
        source=Source(bytes=1),
        created_at="t",
        error=ErrorInfo("corrupt", "broken"),
    )
    again = from_json(manifest.to_json())
    assert again.error == ErrorInfo("corrupt", "broken")
    assert not again.is_ready


def test_json_is_versioned():
    assert json.loads(ready_manifest().to_json())["version"] == 1


@pytest.mark.parametrize(
    "mutate",
    [
        pytest.param(lambda d: d.update(version=2), id="other-version"),
        pytest.param(lambda d: d.pop("id"), id="missing-id"),
        pytest.param(lambda d: d["source"].update(bogus=1), id="unknown-source-field"),
    ],
)
def test_rejects_malformed(mutate):
    data = ready_manifest().to_dict()
    mutate(data)
    with pytest.raises(ValueError):
        from_dict(data)


def test_variants_of_sorts_narrowest_first():
    assert [v.width for v in ready_manifest().variants_of("webp")] == [320, 640]
    assert ready_manifest().formats == ["webp", "jpeg"]


def test_a_manifest_from_before_the_private_state_still_parses():
    data = json.loads(ready_manifest().to_json())
    data["source"].update(etag="0123abcd", filename="holiday.jpg")
    parsed = from_dict(data)
    assert parsed == ready_manifest()
    assert b"holiday" not in parsed.to_json() and b"0123abcd" not in parsed.to_json()
