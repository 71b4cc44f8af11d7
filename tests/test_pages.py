"""The pages' pure helpers and each state's page, on in-memory storage."""

import dataclasses
import json
import re
from datetime import UTC, datetime

import pytest

from chalicelib import formats, keys, pages, tickets
from chalicelib.manifest import ErrorInfo, Manifest, Source, Variant
from chalicelib.settings import Settings
from dev.memory import MemoryStorage

IMAGE_ID = "A" * 22
SETTINGS = Settings(public_base_url="https://cdn.example")


def variant(fmt: str, width: int, size: int) -> Variant:
    ext = formats.get(fmt).extension
    return Variant(fmt, width, width // 2, f"images/{IMAGE_ID}/{width}w.{ext}", size, "x/y")


def manifest(variants: list[Variant], status: str = "ready", **extra: object) -> Manifest:
    return Manifest(
        id=IMAGE_ID,
        status=status,
        source=Source(5000, "jpeg", 1280, 640),
        created_at="2026-01-01T00:00:00+00:00",
        width=1280,
        height=640,
        variants=variants,
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("size", "text"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(1023, "1023 B", id="just-under-a-kilobyte"),
        pytest.param(1024, "1.0 KB", id="one-kilobyte"),
        pytest.param(46_387, "45.3 KB", id="kilobytes"),
        pytest.param(5 * 1024 * 1024, "5.0 MB", id="megabytes"),
        pytest.param(3 * 1024**3, "3.0 GB", id="gigabytes"),
    ],
)
def test_human_bytes(size, text):
    assert pages.human_bytes(size) == text


ROWS = [
    variant("jpeg", 640, 1000),
    variant("avif", 640, 250),
    variant("webp", 640, 400),
    variant("jpeg", 1280, 4000),
    variant("avif", 1280, 1000),
    variant("webp", 1280, 2000),
]


@pytest.mark.parametrize(
    ("fmt", "width", "share", "saving"),
    [
        pytest.param("jpeg", 1280, 100.0, None, id="largest-fallback-is-the-full-bar"),
        pytest.param("avif", 1280, 25.0, 75, id="avif-saves-against-jpeg"),
        pytest.param("webp", 1280, 50.0, 50, id="webp-saves-against-jpeg"),
        pytest.param("avif", 640, 6.2, 75, id="small-avif"),
        pytest.param("jpeg", 640, 25.0, None, id="fallback-saves-nothing-against-itself"),
    ],
)
def test_variant_rows_measure_each_file(fmt, width, share, saving):
    rows = {(row.format, row.width): row for row in pages.variant_rows(manifest(ROWS))}
    row = rows[(fmt, width)]
    assert row.share == share
    assert row.saving == saving
    assert row.size_text == pages.human_bytes(row.bytes)


def test_variant_rows_go_widest_first_modern_formats_first():
    order = [(row.format, row.width) for row in pages.variant_rows(manifest(ROWS))]
    assert order == [
        ("avif", 1280),
        ("webp", 1280),
        ("jpeg", 1280),
        ("avif", 640),
        ("webp", 640),
        ("jpeg", 640),
    ]


def test_variant_rows_measure_against_png_for_transparent_images():
    rows = pages.variant_rows(
        manifest([variant("png", 640, 1000), variant("webp", 640, 100)], has_alpha=True)
    )
    assert [(row.label, row.saving) for row in rows] == [("WebP", 90), ("PNG", None)]


def test_variant_rows_without_a_fallback_at_that_width_save_nothing():
    rows = pages.variant_rows(manifest([variant("jpeg", 640, 1000), variant("avif", 900, 10)]))
    assert [row.saving for row in rows] == [None, None]


def test_no_variants_no_rows():
    assert pages.variant_rows(manifest([], status="failed")) == []


def test_upload_limits_come_from_the_settings_and_the_ticket_rules():
    limits = pages.upload_limits(Settings(max_upload_bytes=123_456))
    assert limits["max_bytes"] == 123_456
    assert limits["types"] == formats.upload_types()
    assert limits["max_alt"] == tickets.MAX_ALT
    assert set(limits["extensions"].values()) <= set(formats.upload_types())


def test_kinds_text_lists_each_kind_once():
    assert pages.kinds_text() == "JPEG, PNG, WebP, AVIF, HEIC, HEIF, GIF or TIFF"


def test_upload_page_carries_the_limits_as_data():
    html = pages.upload_page(Settings(max_upload_bytes=2 * 1024 * 1024)).html
    raw = re.search(r'data-limits="([^"]+)"', html)
    assert raw is not None
    limits = json.loads(raw.group(1).replace("&#34;", '"'))
    assert limits["max_bytes"] == 2 * 1024 * 1024
    assert "up to 2.0 MB each" in html
    assert re.search(r'src="assets/upload\.js\?v=[0-9a-f]{12}"', html)
    assert "<script>" not in html  # every script is a file of the app's own


def stored(status: str | None) -> MemoryStorage:
    storage = MemoryStorage()
    storage.put(keys.upload_key(IMAGE_ID), b"original", content_type="image/jpeg")
    if status == "ready":
        found = manifest(ROWS, color="#102030", alt="A boat")
        storage.put(keys.manifest_key(IMAGE_ID), found.to_json(), content_type="x")
    elif status == "failed":
        found = manifest([], status="failed", error=ErrorInfo("corrupt", "It is damaged."))
        storage.put(keys.manifest_key(IMAGE_ID), found.to_json(), content_type="x")
    return storage


@pytest.mark.parametrize(
    ("state", "image_id", "status", "marker"),
    [
        pytest.param("ready", IMAGE_ID, 200, "<picture>", id="ready"),
        pytest.param(None, IMAGE_ID, 200, 'data-status="processing"', id="processing"),
        pytest.param("failed", IMAGE_ID, 200, 'data-code="corrupt"', id="failed"),
        pytest.param(None, "B" * 22, 404, 'data-status="not_found"', id="unknown"),
        pytest.param(None, "../etc", 404, 'data-status="not_found"', id="malformed"),
    ],
)
def test_image_page_for_each_state(state, image_id, status, marker):
    page = pages.image_page(stored(state), SETTINGS, image_id, datetime.now(UTC))
    assert page.status == status
    assert marker in page.html
    assert 'href="../assets/picset.css?v=' in page.html


def test_ready_page_has_the_picture_the_table_and_the_snippet():
    html = pages.image_page(stored("ready"), SETTINGS, IMAGE_ID, datetime.now(UTC)).html
    assert 'fetchpriority="high"' in html
    assert html.count("<tr data-format=") == len(ROWS)
    # The snippet sits escaped in the textarea, so the browser shows it exactly.
    assert "&lt;picture&gt;" in html
    assert "loading=&#34;lazy&#34;" in html
    assert "background-color:#102030" in html


def test_upload_page_says_alt_text_is_needed_and_how_long_it_may_be():
    html = pages.upload_page(SETTINGS).html
    assert 'id="alt-rule"' in html
    assert f"up to {tickets.MAX_ALT} characters" in html
    assert f"{tickets.max_alt_chars('海')} in Chinese or Japanese script" in html


@pytest.mark.parametrize(
    ("alt", "img_alt", "details"),
    [
        pytest.param("A boat", 'alt="A boat"', "<dd>A boat</dd>", id="described"),
        pytest.param("", 'alt=""', "none (decorative)", id="decorative"),
        pytest.param(None, 'alt=""', "none given", id="legacy-without-alt"),
    ],
)
def test_ready_page_alt_never_comes_from_the_file_name(alt, img_alt, details):
    storage = MemoryStorage()
    found = manifest(ROWS, alt=alt)
    storage.put(keys.manifest_key(IMAGE_ID), found.to_json(), content_type="x")
    html = pages.image_page(storage, SETTINGS, IMAGE_ID, datetime.now(UTC)).html
    img = re.search(r"<img [^>]*>", html)
    assert img is not None
    assert img_alt in img.group(0)
    assert "boat.jpg" not in img.group(0) and 'alt="boat"' not in html
    assert details in html
    assert ("· decorative" in html) == (alt == "")


def test_upload_page_signs_in_before_it_uploads():
    html = pages.upload_page(SETTINGS).html
    assert 'id="sign-in-form" class="sign-in" data-api="api/session"' in html
    assert '<label for="username">User name</label>' in html
    assert '<label for="password">Password</label>' in html
    assert 'autocomplete="current-password"' in html
    # Until the script finds a session the file input is off and the page says why.
    assert re.search(r'<input id="file"[^>]* disabled>', html)
    assert "Sign in above to upload photos." in html
    assert 'href="library"' in html
    session = html.index("assets/session.js?v=")
    assert session < html.index("assets/upload.js?v="), "the session script runs first"


def test_library_page_is_a_shell_that_names_nobody():
    page = pages.library_page()
    assert page.status == 200
    html = page.html
    assert 'data-api="api/images"' in html
    assert f'data-page-size="{pages.LIBRARY_PAGE_SIZE}"' in html
    assert f'data-max-alt="{tickets.MAX_ALT}"' in html
    assert re.search(r'src="assets/session\.js\?v=[0-9a-f]{12}"', html)
    assert re.search(r'src="assets/library\.js\?v=[0-9a-f]{12}"', html)
    assert html.index("assets/session.js") < html.index("assets/library.js")
    assert 'href="./"' in html  # back to the upload page, under any stage prefix
    assert "<script>" not in html


def test_variant_rows_show_each_score_and_what_it_was_made_at():
    scored = dataclasses.replace(
        variant("avif", 640, 900), quality=54, score=71.234, chroma="4:4:4"
    )
    unscored = dataclasses.replace(variant("jpeg", 640, 1000), quality=80, chroma="4:2:0")
    lossless = variant("png", 320, 3000)
    rows = {row.format: row for row in pages.variant_rows(manifest([scored, unscored, lossless]))}
    assert (rows["avif"].score_text, rows["avif"].setting_text) == (
        "71.2",
        "quality 54, 4:4:4 chroma",
    )
    assert (rows["jpeg"].score_text, rows["jpeg"].setting_text) == (
        None,
        "quality 80, 4:2:0 chroma",
    )
    assert (rows["png"].score_text, rows["png"].setting_text) == (None, "")


def test_ready_page_has_a_score_column():
    scored = dataclasses.replace(variant("avif", 640, 900), quality=54, score=71.25, chroma="4:2:0")
    storage = MemoryStorage()
    storage.put(keys.upload_key(IMAGE_ID), b"original", content_type="image/jpeg")
    found = manifest([scored, variant("jpeg", 640, 1000)], alt="A boat")
    storage.put(keys.manifest_key(IMAGE_ID), found.to_json(), content_type="x")
    html = pages.image_page(storage, SETTINGS, IMAGE_ID, datetime.now(UTC)).html
    assert ">Score</abbr></th>" in html
    assert '<td class="num score" title="quality 54, 4:2:0 chroma">71.2</td>' in html
    assert '<td class="num score">–</td>' in html
