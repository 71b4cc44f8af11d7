import re

from chalicelib import render
from chalicelib.manifest import Manifest, Source, Variant

BASE = "https://cdn.example"


def manifest(alt=None, filename="sunset_at-sea.jpg") -> Manifest:
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
        source=Source("e", 1, "jpeg", 1200, 900, filename),
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


def test_alt_defaults_to_the_file_name():
    assert 'alt="sunset at sea"' in render.picture_markup(manifest(), BASE)


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
