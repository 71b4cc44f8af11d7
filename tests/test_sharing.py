"""The share card (Open Graph, Twitter, oEmbed discovery) as data and in the page's head."""

import re
from datetime import UTC, datetime
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest

from chalicelib import formats, keys, pages, sharing
from chalicelib.manifest import ErrorInfo, Manifest, Source, Variant
from chalicelib.settings import Settings
from dev.memory import MemoryStorage

IMAGE_ID = "A" * 22
BASE = "https://cdn.example"
SITE = "https://pics.example/api/"
SETTINGS = Settings(public_base_url=BASE)


def manifest(
    widths: tuple[int, ...] = (320, 640, 960, 1280, 1920),
    *,
    fallback: str = "jpeg",
    status: str = "ready",
    **extra: object,
) -> Manifest:
    variants = [
        Variant(
            fmt,
            width,
            width * 3 // 4,
            f"images/{IMAGE_ID}/r/{width}w.{formats.get(fmt).extension}",
            width * 10,
            formats.get(fmt).content_type,
        )
        for fmt in ("avif", "webp", fallback)
        for width in widths
    ]
    return Manifest(
        id=IMAGE_ID,
        status=status,
        source=Source(5000, "jpeg", max(widths), max(widths) * 3 // 4),
        created_at="2026-01-01T00:00:00+00:00",
        width=max(widths),
        height=max(widths) * 3 // 4,
        variants=variants if status == "ready" else [],
        **extra,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("widths", "fallback", "chosen"),
    [
        pytest.param((320, 640, 960, 1280, 1920), "jpeg", ("jpeg", 1280), id="first-at-1200"),
        pytest.param((320, 640, 1200, 1920), "jpeg", ("jpeg", 1200), id="exactly-1200"),
        pytest.param((320, 640, 900), "jpeg", ("jpeg", 900), id="small-image-its-widest"),
        pytest.param((320, 640, 1280), "png", ("png", 1280), id="transparent-png"),
        pytest.param((320, 1280), "gif", ("gif", 1280), id="animated-gif"),
    ],
)
def test_share_variant_is_a_fallback_near_1200(widths, fallback, chosen):
    found = sharing.share_variant(manifest(widths, fallback=fallback))
    assert (found.format, found.width) == chosen


@pytest.mark.parametrize(
    ("max_width", "max_height", "width"),
    [
        pytest.param(None, None, 1280, id="no-limit-the-share-variant"),
        pytest.param(1000, None, 960, id="widest-within-maxwidth"),
        pytest.param(None, 500, 640, id="widest-within-maxheight"),
        pytest.param(700, 300, 320, id="both-limits"),
        pytest.param(5000, 5000, 1280, id="never-wider-than-the-share-variant"),
        pytest.param(100, None, None, id="none-fits"),
    ],
)
def test_thumbnail_respects_the_limits(max_width, max_height, width):
    found = sharing.thumbnail(manifest(), max_width, max_height)
    assert (found.width if found else None) == width
    if found:
        assert found.format == "jpeg"


def test_the_discovery_link_encodes_the_whole_page_url():
    url = sharing.oembed_url(SITE, f"{SITE}images/{IMAGE_ID}")
    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == f"{SITE}api/oembed"
    assert parse_qs(parts.query) == {"url": [f"{SITE}images/{IMAGE_ID}"], "format": ["json"]}
    assert "/" not in parts.query and ":" not in parts.query


@pytest.mark.parametrize(
    ("alt", "title", "image_alt"),
    [
        pytest.param("A boat at dusk", "A boat at dusk", "A boat at dusk", id="described"),
        pytest.param("", "Image", "", id="decorative"),
        pytest.param(None, "Image", "", id="legacy-without-alt"),
    ],
)
def test_card_titles_by_alt_text_or_the_page_heading(alt, title, image_alt):
    found = sharing.card(manifest(alt=alt), BASE, SITE, f"{SITE}images/{IMAGE_ID}", "Image")
    assert (found.title, found.image_alt) == (title, image_alt)
    assert found.image_url == f"{BASE}/images/{IMAGE_ID}/r/1280w.jpg"
    assert (found.image_width, found.image_height, found.image_type) == (1280, 960, "image/jpeg")


def head_of(storage: MemoryStorage, site: str | None = SITE) -> str:
    html = pages.image_page(storage, SETTINGS, IMAGE_ID, datetime.now(UTC), site).html
    return html.split("</head>", 1)[0]


def stored(found: Manifest | None) -> MemoryStorage:
    storage = MemoryStorage()
    storage.put(keys.upload_key(IMAGE_ID), b"original", content_type="image/jpeg")
    if found is not None:
        storage.put(keys.manifest_key(IMAGE_ID), found.to_json(), content_type="x")
    return storage


def tags(head: str) -> dict[str, str]:
    """`property`/`name` -> `content` of every meta tag, unescaped as a parser would."""
    found = re.findall(r'<meta (?:property|name)="((?:og|twitter):[^"]+)" content="([^"]*)">', head)
    return {name: unescape(content) for name, content in found}


def test_a_ready_page_carries_the_whole_card():
    head = head_of(stored(manifest(alt='A "boat" <at> dusk')))
    page = f"{SITE}images/{IMAGE_ID}"
    image = f"{BASE}/images/{IMAGE_ID}/r/1280w.jpg"
    assert tags(head) == {
        "og:type": "website",
        "og:site_name": "picset",
        "og:title": 'A "boat" <at> dusk',
        "og:url": page,
        "og:image": image,
        "og:image:type": "image/jpeg",
        "og:image:width": "1280",
        "og:image:height": "960",
        "og:image:alt": 'A "boat" <at> dusk',
        "twitter:card": "summary_large_image",
        "twitter:title": 'A "boat" <at> dusk',
        "twitter:image": image,
        "twitter:image:alt": 'A "boat" <at> dusk',
    }
    assert "<at>" not in head, "the alt text is escaped"
    assert f'<link rel="canonical" href="{page}">' in head
    link = re.search(r'<link rel="alternate" type="application/json\+oembed" href="([^"]+)"', head)
    assert link is not None
    assert unescape(link.group(1)) == sharing.oembed_url(SITE, page)


def test_a_decorative_image_has_no_alt_tags_and_a_neutral_title():
    found = tags(head_of(stored(manifest(alt=""))))
    assert found["og:title"] == found["twitter:title"] == "Image"
    assert "og:image:alt" not in found and "twitter:image:alt" not in found


def test_a_transparent_image_shares_its_png():
    found = tags(head_of(stored(manifest(fallback="png", has_alpha=True, alt="Logo"))))
    assert found["og:image"].endswith("/1280w.png")
    assert found["og:image:type"] == "image/png"


@pytest.mark.parametrize(
    "found",
    [
        pytest.param(None, id="processing"),
        pytest.param(
            manifest(status="failed", error=ErrorInfo("corrupt", "It is damaged.")), id="failed"
        ),
    ],
)
def test_pages_without_an_image_have_no_card(found):
    head = head_of(stored(found))
    assert "og:" not in head and "twitter:" not in head and "oembed" not in head


def test_without_the_site_root_the_page_has_no_card():
    assert "og:" not in head_of(stored(manifest(alt="A boat")), site=None)
