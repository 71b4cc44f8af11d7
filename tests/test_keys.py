import pytest

from chalicelib import keys


def test_new_ids_are_valid_and_distinct():
    ids = {keys.new_image_id() for _ in range(200)}
    assert len(ids) == 200
    assert all(keys.is_valid_id(i) for i in ids)


@pytest.mark.parametrize(
    "candidate",
    [
        pytest.param("", id="empty"),
        pytest.param("abc", id="too-short"),
        pytest.param("A" * 23, id="too-long"),
        pytest.param("../../../etc/passwd123", id="dot-dot"),
        pytest.param("AAAAAAAAAA/AAAAAAAAAAA", id="slash"),
        pytest.param("AAAAAAAAAA%2FAAAAAAAAA", id="encoded-slash"),
        pytest.param("AAAAAAAAAAAAAAAAAAAAA\n", id="trailing-newline"),
        pytest.param("AAAAAAAAAAAAAAAAAAAAA.", id="dot"),
    ],
)
def test_rejects_malformed_ids(candidate):
    assert not keys.is_valid_id(candidate)


def test_key_layout():
    image_id = "A" * 22
    assert keys.upload_key(image_id) == f"uploads/{image_id}"
    assert keys.manifest_key(image_id) == f"images/{image_id}/manifest.json"
    revision = "19ade3f2a1b-7c9d2e"
    assert keys.variant_key(image_id, revision, 640, "jpeg") == (
        f"images/{image_id}/{revision}/640w.jpg"
    )
    assert keys.variant_key(image_id, revision, 640, "avif") == (
        f"images/{image_id}/{revision}/640w.avif"
    )


def test_revisions_sort_by_start_and_never_repeat():
    from datetime import UTC, datetime, timedelta

    start = datetime(2026, 12, 2, 5, 30, tzinfo=UTC)
    first, again = keys.new_revision(start), keys.new_revision(start)
    later = keys.new_revision(start + timedelta(milliseconds=1))
    assert first != again
    assert max(first, again) < later
    assert keys.revision_started(first) == start
    assert keys.revision_started("manifest.json") is None


@pytest.mark.parametrize(
    ("key", "revision"),
    [
        pytest.param(
            "images/" + "A" * 22 + "/19ade3f2a1b-7c9d2e/640w.jpg",
            "19ade3f2a1b-7c9d2e",
            id="variant",
        ),
        pytest.param("images/" + "A" * 22 + "/manifest.json", None, id="manifest"),
        pytest.param("images/" + "A" * 22 + "/640w.jpg", None, id="old-layout"),
        pytest.param("images/" + "B" * 22 + "/19ade3f2a1b-7c9d2e/640w.jpg", None, id="other-id"),
        pytest.param("images/" + "A" * 22 + "/../x/640w.jpg", None, id="not-a-revision"),
    ],
)
def test_revision_of_a_key(key, revision):
    assert keys.revision_of(key, "A" * 22) == revision


@pytest.mark.parametrize(
    ("raw", "decoded"),
    [
        pytest.param("uploads/abc", "uploads/abc", id="plain"),
        pytest.param("uploads/a+b", "uploads/a b", id="plus-is-space"),
        pytest.param("uploads/a%2Bb", "uploads/a+b", id="encoded-plus"),
        pytest.param("uploads/caf%C3%A9", "uploads/café", id="utf8"),
    ],
)
def test_event_keys_are_decoded_once(raw, decoded):
    assert keys.decode_event_key(raw) == decoded


@pytest.mark.parametrize(
    ("key", "expected"),
    [
        pytest.param("uploads/" + "B" * 22, "B" * 22, id="upload"),
        pytest.param("images/" + "B" * 22 + "/manifest.json", None, id="own-output"),
        pytest.param("uploads/short", None, id="bad-id"),
        pytest.param("uploads/" + "B" * 22 + "/x", None, id="nested"),
    ],
)
def test_id_from_upload_key(key, expected):
    assert keys.id_from_upload_key(key) == expected
