import re

import pytest

from chalicelib import render
from chalicelib.manifest import Manifest, Source, Variant, from_dict

BASE = "https://cdn.example"


def manifest(alt=None) -> Manifest:
    variants = []
    for fmt, ext, ctype in (
        ("avif", "avif", "image/avif"),
        ("webp", "webp", "image/webp"),
        ("jpeg", "jpg", "image/jpeg"),
    ):
        for width in (320, 640, 960, 1200):
            variants.append(
                Variant(fmt, width, width * 3 // 4, f"images/I/{width}w.{ext}", 1, ctype)
            )
    return Manifest(
        id="I",
        status="ready",
        source=Source(1, "jpeg", 1200, 900),
        created_at="t",
        width=1200,
        height=900,
        alt=alt,
        color="#123456",
        variants=variants,
    )


def test_picture_has_modern_sources_then_fallback():
    html = str(render.picture_markup(manifest(), BASE))
    types = re.findall(r'<source type="([^"]+)"', html)
    assert types == ["image/avif", "image/webp"]
    assert html.index("<source") < html.index("<img")
    assert f"{BASE}/images/I/320w.avif 320w" in html
    assert f"{BASE}/images/I/1200w.webp 1200w" in html
    assert 'src="https://cdn.example/images/I/960w.jpg"' in html
    assert 'width="1200" height="900"' in html
    assert 'decoding="async"' in html
    assert f'sizes="{render.PAGE_SIZES}"' in html


def test_the_uploaders_alt_is_used():
    assert 'alt="A boat at sea"' in render.picture_markup(manifest(alt="A boat at sea"), BASE)


@pytest.mark.parametrize(
    "filename",
    [
        pytest.param("sunset_at-sea.jpg", id="descriptive-name"),
        pytest.param("IMG_4032.JPG", id="camera-name"),
    ],
)
def test_a_legacy_manifest_without_alt_never_falls_back_to_the_file_name(filename):
    # a manifest written before the private state still names its file in `source`
    data = manifest(alt=None).to_dict()
    legacy = from_dict({**data, "source": {**data["source"], "filename": filename, "etag": "e"}})
    html = str(render.picture_markup(legacy, BASE))
    assert 'alt=""' in html
    assert "sunset" not in html.split("<img", 1)[1]
    assert "IMG" not in html.split("<img", 1)[1].split('src="')[0]
    assert 'alt=""' in str(render.embed_markup(legacy, BASE))


def test_decorative_alt_is_empty():
    assert 'alt=""' in render.picture_markup(manifest(alt=""), BASE)


def test_hostile_names_are_escaped():
    html = str(render.picture_markup(manifest(alt='"><script>alert(1)</script>'), BASE))
    assert "<script>" not in html
    assert "&#34;&gt;&lt;script&gt;" in html


def test_srcset_lists_every_width_in_order():
    pic = render.picture(manifest(), BASE)
    widths = [int(w) for w in re.findall(r" (\d+)w", pic.sources[0].srcset)]
    assert widths == [320, 640, 960, 1200]


def transparent() -> Manifest:
    variants = [
        Variant(fmt, 640, 480, f"images/I/640w.{ext}", 1, ctype)
        for fmt, ext, ctype in (("webp", "webp", "image/webp"), ("png", "png", "image/png"))
    ]
    return Manifest(
        id="I",
        status="ready",
        source=Source(1, "png", 640, 480),
        created_at="t",
        width=640,
        height=480,
        color="#ffffff",
        placeholder="data:image/webp;base64,AAAA",
        has_alpha=True,
        variants=variants,
    )


def test_page_markup_is_the_eager_high_priority_lcp_image():
    html = str(render.page_markup(manifest(), BASE))
    assert 'fetchpriority="high"' in html
    assert "loading=" not in html
    assert "background-color:#123456;" in html


@pytest.mark.parametrize(
    ("made", "present", "absent"),
    [
        pytest.param(
            manifest,
            ['loading="lazy"', 'sizes="auto, 100vw"', "max-width:100%;height:auto;", "#123456"],
            ["fetchpriority"],
            id="opaque-keeps-its-colour",
        ),
        pytest.param(
            transparent,
            ['loading="lazy"', 'src="https://cdn.example/images/I/640w.png"'],
            ["background", "fetchpriority", "image/avif"],
            id="transparent-drops-the-placeholder",
        ),
    ],
)
def test_embed_markup_suits_another_site(made, present, absent):
    html = str(render.embed_markup(made(), BASE))
    for text in present:
        assert text in html
    for text in absent:
        assert text not in html
    assert all(url.startswith("https://") for url in re.findall(r'(?:src|srcset)="([^" ]+)', html))


@pytest.mark.parametrize(
    ("limits", "fitted"),
    [
        pytest.param((None, None), (1200, 900), id="no-limits"),
        pytest.param((600, None), (600, 450), id="maxwidth"),
        pytest.param((None, 450), (600, 450), id="maxheight"),
        pytest.param((1000, 300), (400, 300), id="the-tighter-wins"),
        pytest.param((5000, 5000), (1200, 900), id="never-upscaled"),
        pytest.param((1, None), (1, 1), id="never-below-one-pixel"),
        pytest.param((333, None), (333, 250), id="rounded"),
    ],
)
def test_fit_within_scales_down_keeping_the_aspect(limits, fitted):
    width, height = render.fit_within(1200, 900, *limits)
    assert (width, height) == fitted
    assert width <= (limits[0] or width) and height <= (limits[1] or height)


def test_a_fitted_embed_says_its_width_in_sizes():
    html = str(render.embed_markup(manifest(alt="A boat"), BASE, max_width=480))
    assert 'width="480" height="360"' in html
    assert html.count('sizes="auto, (min-width: 480px) 480px, 100vw"') == 3
    assert html == str(
        render.embed_html(render.embed_picture(manifest("A boat"), BASE, max_width=480))
    )
