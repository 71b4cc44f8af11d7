"""HTML from manifests: the `<picture>` markup and the app's pages, through jinja2.

Markup is generated from the manifest alone (never from listing the bucket), with
autoescaping on, so a hostile file name or alt text is always shown as text. The
functions here are pure: the same manifest and base URL give the same HTML.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from . import assets, formats
from .manifest import Manifest, Variant

TEMPLATES = Path(__file__).parent / "templates"

#: The page's main column is at most 960 CSS px wide with 16 px margins on each side
#: (`main` in static/picset.css); a browser test checks the image really gets that slot.
PAGE_SIZES = "(min-width: 992px) 960px, calc(100vw - 32px)"

#: For the copied snippet the host page's layout is unknown. `auto` lets a browser that
#: supports it (lazy images only) use the width the image is really laid out at; others
#: read `100vw`, which may fetch more than needed but never a blurry, too small variant.
EMBED_SIZES = "auto, 100vw"

#: Keeps the pasted image inside its container; without it `width="2560"` would lay the
#: image out 2560 CSS px wide on a page with no stylesheet for it.
EMBED_LAYOUT = "max-width:100%;height:auto;"

_env = Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(default=True, default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
_env.globals["asset_path"] = assets.path


@dataclass(frozen=True)
class Source:
    type: str
    srcset: str


@dataclass(frozen=True)
class Picture:
    sources: list[Source]
    src: str
    srcset: str
    width: int
    height: int
    alt: str
    sizes: str
    color: str | None
    placeholder: str | None
    has_alpha: bool = False


def variant_url(base_url: str, variant: Variant) -> str:
    return f"{base_url.rstrip('/')}/{variant.key}"


def srcset(base_url: str, variants: list[Variant]) -> str:
    return ", ".join(f"{variant_url(base_url, v)} {v.width}w" for v in variants)


def fallback_format(manifest: Manifest) -> str:
    """The format of the `<img>`: the manifest's fallback variants (in registry order)."""
    for fmt in formats.FALLBACK_FORMATS:
        if manifest.variants_of(fmt.name):
            return fmt.name
    return manifest.formats[-1]


def alt_text(manifest: Manifest) -> str:
    """The alt the uploader gave ("" marks a decorative image). Never the file name:
    `alt="IMG 4032"` tells a screen-reader user nothing and hides that the alt is missing.
    A manifest from before alt was required has none; it gets `alt=""`, so assistive
    technology skips the image rather than reading out its URL (docs/decisions.md)."""
    return manifest.alt if manifest.alt is not None else ""


def picture(manifest: Manifest, base_url: str, sizes: str = PAGE_SIZES) -> Picture:
    """What a `<picture>` for this ready manifest needs, modern formats first."""
    sources = [
        Source(fmt.source_type, srcset(base_url, manifest.variants_of(fmt.name)))
        for fmt in formats.MODERN_FORMATS
        if manifest.variants_of(fmt.name)
    ]
    fallback = manifest.variants_of(fallback_format(manifest))
    largest = fallback[-1]
    # The src is a mid-size variant: old browsers without srcset get something sensible.
    middle = next((v for v in fallback if v.width >= 960), largest)
    return Picture(
        sources=sources,
        src=variant_url(base_url, middle),
        srcset=srcset(base_url, fallback),
        width=manifest.width or largest.width,
        height=manifest.height or largest.height,
        alt=alt_text(manifest),
        sizes=sizes,
        color=manifest.color,
        placeholder=manifest.placeholder,
        has_alpha=manifest.has_alpha,
    )


def placeholder_style(pic: Picture) -> str:
    """The dominant colour and the blurred preview, painted behind the image until it loads."""
    style = f"background-color:{pic.color};" if pic.color else ""
    if pic.placeholder:
        style += f"background-image:url({pic.placeholder});background-size:cover;"
    return style


def picture_markup(
    manifest: Manifest,
    base_url: str,
    *,
    sizes: str = PAGE_SIZES,
    loading: str | None = None,
    fetchpriority: str | None = "high",
    style: str = "",
) -> Markup:
    """The `<picture>` element alone (already escaped). The defaults suit a page's main
    image: no `loading` (so eager) and `fetchpriority="high"`, as it is the LCP element."""
    return picture_html(
        picture(manifest, base_url, sizes),
        loading=loading,
        fetchpriority=fetchpriority,
        style=style,
    )


def picture_html(
    pic: Picture, *, loading: str | None, fetchpriority: str | None, style: str
) -> Markup:
    """A worked-out `Picture` as its `<picture>` element: the one template for it."""
    html = _env.get_template("picture.html").render(
        pic=pic, loading=loading, fetchpriority=fetchpriority, style=style
    )
    return Markup(html.strip())


def page_markup(manifest: Manifest, base_url: str) -> Markup:
    """The picture page's main image: eager, high priority, the placeholder behind it
    (the page's script clears it once the image has loaded, for transparent images)."""
    pic = picture(manifest, base_url)
    return picture_markup(manifest, base_url, style=placeholder_style(pic))


def fit_within(
    width: int, height: int, max_width: int | None, max_height: int | None
) -> tuple[int, int]:
    """`width` x `height` scaled down, aspect kept, to fit the limits given (None: no
    limit); never scaled up, never below 1 px."""
    scale = min(
        1.0,
        max_width / width if max_width else 1.0,
        max_height / height if max_height else 1.0,
    )
    if scale >= 1.0:
        return width, height
    fitted_width = min(max_width or width, max(1, round(width * scale)))
    fitted_height = min(max_height or height, max(1, round(height * scale)))
    return fitted_width, fitted_height


def embed_picture(
    manifest: Manifest,
    base_url: str,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
) -> Picture:
    """The snippet's picture, its `width`/`height` fitted to the limits an embedder sets
    (oEmbed's `maxwidth`/`maxheight`). A fitted one says in `sizes` that it is never laid
    out wider than that, so a browser without `sizes="auto"` does not fetch for 100vw."""
    pic = picture(manifest, base_url, EMBED_SIZES)
    width, height = fit_within(pic.width, pic.height, max_width, max_height)
    if (width, height) == (pic.width, pic.height):
        return pic
    sizes = f"auto, (min-width: {width}px) {width}px, 100vw"
    return replace(pic, width=width, height=height, sizes=sizes)


def embed_html(pic: Picture) -> Markup:
    """The snippet to paste into another site: lazy, because on a page picset knows
    nothing about the image is more likely below the fold than the LCP element; no
    `fetchpriority`; inline layout so it fits any container. The placeholder stays only
    for opaque images: with no script to clear it, it would show through a transparent
    one."""
    style = EMBED_LAYOUT + ("" if pic.has_alpha else placeholder_style(pic))
    return picture_html(pic, loading="lazy", fetchpriority=None, style=style)


def embed_markup(
    manifest: Manifest,
    base_url: str,
    *,
    max_width: int | None = None,
    max_height: int | None = None,
) -> Markup:
    """The snippet of the page's "Copy markup" and of oEmbed (`sizes="auto, ..."`)."""
    return embed_html(embed_picture(manifest, base_url, max_width=max_width, max_height=max_height))


def render(template: str, **values: Any) -> str:
    return _env.get_template(template).render(**values)
