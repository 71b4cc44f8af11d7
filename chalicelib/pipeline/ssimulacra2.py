"""picset's own SSIMULACRA2 scorer: SSIMULACRA 2.1 in numpy, for the quality search.

A quality search scores a few encodes of one image against that image, so the work that
depends on the reference alone (its XYB pyramid, and at each of the six scales its blurred
mean, its blurred variance and the terms of the edge maps) is done once by `Reference`,
and each `Reference.score` only converts, blurs and compares the candidate.

It follows the reference implementation (github.com/cloudinary/ssimulacra2, commit
81feacf6a5b0bbd7ec11b4a881a4615033ab0b10, "SSIMULACRA 2.1") step by step: 8-bit sRGB to
linear, the opsin XYB of libjxl made positive, six scales each halved by 2x2 box averages
in linear light (edges repeated), a Gaussian blur of sigma 1.5 with zeros outside the
image on all four sides, SSIM without its luma denominator and the two edge maps, their
1- and 4-norms, the 108 weights and the final polynomial, in float32 as the reference
computes. Transparency is blended onto greys 0.1 and 0.9 in sRGB values, the worse score
kept. Where the form differs, the result does not:

* The blur (`ssimulacra2_blur`) is libjxl's recursive Gaussian with its float32 rounding
  emulated at the coarse scales, where that rounding moves scores, and the recursion's
  exact taps at the two finest scales, where it does not and most of the time would go.
* Edge maps use (|e2| - |e1|) / (1 + |e1|), the reference's (1 + |e2|) / (1 + |e1|) - 1
  rearranged so that float32 keeps the digits the reference keeps in double.
* sRGB is linearised by its formula, cube roots by numpy; the reference's rational and
  Newton approximations of both differ by a few units in the last place.

Against the reference's scores on the golden pairs (`tests/test_picset_ssimulacra2.py`)
it is within 0.3 points; docs/ssimulacra2.md has the numbers and the timings. Images
under 8 pixels on a side raise `ValueError`, as the reference's tool refuses them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import numpy as np
from PIL import Image

from .ssimulacra2_blur import emulated_blur, exact_blur

#: The reference's tool refuses smaller images; its scale loop stops adding a scale once
#: the previous one is narrower or shorter than this.
MIN_SIDE = 8
SCALES = 6
#: Greys (in 0..1 sRGB values) a transparent image is blended onto; the worse score wins.
ALPHA_GREYS = (0.1, 0.9)
#: The grey a transparent distorted image is blended onto when the reference is opaque.
LONE_ALPHA_GREY = 0.5

#: The first scale (0 is full size) blurred with the reference's float32 recursion
#: emulated step by step; finer scales, which hold most of the pixels, take the exact filter.
EMULATED_FROM_SCALE = 2

_F32 = np.float32
_C2 = _F32(0.0009)

_WEIGHTS = (
    0.0, 0.0007376606707406586, 0.0, 0.0, 0.0007793481682867309, 0.0, 0.0,
    0.0004371155730107379, 0.0, 1.1041726426657346, 0.00066284834129271,
    0.00015231632783718752, 0.0, 0.0016406437456599754, 0.0, 1.8422455520539298,
    11.441172603757666, 0.0, 0.0007989109436015163, 0.000176816438078653, 0.0,
    1.8787594979546387, 10.94906990605142, 0.0, 0.0007289346991508072, 0.9677937080626833,
    0.0, 0.00014003424285435884, 0.9981766977854967, 0.00031949755934435053,
    0.0004550992113792063, 0.0, 0.0, 0.0013648766163243398, 0.0, 0.0, 0.0, 0.0, 0.0,
    7.466890328078848, 0.0, 17.445833984131262, 0.0006235601634041466, 0.0, 0.0,
    6.683678146179332, 0.00037724407979611296, 1.027889937768264, 225.20515300849274, 0.0,
    0.0, 19.213238186143016, 0.0011401524586618361, 0.001237755635509985,
    176.39317598450694, 0.0, 0.0, 24.43300999870476, 0.28520802612117757,
    0.0004485436923833408, 0.0, 0.0, 0.0, 34.77906344483772, 44.835625328877896, 0.0, 0.0,
    0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0008680556573291698, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0005313191874358747, 0.0, 0.00016533814161379112, 0.0, 0.0, 0.0, 0.0, 0.0,
    0.0004179171803251336, 0.0017290828234722833, 0.0, 0.0020827005846636437, 0.0, 0.0,
    8.826982764996862, 23.19243343998926, 0.0, 95.1080498811086, 0.9863978034400682,
    0.9834382792465353, 0.0012286405048278493, 171.2667255897307, 0.9807858872435379, 0.0,
    0.0, 0.0, 0.0005130064588990679, 0.0, 0.00010854057858411537,
)  # fmt: skip


# Colour: 8-bit sRGB -> linear -> positive XYB -------------------------------------------


def _srgb_to_linear(encoded: np.ndarray) -> np.ndarray:
    """The sRGB transfer function, in float64 (the reference's is a close rational fit)."""
    return np.where(encoded <= 0.04045, encoded / 12.92, ((encoded + 0.055) / 1.055) ** 2.4)


@cache
def _linear_lut() -> np.ndarray:
    """Linear light of each 8-bit sRGB value."""
    return _srgb_to_linear(np.arange(256, dtype=np.float64) / 255).astype(_F32)


@cache
def _blend_lut(grey: float) -> np.ndarray:
    """Linear light of each (alpha, value) pair blended onto `grey` as the reference does:
    in float32, on the sRGB-encoded values, before linearising. Index alpha * 256 + value."""
    alpha = (np.arange(256, dtype=_F32) / _F32(255))[:, None]
    value = (np.arange(256, dtype=_F32) / _F32(255))[None, :]
    blended = alpha * value + (_F32(1) - alpha) * _F32(grey)
    return _srgb_to_linear(blended.astype(np.float64)).astype(_F32).ravel()


def _opsin() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """libjxl's opsin absorbance matrix and bias, and the linear map (with its offset) from
    the cube roots to SSIMULACRA2's positive X, Y and B-Y."""
    m02, m00, m12, m10 = _F32(0.078), _F32(0.30), _F32(0.078), _F32(0.23)
    m20, m21 = _F32(0.24342268924547819), _F32(0.20476744424496821)
    absorb = np.array(
        [
            [m00, _F32(1) - m02 - m00, m02],
            [m10, _F32(1) - m12 - m10, m12],
            [m20, m21, _F32(1) - m20 - m21],
        ],
        dtype=_F32,
    )
    bias = np.full(3, 0.0037930732552754493, dtype=_F32)
    # X = 14 * (c0 - c1) / 2 + 0.42; Y = (c0 + c1) / 2 + 0.01; B-Y = c2 - Y + 0.55 - 0.01.
    mix = np.array([[7.0, -7.0, 0.0], [0.5, 0.5, 0.0], [-0.5, -0.5, 1.0]])
    offset = np.array([0.42, 0.01, 0.55]) - mix @ np.cbrt(bias.astype(np.float64))
    return absorb, bias, mix.astype(_F32), offset.astype(_F32)


_ABSORB, _BIAS, _MIX, _OFFSET = _opsin()


def _xyb(linear: np.ndarray) -> np.ndarray:
    """Positive XYB of linear RGB laid out (rows, 3, columns), in the same layout."""
    mixed = np.matmul(_ABSORB, linear)
    mixed += _BIAS[:, None]
    np.maximum(mixed, 0, out=mixed)
    np.cbrt(mixed, out=mixed)
    out = np.matmul(_MIX, mixed)
    out += _OFFSET[:, None]
    return out


def _downsample(linear: np.ndarray) -> np.ndarray:
    """2x2 box average, the last row and column repeated when the size is odd."""
    rows, _, columns = linear.shape
    if rows % 2 or columns % 2:
        linear = np.pad(linear, ((0, rows % 2), (0, 0), (0, columns % 2)), mode="edge")
    out = linear[0::2, :, 0::2] + linear[0::2, :, 1::2]
    out += linear[1::2, :, 0::2]
    out += linear[1::2, :, 1::2]
    out *= _F32(0.25)
    return out


def _blur(stack: np.ndarray, scale: int) -> np.ndarray:
    """The reference's blur of every plane of `stack` at `scale` (see `ssimulacra2_blur`:
    its float32 rounding decides scores at the coarse scales, not at the fine ones)."""
    if scale < EMULATED_FROM_SCALE:
        return exact_blur(stack)
    return emulated_blur(stack)


# One scale's comparison -------------------------------------------------------------------


@dataclass(frozen=True)
class _ReferenceScale:
    """What one scale of the score needs from the reference alone."""

    xyb: np.ndarray  # (rows, 3, columns)
    mu: np.ndarray  # blurred xyb
    sigma_c2: np.ndarray  # blurred xyb^2 - mu^2 + C2
    edge: np.ndarray  # |xyb - mu|
    edge_scale: np.ndarray  # 1 / (1 + edge)

    @classmethod
    def of(cls, xyb: np.ndarray, scale: int) -> _ReferenceScale:
        stack = np.concatenate([xyb, xyb * xyb], axis=1)
        blurred = _blur(stack, scale)
        mu, square = blurred[:, :3], blurred[:, 3:]
        sigma_c2 = square - mu * mu
        sigma_c2 += _C2
        edge = np.abs(xyb - mu)
        return cls(xyb, np.ascontiguousarray(mu), sigma_c2, edge, 1 / (1 + edge))


#: Rows of the error maps computed at once: about 64k values, so that each map stays in
#: the processor's cache through its dozen operations.
_CHUNK_VALUES = 1 << 16


def _compare(ref: _ReferenceScale, xyb: np.ndarray, scale: int) -> np.ndarray:
    """One scale's 18 sub-scores, as (channel, [ssim 1, ssim 4, ringing 1, ringing 4,
    blurring 1, blurring 4])."""
    rows, _, columns = xyb.shape
    blurred = _blur(_products(xyb, ref.xyb), scale)
    sums = np.zeros((3, 6))
    step = max(1, _CHUNK_VALUES // (3 * columns))
    for first in range(0, rows, step):
        part = slice(first, min(rows, first + step))
        sums += _error_sums(ref, xyb[part], blurred[part], part)
    return _norms(sums, rows * columns)


def _products(xyb: np.ndarray, reference_xyb: np.ndarray) -> np.ndarray:
    """The nine planes a comparison blurs: the candidate's XYB, its square and its
    product with the reference's, (rows, 9, columns)."""
    rows, _, columns = xyb.shape
    stack = np.empty((rows, 9, columns), dtype=_F32)
    stack[:, 0:3] = xyb
    np.multiply(xyb, xyb, out=stack[:, 3:6])
    np.multiply(reference_xyb, xyb, out=stack[:, 6:9])
    return stack


def _norms(sums: np.ndarray, count: int) -> np.ndarray:
    """The error maps' sums over `count` pixels to their 1-norms and 4-norms."""
    averages = sums / count
    averages[:, 1::2] = np.sqrt(np.sqrt(averages[:, 1::2]))
    return averages


def _error_sums(
    ref: _ReferenceScale, xyb: np.ndarray, blurred: np.ndarray, part: slice, block: int = 0
) -> np.ndarray:
    """Sums, per channel, of the three error maps and of their fourth powers over some rows
    (the reference's SSIMMap and EdgeDiffMap), as (channel, 6); with `block`, one such
    array per `block` rows, as (blocks, channel, 6)."""
    mu1, mu2, s22, s12 = ref.mu[part], blurred[:, 0:3], blurred[:, 3:6], blurred[:, 6:9]
    ssim = mu1 - mu2
    np.square(ssim, out=ssim)
    np.subtract(1, ssim, out=ssim)  # 1 - (mu1 - mu2)^2
    num_s = mu1 * mu2
    np.subtract(s12, num_s, out=num_s)
    num_s *= 2
    num_s += _C2  # 2 * (s12 - mu1 mu2) + C2
    denom = mu2 * mu2
    np.subtract(s22, denom, out=denom)
    denom += ref.sigma_c2[part]  # (s11 - mu1^2) + (s22 - mu2^2) + C2
    ssim *= num_s
    ssim /= denom
    np.subtract(1, ssim, out=ssim)
    np.maximum(ssim, 0, out=ssim)

    # (1 + |xyb2 - mu2|) / (1 + |xyb1 - mu1|) - 1: > 0 is ringing, < 0 is lost detail.
    edge = np.subtract(xyb, mu2, out=num_s)
    np.abs(edge, out=edge)
    edge -= ref.edge[part]
    edge *= ref.edge_scale[part]
    ringing = np.maximum(edge, 0, out=denom)
    blurring = np.minimum(edge, 0, out=edge)  # negative: its sum is negated below

    rows, channels, columns = xyb.shape
    blocks = rows // block if block else 1

    def total(error: np.ndarray) -> np.ndarray:
        by_block = error.reshape(blocks, rows // blocks, channels, columns)
        return by_block.sum(axis=(1, 3), dtype=np.float64)

    sums = np.empty((blocks, 3, 6))
    for kind, (error, sign) in enumerate(((ssim, 1), (ringing, 1), (blurring, -1))):
        sums[:, :, 2 * kind] = sign * total(error)
        np.square(error, out=error)
        np.square(error, out=error)
        sums[:, :, 2 * kind + 1] = total(error)
    return sums if block else sums[0]


def _final_score(per_scale: list[np.ndarray]) -> float:
    """The reference's weighted sum and polynomial. Its weights run in one sequence over
    channel, scale and norm, so with fewer than six scales they shift, as there."""
    total = 0.0
    i = 0
    for channel in range(3):
        for sub in per_scale:
            for norm in range(2):
                for kind in range(3):  # ssim, ringing, blurring
                    total += _WEIGHTS[i] * abs(float(sub[channel, 2 * kind + norm]))
                    i += 1
    return _polynomial(total)


def _polynomial(total: float) -> float:
    total *= 0.9562382616834844
    total = (
        2.326765642916932 * total
        - 0.020884521182843837 * total**2
        + 6.248496625763138e-05 * total**3
    )
    if total <= 0:
        return 100.0
    return 100.0 - 10.0 * total**0.6276336467831387


def final_scores(per_scale: np.ndarray) -> np.ndarray:
    """`_final_score` of many pyramids at once: `per_scale` is (draws, scales, channel, 6);
    the same weights in the same order, summed in float64 (agrees to ~1e-12)."""
    draws, scales = per_scale.shape[:2]
    # (draw, scale, channel, [kind x norm]) -> (draw, channel, scale, norm, kind), the
    # order the weights run in.
    ordered = per_scale[..., [0, 2, 4, 1, 3, 5]].reshape(draws, scales, 3, 2, 3)
    ordered = ordered.transpose(0, 2, 1, 3, 4).reshape(draws, -1)
    weights = np.asarray(_WEIGHTS[: ordered.shape[1]], dtype=np.float64)
    totals = np.abs(ordered) @ weights
    return np.array([_polynomial(float(total)) for total in totals])


# Pixels in, pyramids out -------------------------------------------------------------------


@dataclass(frozen=True)
class _Pixels:
    """An image as 8-bit colour (rows, 3, columns) and, when any pixel is not opaque,
    8-bit alpha (rows, 1, columns)."""

    colour: np.ndarray
    alpha: np.ndarray | None

    @classmethod
    def of(cls, image: Image.Image) -> _Pixels:
        if image.mode not in ("1", "L", "LA", "P", "PA", "RGB", "RGBA"):
            raise ValueError(f"SSIMULACRA2 scores 8-bit sRGB images, not mode {image.mode}")
        transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
        array = np.asarray(image.convert("RGBA" if transparent else "RGB"))
        colour = array[:, :, :3].transpose(0, 2, 1)
        alpha = None
        if transparent and array[:, :, 3].min() < 255:
            alpha = array[:, :, 3][:, None, :]
        return cls(colour, alpha)

    @property
    def size(self) -> tuple[int, int]:
        return self.colour.shape[2], self.colour.shape[0]

    def linear(self, grey: float | None) -> np.ndarray:
        """Linear RGB (rows, 3, columns); blended onto `grey` when there is alpha."""
        if self.alpha is None or grey is None:
            return _linear_lut()[self.colour]
        index = self.alpha.astype(np.uint16) * 256 + self.colour
        return _blend_lut(grey)[index]


def _scale_sizes(width: int, height: int) -> list[tuple[int, int]]:
    """The size of each scale the reference computes: it adds one while the previous is at
    least 8 pixels on both sides, so the last one may be smaller."""
    sizes: list[tuple[int, int]] = []
    for scale in range(SCALES):
        if width < MIN_SIDE or height < MIN_SIDE:
            break
        if scale:
            width, height = (width + 1) // 2, (height + 1) // 2
        sizes.append((width, height))
    return sizes


def _pyramid(linear: np.ndarray, scales: int) -> list[np.ndarray]:
    """XYB at each scale, downsampling in linear light."""
    levels = []
    for scale in range(scales):
        if scale:
            linear = _downsample(linear)
        levels.append(_xyb(linear))
    return levels


class Reference:
    """The reference image's side of the score, computed once and reused for many
    distorted candidates."""

    def __init__(self, image: Image.Image) -> None:
        self._pixels = _Pixels.of(image)
        width, height = self._pixels.size
        if width < MIN_SIDE or height < MIN_SIDE:
            raise ValueError(
                f"SSIMULACRA2 needs at least {MIN_SIDE}x{MIN_SIDE} pixels (as the reference "
                f"does), got {width}x{height}"
            )
        self.size = (width, height)
        self._scales = len(_scale_sizes(width, height))
        greys: tuple[float | None, ...] = (None,) if self._pixels.alpha is None else ALPHA_GREYS
        self._levels = {grey: self._prepare(grey) for grey in greys}

    def _prepare(self, grey: float | None) -> list[_ReferenceScale]:
        pyramid = _pyramid(self._pixels.linear(grey), self._scales)
        return [_ReferenceScale.of(xyb, scale) for scale, xyb in enumerate(pyramid)]

    @property
    def has_alpha(self) -> bool:
        return self._pixels.alpha is not None

    def score(self, distorted: Image.Image) -> float:
        """SSIMULACRA2 of `distorted` against this reference (100 for identical pixels)."""
        return score_over_greys(distorted, self.size, self.has_alpha, self._score_on)

    def _score_on(self, pixels: _Pixels, grey: float | None) -> float:
        levels = self._levels[grey if self.has_alpha else None]
        pyramid = _pyramid(pixels.linear(grey), self._scales)
        pairs = zip(levels, pyramid, strict=True)
        return _final_score([_compare(ref, xyb, scale) for scale, (ref, xyb) in enumerate(pairs)])


def score_over_greys(
    distorted: Image.Image,
    size: tuple[int, int],
    has_alpha: bool,
    score_on: Callable[[_Pixels, float | None], float],
) -> float:
    """`distorted`'s score by `score_on` against a reference of `size`: on each alpha grey
    (the worse kept) when the reference has alpha, else as it is."""
    pixels = pixels_sized(distorted, size)
    if has_alpha:
        return min(score_on(pixels, grey) for grey in ALPHA_GREYS)
    return score_on(pixels, opaque_grey(pixels))


def pixels_sized(distorted: Image.Image, size: tuple[int, int]) -> _Pixels:
    """`distorted`'s pixels, refused unless they are the reference's `size`."""
    pixels = _Pixels.of(distorted)
    if pixels.size != size:
        raise ValueError(
            f"the distorted image is {pixels.size[0]}x{pixels.size[1]}, "
            f"the reference {size[0]}x{size[1]}"
        )
    return pixels


def opaque_grey(pixels: _Pixels) -> float | None:
    """The grey `pixels` are blended on against an opaque reference: none unless they
    have alpha. The reference's tool looks at the original's alpha only; a distorted
    image with alpha against an opaque original is blended onto its library's default
    grey."""
    return None if pixels.alpha is None else LONE_ALPHA_GREY


def score(reference: Image.Image, distorted: Image.Image) -> float:
    """SSIMULACRA2 of `distorted` against `reference`, both 8-bit sRGB of the same size."""
    return Reference(reference).score(distorted)
