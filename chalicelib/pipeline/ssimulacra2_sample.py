"""SSIMULACRA2 of a large image, estimated from a sample of its two finest scales and
computed exactly at the others (`SampledReference`), for checking wide variants whole.

A whole-image score costs about 0.2 s per megapixel, too much to check every wide
variant of every format; a crop of the image is cheap but scores its own content, not the
variant's (a photo's centre can score five points above the whole). The score is a
weighted sum of per-scale averages of error maps (their 1- and 4-norms), so it can be
estimated as any average is, by sampling:

* Scales 3 and up (1/64 of the pixels and less) are computed whole, exactly as
  `ssimulacra2.Reference` does.
* At scales 0 to 2 the image is cut into cells and each cell contributes the tile at its
  centre (`SAMPLING`). Each tile is taken with a margin of the blur's reach (4 px: these
  scales take the exact 9-tap filter), zeros beyond the image's edge as the blur has
  there, so every error value inside a tile is the one the whole image would have (at
  scale 2 up to the float32 rounding the whole score emulates there, which moves a score
  near 70 by hundredths); the margins are computed and not counted. The averages over
  the tiles' insides estimate the whole scale's averages.

The estimate differs from the whole score by sampling alone, and by most where a few
tiles carry a heavy error the rest of the sample misses (the 4-norms are ruled by the
worst places): on a corpus photo AVIF smooths one small region, and with ~30 tiles at
1072 px the plain estimate was 2.0 points above the whole score. So each score also
measures its own uncertainty: the tiles are resampled with replacement (a bootstrap,
`RESAMPLES` times, seeded, so a score is repeatable), each sampled scale's spread
shrunk by the share of that scale the tiles cover (none left when they cover it all), and
the score given is the estimate lowered by however far its `SIGMAS`-sigma lower bound
falls more than `ALLOWANCE` points below it. The quality search promises the target on
the estimate and a floor `ALLOWANCE` points under it (picset's floor is target - 2), so
a variant whose sample is too uncertain for that floor is scored as if it were that much
worse and the search goes up for it; a confident estimate is left as it is.
`python -m dev.bench.quality` measures the result against whole scores on the corpus
photos. Images of at most `WHOLE_PIXELS` are scored whole.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from PIL import Image

from . import ssimulacra2 as s2
from .ssimulacra2_blur import exact_blur

#: Images with at most this many pixels are scored whole (it costs ~0.1 s).
WHOLE_PIXELS = 640 * 960
#: Per sampled scale: the cell a tile stands for and the tile's side, in that scale's
#: pixels (scale 0: one 64 px tile per 192 px cell, 1/9 of the pixels; scales 1 and 2:
#: 1/4). Scales 3 and up are computed whole. Chosen on the corpus photos against whole
#: scores: 1/16 at scale 0 was off by up to 3.3 points, 1/9 by up to 2.1.
SAMPLING = {0: (192, 64), 1: (128, 64), 2: (64, 32)}
#: The exact blur's reach: 9 taps, 4 on each side.
MARGIN = 4
#: The bootstrap: resamples of the tiles, how many standard deviations the lower bound
#: lies under the estimate, and the points under the estimate it may lie before the
#: score is lowered (the search's floor is the target less this).
RESAMPLES = 100
SIGMAS = 2.0
ALLOWANCE = 2.0


@dataclass(frozen=True)
class _Tiles:
    """Where one scale's tiles lie: each tile's inside as (top, left), all `side` px."""

    corners: list[tuple[int, int]]
    side: int
    rows: int
    columns: int

    @classmethod
    def of(cls, width: int, height: int, cell: int, side: int) -> _Tiles:
        """The tiles of one scale of an image of this size."""
        corners = []
        for top in _starts(height, cell, side):
            for left in _starts(width, cell, side):
                corners.append((top, left))
        return cls(corners, min(side, width, height), height, width)

    def strip(self, plane: np.ndarray) -> np.ndarray:
        """The tiles with their margins, one under another, from a (rows, c, columns)
        array; zeros where a margin lies outside it."""
        rows, channels, columns = plane.shape
        outer = self.side + 2 * MARGIN
        out = np.zeros((len(self.corners) * outer, channels, outer), dtype=plane.dtype)
        for index, (top, left) in enumerate(self.corners):
            r0, c0 = top - MARGIN, left - MARGIN
            r1, c1 = r0 + outer, c0 + outer
            cut = plane[max(r0, 0) : min(r1, rows), :, max(c0, 0) : min(c1, columns)]
            at = index * outer + max(r0, 0) - r0
            out[at : at + cut.shape[0], :, max(c0, 0) - c0 : max(c0, 0) - c0 + cut.shape[2]] = cut
        return out

    @cached_property
    def in_image(self) -> np.ndarray:
        """1 where a strip's pixel lies in the image, 0 on margins beyond its edge."""
        outer = self.side + 2 * MARGIN
        steps = np.arange(outer) - MARGIN
        mask = np.empty((len(self.corners), outer, 1, outer), dtype=np.float32)
        for index, (top, left) in enumerate(self.corners):
            rows = ((top + steps >= 0) & (top + steps < self.rows)).astype(np.float32)
            columns = ((left + steps >= 0) & (left + steps < self.columns)).astype(np.float32)
            mask[index, :, 0, :] = rows[:, None] * columns[None, :]
        return mask.reshape(len(self.corners) * outer, 1, outer)

    def insides(self, strip: np.ndarray) -> np.ndarray:
        """The tiles' insides out of a strip (margins dropped), one under another."""
        outer = self.side + 2 * MARGIN
        tiles = strip.reshape(strip.shape[0] // outer, outer, *strip.shape[1:])
        inner = tiles[:, MARGIN : MARGIN + self.side, :, MARGIN : MARGIN + self.side]
        return np.ascontiguousarray(inner.reshape(-1, *strip.shape[1:-1], self.side))


def _starts(length: int, cell: int, side: int) -> list[int]:
    """The first pixel of each cell's centred tile along one axis (the last cell may be
    short; a tile never runs past the image)."""
    side = min(side, length)
    return sorted(
        {
            min(length - side, max(0, start + (min(cell, length - start) - side) // 2))
            for start in range(0, length, cell)
        }
    )


def _lookup(pixels: s2._Pixels, grey: float | None) -> tuple[np.ndarray, np.ndarray]:
    """A table from index to linear light and the image's indices into it, as
    `ssimulacra2._Pixels.linear` looks them up (blended onto `grey` with alpha)."""
    if pixels.alpha is None or grey is None:
        return s2._linear_lut(), pixels.colour
    return s2._blend_lut(grey), pixels.alpha.astype(np.uint16) * 256 + pixels.colour


def _half(lut: np.ndarray, index: np.ndarray) -> np.ndarray:
    """`ssimulacra2._downsample(lut[index])` without the full-size linear image: the same
    four phases summed in the same order (the same float32 values)."""
    rows, _, columns = index.shape
    if rows % 2 or columns % 2:
        index = np.pad(index, ((0, rows % 2), (0, 0), (0, columns % 2)), mode="edge")
    out = lut[index[0::2, :, 0::2]]
    out += lut[index[0::2, :, 1::2]]
    out += lut[index[1::2, :, 0::2]]
    out += lut[index[1::2, :, 1::2]]
    out *= np.float32(0.25)
    return out


@dataclass(frozen=True)
class _SampledScale:
    """One scale of the reference: computed whole (`tiles` None), or its tiles' strip
    (kept with margins for the products with a candidate) and the insides' terms."""

    reference: s2._ReferenceScale
    tiles: _Tiles | None = None
    strip: np.ndarray | None = None


class SampledReference:
    """`ssimulacra2.Reference` for a large image: each score is an estimate (see the
    module's docstring); images of at most `WHOLE_PIXELS` are scored exactly."""

    def __init__(self, image: Image.Image) -> None:
        self.size = image.size
        self.exact = image.width * image.height <= WHOLE_PIXELS
        self._whole = s2.Reference(image) if self.exact else None
        if self.exact:
            return
        pixels = s2._Pixels.of(image)
        sizes = s2._scale_sizes(*self.size)
        self._scales = len(sizes)
        #: Each sampled scale's tiles, made once for the reference and all its scores.
        self._tiles = {
            scale: _Tiles.of(*sizes[scale], *SAMPLING[scale])
            for scale in range(self._scales)
            if scale in SAMPLING
        }
        greys: tuple[float | None, ...] = (None,) if pixels.alpha is None else s2.ALPHA_GREYS
        self._levels = {grey: self._prepare(pixels, grey) for grey in greys}

    def _prepare(self, pixels: s2._Pixels, grey: float | None) -> list[_SampledScale]:
        levels = []
        for scale, (tiles, xyb) in enumerate(self._pyramid(pixels, grey)):
            # A sampled scale takes the exact 9-tap blur (scale 0's), whose reach the
            # tiles' margins are cut for.
            whole = s2._ReferenceScale.of(xyb, scale if tiles is None else 0)
            if tiles is None:
                levels.append(_SampledScale(whole))
                continue
            inside = s2._ReferenceScale(
                tiles.insides(whole.xyb),
                tiles.insides(whole.mu),
                tiles.insides(whole.sigma_c2),
                tiles.insides(whole.edge),
                tiles.insides(whole.edge_scale),
            )
            levels.append(_SampledScale(inside, tiles, xyb))
        return levels

    def _pyramid(
        self, pixels: s2._Pixels, grey: float | None
    ) -> list[tuple[_Tiles | None, np.ndarray]]:
        """Per scale: its tiles and the XYB of their strip, or None and the whole XYB.
        Full-size linear light is never made whole: scale 0's tiles look their pixels
        up, and scale 1 sums the four looked-up phases as `_downsample` sums them."""
        lut, index = _lookup(pixels, grey)
        out: list[tuple[_Tiles | None, np.ndarray]] = []
        linear = np.empty((0, 3, 0), dtype=np.float32)
        for scale in range(self._scales):
            if scale == 0:
                rows, _, columns = index.shape
            else:
                linear = _half(lut, index) if scale == 1 else s2._downsample(linear)
                rows, _, columns = linear.shape
            if scale in SAMPLING:
                tiles = self._tiles[scale]
                assert (tiles.columns, tiles.rows) == (columns, rows)
                strip = lut[tiles.strip(index)] if scale == 0 else tiles.strip(linear)
                xyb = s2._xyb(strip)
                xyb *= tiles.in_image  # zeros outside the image, as the blur pads
                out.append((tiles, xyb))
            else:
                out.append((None, s2._xyb(lut[index] if scale == 0 else linear)))
        return out

    def score(self, distorted: Image.Image) -> float:
        """The estimated SSIMULACRA2 of `distorted` against this reference."""
        if self._whole is not None:
            return self._whole.score(distorted)
        return s2.score_over_greys(distorted, self.size, len(self._levels) > 1, self._score_on)

    def estimate(self, distorted: Image.Image) -> Estimate:
        """The plain estimate and its spread, for an opaque reference (what `score`
        lowers; exact images have no spread)."""
        if self._whole is not None:
            return Estimate(self._whole.score(distorted), 0.0)
        assert len(self._levels) == 1, "an estimate is for an opaque reference"
        pixels = s2.pixels_sized(distorted, self.size)
        return self._estimate_on(pixels, s2.opaque_grey(pixels))

    def _score_on(self, pixels: s2._Pixels, grey: float | None) -> float:
        return self._estimate_on(pixels, grey).guarded

    def _estimate_on(self, pixels: s2._Pixels, grey: float | None) -> Estimate:
        levels = self._levels[grey if len(self._levels) > 1 else None]
        per_scale: list[np.ndarray] = []
        #: scale -> (each tile's sums, pixels per tile, the share of the scale covered)
        sampled: dict[int, tuple[np.ndarray, int, float]] = {}
        for scale, (level, (tiles, xyb)) in enumerate(
            zip(levels, self._pyramid(pixels, grey), strict=True)
        ):
            if tiles is None or level.strip is None:
                per_scale.append(s2._compare(level.reference, xyb, scale))
                continue
            by_tile = _compare_inside(level, tiles, xyb)
            area = tiles.side * tiles.side
            sampled[scale] = (by_tile, area, len(by_tile) * area / (tiles.rows * tiles.columns))
            per_scale.append(s2._norms(by_tile.sum(axis=0), len(by_tile) * area))
        return Estimate(s2._final_score(per_scale), _spread(per_scale, sampled))


@dataclass(frozen=True)
class Estimate:
    """A sampled score and the standard deviation of its sampling."""

    score: float
    spread: float

    @property
    def guarded(self) -> float:
        """The score lowered by how far its lower bound lies more than `ALLOWANCE`
        under it."""
        return self.score - max(0.0, SIGMAS * self.spread - ALLOWANCE)


def _spread(
    per_scale: list[np.ndarray], sampled: dict[int, tuple[np.ndarray, int, float]]
) -> float:
    """The bootstrap's standard deviation of the score: every sampled scale's tiles drawn
    again with replacement (seeded), each draw's deviation from the sample's sums shrunk
    by sqrt(1 - covered share), the finite-population correction."""
    if not sampled:
        return 0.0
    rng = np.random.default_rng(0)
    drawn: dict[int, np.ndarray] = {}
    for scale, (by_tile, area, covered) in sampled.items():
        count = len(by_tile)
        weights = rng.multinomial(count, np.full(count, 1 / count), size=RESAMPLES)
        sums = by_tile.sum(axis=0)
        draws = np.einsum("rt,tcn->rcn", weights.astype(np.float64), by_tile)
        draws = sums + np.sqrt(max(0.0, 1 - covered)) * (draws - sums)
        drawn[scale] = draws / (count * area)
    pyramids = np.repeat(np.stack(per_scale)[None], RESAMPLES, axis=0)
    for scale, averages in drawn.items():
        averages[:, :, 1::2] = np.sqrt(np.sqrt(averages[:, :, 1::2]))
        pyramids[:, scale] = averages
    return float(np.std(s2.final_scores(pyramids)))


#: Tiles compared at once: bounds the blur's working arrays (9 planes) to a few MB.
_TILES_AT_ONCE = 16


def _compare_inside(level: _SampledScale, tiles: _Tiles, strip: np.ndarray) -> np.ndarray:
    """`ssimulacra2._compare`'s error sums on a strip of tiles, one (channel, 6) array
    per tile: blurred with the margins, summed over the insides only; a few tiles at a
    time."""
    assert level.strip is not None
    outer = tiles.side + 2 * MARGIN
    sums = np.zeros((len(tiles.corners), 3, 6))
    step = max(1, s2._CHUNK_VALUES // (3 * tiles.side * tiles.side)) * tiles.side
    for first_tile in range(0, len(tiles.corners), _TILES_AT_ONCE):
        rows = slice(
            first_tile * outer, min(len(tiles.corners), first_tile + _TILES_AT_ONCE) * outer
        )
        part_strip = strip[rows]
        blurred = tiles.insides(exact_blur(s2._products(part_strip, level.strip[rows])))
        xyb = tiles.insides(part_strip)
        offset = first_tile * tiles.side
        for first in range(0, xyb.shape[0], step):
            last = min(xyb.shape[0], first + step)
            at = (offset + first) // tiles.side
            sums[at : at + (last - first) // tiles.side] = s2._error_sums(
                level.reference,
                xyb[first:last],
                blurred[first:last],
                slice(offset + first, offset + last),
                block=tiles.side,
            )
    return sums
