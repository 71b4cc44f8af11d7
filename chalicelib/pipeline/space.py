"""Step: fill in the widths between the two ends `plan` fixed, spaced by bytes.

Only when no fixed list is configured. The fallback format's bytes-versus-width curve is
measured on a small master (the picture at `MASTER_WIDTH` px or less, made with a cheap
integer reduce first) by encoding it at three small widths, and `spacing.choose_widths`
picks the widths from that curve. It runs after `colour`, so the curve is measured on the
upright sRGB pixels the variants are made from, and before `resize`, which makes the
widths chosen here. An animation is not measured: see `space`.
"""

from __future__ import annotations

from PIL import Image

from . import spacing
from .context import Context, Options
from .encode import encode_one, output_formats
from .plan import scaled_height

#: Width of the master the curve is measured on: about 20-40 ms of work for a photo,
#: and the curve it gives predicts a 2560 px JPEG to within about 10%.
MASTER_WIDTH = 640
#: PNG (the fallback of a transparent image) encodes some 15 times slower than JPEG: at
#: 640 px the three encodes took 300 ms on the corpus's transparent PNG, at 320 px 80 ms.
MASTER_WIDTHS = {"png": 320}
#: The measured widths, as fractions of the master's: an octave, in half-octave steps.
MEASURED = (1.0, 0.7071, 0.5)


def space(ctx: Context) -> None:
    if not ctx.options.spaced_by_bytes or len(ctx.widths) < 2:
        return
    narrowest, widest = ctx.widths[0], ctx.widths[-1]
    if ctx.animated:
        # An animation costs frames x pixels in every step after this one, and its bytes
        # are dominated by how much moves, not by width: measuring would mean encoding
        # the whole animation, and a byte step would give it the most variants exactly
        # where each costs the most. It gets the fewest, placed as for bytes that grow
        # with area.
        ctx.widths = spacing.spaced_widths(spacing.BY_AREA, narrowest, widest, spacing.FEWEST)
        return
    assert ctx.image is not None
    curve = measure_curve(ctx.image, ctx.has_alpha, ctx.options, widest)
    ctx.widths = spacing.choose_widths(curve, narrowest, widest, ctx.options.width_step_bytes)


def measure_curve(
    image: Image.Image, has_alpha: bool, options: Options, widest: int
) -> spacing.Curve:
    """The fallback format's fitted bytes-versus-width curve for this picture."""
    fallback = output_formats(options, has_alpha)[-1]
    master = _downscale(image, min(MASTER_WIDTHS.get(fallback, MASTER_WIDTH), widest))
    points = []
    for fraction in MEASURED:
        width = max(1, round(master.width * fraction))
        small = master if width == master.width else _downscale(master, width)
        points.append((width, len(encode_one(small, fallback, options))))
    return spacing.fit_curve(points)


def _downscale(image: Image.Image, width: int) -> Image.Image:
    """Lanczos after an integer box reduce (`reducing_gap=1`): nearly the sharpness of the
    pipeline's own resize, so the bytes measured are those of a real variant, at a small
    part of its cost."""
    height = scaled_height(width, image.width, image.height)
    return image.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=1.0)
