import base64
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from moto import mock_aws

from chalicelib import aws, tickets
from chalicelib.errors import RequestError
from chalicelib.settings import Settings

SETTINGS = Settings(bucket="picset-test", max_upload_bytes=10_000)
GOOD = {"filename": "cat.jpg", "content_type": "image/jpeg", "size": 500, "alt": ""}


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
        pytest.param({k: v for k, v in GOOD.items() if k != "alt"}, "missing_alt", id="no-alt"),
        pytest.param({**GOOD, "alt": None}, "missing_alt", id="alt-null"),
        pytest.param({**GOOD, "alt": "a" * 501}, "alt_too_long", id="alt-over-500-chars"),
    ],
)
def test_rejects_bad_requests(body, code):
    with pytest.raises(RequestError) as caught:
        tickets.parse_request(body, SETTINGS)
    assert caught.value.code == code
    assert caught.value.status == 400


def test_accepts_a_good_request_and_normalises_type():
    parsed = tickets.parse_request({**GOOD, "content_type": "Image/JPEG"}, SETTINGS)
    assert parsed == tickets.TicketRequest("cat.jpg", "image/jpeg", 500, "")


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
    assert ["content-length-range", 1, GOOD["size"]] in policy["conditions"]
    assert {"Content-Type": "image/jpeg"} in policy["conditions"]
    assert ticket["expires_in"] == SETTINGS.ticket_expiry_seconds


def japanese(length: int, text: str = "海辺の夕日と砂浜") -> str:
    return (text * (length // len(text) + 1))[:length]


def issued_fields(body: dict) -> dict[str, str]:
    with mock_aws():
        client = aws.client("s3", SETTINGS)
        request = tickets.parse_request(body, SETTINGS)
        return dict(tickets.issue_ticket(client, SETTINGS, request, "A" * 22)["fields"])


def test_the_budgets_add_up_to_the_s3_limit():
    assert tickets.METADATA_LIMIT == 2048
    assert (
        len(tickets.FILENAME_KEY)
        + tickets.FILENAME_BUDGET
        + len(tickets.ALT_KEY)
        + tickets.ALT_BUDGET
        == tickets.METADATA_LIMIT
    )
    # Any alt the page's field allows in ASCII fits, whatever its punctuation.
    assert tickets.encoded_size("%" * tickets.MAX_ALT) <= tickets.ALT_BUDGET


def test_metadata_size_counts_keys_without_prefix_and_values_in_utf8():
    fields = {
        "Content-Type": "image/jpeg",
        "policy": "x" * 900,
        "x-amz-meta-filename": "abc",
        "x-amz-meta-alt": "",
    }
    assert tickets.metadata_size(fields) == len("filename") + 3 + len("alt")


def test_a_long_japanese_name_and_alt_are_refused_with_the_length_that_fits():
    body = {**GOOD, "filename": japanese(200) + ".jpg", "alt": japanese(490)}
    with pytest.raises(RequestError) as caught:
        tickets.parse_request(body, SETTINGS)
    assert caught.value.status == 400
    assert caught.value.code == "alt_too_long"
    assert "490 characters" in caught.value.message
    assert "at most 198 of them fit" in caught.value.message


def test_the_longest_japanese_alt_that_fits_gets_a_ticket_within_the_limit():
    alt = japanese(198)
    fields = issued_fields({**GOOD, "filename": japanese(200) + ".jpg", "alt": alt})
    assert tickets.decode_meta(fields["x-amz-meta-alt"]) == alt
    assert tickets.metadata_size(fields) <= tickets.METADATA_LIMIT
    with pytest.raises(RequestError, match="at most 198 of them fit"):
        tickets.parse_request({**GOOD, "alt": japanese(199)}, SETTINGS)


def test_a_decorative_image_sends_an_empty_alt():
    fields = issued_fields(GOOD)
    assert fields["x-amz-meta-alt"] == ""


@pytest.mark.parametrize(
    ("name", "kept"),
    [
        pytest.param("cat.jpg", "cat.jpg", id="short-name-untouched"),
        pytest.param("x" * 200, "x" * 200, id="ascii-within-budget"),
        pytest.param("%" * 100 + ".png", "%" * 83 + ".png", id="ascii-escapes-never-split"),
        pytest.param(japanese(200) + ".jpg", japanese(27) + ".jpg", id="japanese-keeps-ext"),
        pytest.param(japanese(200), japanese(28), id="japanese-no-extension"),
        pytest.param(
            "é" * 41 + "e\u0301" * 10, "é" * 41 + "e\u0301", id="combining-mark-not-orphaned"
        ),
        pytest.param("x" * 300 + ".jpeg", "x" * 195 + ".jpeg", id="200-chars-keeps-ext"),
        pytest.param(
            "é" * 38 + "\U0001f468\u200d\U0001f469" + ".gif",
            "é" * 38 + ".gif",
            id="zwj-sequence-not-split",
        ),
    ],
)
def test_fit_filename_trims_whole_characters(name, kept):
    fitted = tickets.fit_filename(name)
    assert fitted == kept
    assert tickets.encoded_size(fitted) <= tickets.FILENAME_BUDGET


def test_a_long_japanese_name_is_stored_shortened():
    fields = issued_fields({**GOOD, "filename": japanese(200) + ".jpg"})
    stored = tickets.decode_meta(fields["x-amz-meta-filename"])
    assert stored == japanese(27) + ".jpg"
    assert len(fields["x-amz-meta-filename"]) <= tickets.FILENAME_BUDGET


def test_lone_surrogates_from_json_do_not_break_encoding():
    body = json.loads('{"filename": "a\\ud800.jpg", "alt": "b\\udfff"}')
    parsed = tickets.parse_request({**GOOD, **body}, SETTINGS)
    assert parsed.filename == "a\ufffd.jpg"
    assert parsed.alt == "b\ufffd"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    filename=st.text(min_size=1, max_size=400),
    alt=st.text(max_size=600),
    size=st.integers(min_value=1, max_value=SETTINGS.max_upload_bytes),
)
def test_no_ticket_carries_metadata_s3_would_refuse(s3_client, filename, alt, size):
    body = {"filename": filename, "content_type": "image/jpeg", "size": size, "alt": alt}
    try:
        request = tickets.parse_request(body, SETTINGS)
    except RequestError as error:
        assert error.status == 400
        assert error.code in {"bad_filename", "alt_too_long"}
        return
    fields = tickets.issue_ticket(s3_client, SETTINGS, request, "A" * 22)["fields"]
    assert tickets.metadata_size(fields) <= tickets.METADATA_LIMIT
    assert tickets.decode_meta(fields["x-amz-meta-alt"]) == request.alt


@pytest.fixture(scope="module")
def s3_client():
    with mock_aws():
        yield aws.client("s3", SETTINGS)
