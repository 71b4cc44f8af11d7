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
    assert keys.variant_key(image_id, 640, "jpeg") == f"images/{image_id}/640w.jpg"
    assert keys.variant_key(image_id, 640, "avif") == f"images/{image_id}/640w.avif"


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
