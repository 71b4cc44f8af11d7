"""What a picture page says about itself when its link is shared: the Open Graph and
Twitter card tags (title, one image and its size, the canonical URL) and the oEmbed
discovery link. Pure: the same manifest and URLs give the same card.

Only the uploader's alt text and the image itself are told; never the owner or the file
name, which are private (a shared link travels far beyond the owner's own views).
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

from . import render
from .manifest import Manifest, Variant

#: Facebook and X both recommend 1200 px wide images for large link previews: the
#: narrowest variant at least that wide is sharp on their cards without sending more
#: bytes than they use; a smaller image shares its widest.
SHARE_WIDTH = 1200
PROVIDER_NAME = "picset"


@dataclass(frozen=True)
class Card:
    title: str
    page_url: str
    oembed_url: str
    image_url: str
    image_type: str
    image_width: int
    image_height: int
    #: The image's description for people who cannot see it; "" for a decorative image
    #: (and one from before alt text was asked for), whose tags then leave it out.
    image_alt: str


def share_variant(manifest: Manifest) -> Variant:
    """The image a card shows: a fallback variant (JPEG, or PNG for a transparent image,
    GIF for an animation), since AVIF and WebP do not unfurl everywhere; the narrowest at
    least `SHARE_WIDTH` wide, else the widest there is."""
    candidates = manifest.variants_of(render.fallback_format(manifest))
    return next((v for v in candidates if v.width >= SHARE_WIDTH), candidates[-1])


def thumbnail(
    manifest: Manifest, max_width: int | None = None, max_height: int | None = None
) -> Variant | None:
    """oEmbed's thumbnail: the share variant, or, within an embedder's limits (which the
    spec says a thumbnail must respect too), the widest fallback variant that fits them
    and is no wider; None when none fits."""
    widest = share_variant(manifest).width
    fitting = [
        v
        for v in manifest.variants_of(render.fallback_format(manifest))
        if v.width <= widest
        and (max_width is None or v.width <= max_width)
        and (max_height is None or v.height <= max_height)
    ]
    return fitting[-1] if fitting else None


def oembed_url(root: str, page_url: str) -> str:
    """The discovery link's target: the endpoint under `root`, the page URL encoded whole
    (`safe=""`, so its `:` and `/` cannot end the parameter or start another)."""
    return f"{root}api/oembed?url={quote(page_url, safe='')}&format=json"


def card(manifest: Manifest, base_url: str, root: str, page_url: str, untitled: str) -> Card:
    """The card for a ready manifest; `untitled` titles an image with no alt text."""
    image = share_variant(manifest)
    alt = render.alt_text(manifest)
    return Card(
        title=alt or untitled,
        page_url=page_url,
        oembed_url=oembed_url(root, page_url),
        image_url=render.variant_url(base_url, image),
        image_type=image.content_type,
        image_width=image.width,
        image_height=image.height,
        image_alt=alt,
    )
