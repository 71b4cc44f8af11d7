"""The Gaussian blur of picset's SSIMULACRA2 scorer (`ssimulacra2.py`): sigma 1.5, zeros
outside the image on all four sides, in numpy.

The reference implementation blurs with libjxl's recursive Gaussian (Charalampidis'
truncated cosines, `lib/jxl/gauss_blur.cc`): three second-order recursions (k = 1, 3, 5)
whose sum is the filter, run along each row and then down each column in float32. In
exact arithmetic that recursion is a finite filter: its impulse response is 2 * radius - 1
taps long (9 at sigma 1.5) and zero beyond. Its float32 rounding is not negligible,
though: on flat content the blurred variance (blurred square minus squared mean) is the
difference of two nearly equal numbers, and at the coarse scales, whose weights in the
score are large, an exact blur moves a visually lossless pair's score by up to 1.2 points.
So this module has both:

* `exact_blur`: the 9 taps as banded matrix products (through BLAS, fast), used where the
  rounding does not matter (the two finest scales, which hold most of the pixels);
* `emulated_blur`: the recursion itself, step by step across all rows and planes at once,
  its fused multiply-adds emulated exactly (float32 products are exact in float64; one
  float64 rounding and then one to float32 is what a fused operation gives, but for rare
  ties), as libjxl's vertical pass computes. libjxl's horizontal pass unrolls four steps
  with other coefficients, whose rounding this does not copy.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import numpy as np

_F32 = np.float32
SIGMA = 1.5
#: Steps of the recursion prepared at once, and outputs per banded matrix product (a
#: small band block wastes few multiplications on zeros; 16-32 measured fastest).
_BLOCK = 32
_BAND_BLOCK = 16
#: The widest matrix product the exact blur makes: OpenBLAS runs a product of 16 x 24 by
#: 24 x n on one thread while n stays under about 680.
_BLAS_SPAN = 512


@dataclass(frozen=True)
class Recursion:
    """libjxl's `CreateRecursiveGaussian(sigma)`: its radius and its float32 coefficients,
    held in float64 so that products with float32 values are exact."""

    radius: int
    n2: np.ndarray  # (3, 1)
    neg_d1: np.ndarray  # (3, 1)

    @classmethod
    def of(cls, sigma: float) -> Recursion:
        radius = float(round(3.2795 * sigma + 0.2546))
        omega = np.array([1.0, 3.0, 5.0]) * math.pi / (2 * radius)
        p = np.array([1.0, -1.0, 1.0]) / np.tan(0.5 * omega)
        r = np.array([1.0, -1.0, 1.0]) * p * p / np.sin(omega)
        rho = np.exp(-0.5 * sigma * sigma * omega * omega) / radius
        d13 = p[0] * r[1] - r[0] * p[1]
        zeta15 = (p[1] * r[2] - r[1] * p[2]) / d13
        zeta35 = (p[2] * r[0] - r[2] * p[0]) / d13
        matrix = np.array([p, r, [zeta15, zeta35, 1.0]])
        gamma = np.array(
            [1.0, radius * radius - sigma * sigma, zeta15 * rho[0] + zeta35 * rho[1] + rho[2]]
        )
        beta = np.linalg.inv(matrix) @ gamma
        n2 = -beta * np.cos(omega * (radius + 1.0))
        d1 = -2.0 * np.cos(omega)
        return cls(int(radius), _as_f32(n2), -_as_f32(d1))

    def taps(self) -> np.ndarray:
        """The recursion's impulse response in float64, offsets -(radius - 1)..radius - 1."""
        n = self.radius
        impulse = np.zeros((4 * n, 1))
        impulse[2 * n] = 1.0
        response = _run(impulse, self, exact=True)[:, 0]
        return response[n + 1 : 3 * n].copy()


def _as_f32(values: np.ndarray) -> np.ndarray:
    return values.astype(_F32).astype(np.float64)[:, None]


RECURSION = Recursion.of(SIGMA)


# The recursion, emulated -----------------------------------------------------------------


def _run(planes: np.ndarray, rg: Recursion, exact: bool = False) -> np.ndarray:
    """Run the recursion along the first axis of `planes` (any layout), zeros outside.

    Step j reads input rows j and j - 2 * radius and makes output row j - radius + 1; for
    each k, y[j] = n2 * (x[j] + x[j - 2 * radius]) + (-d1 * y[j - 1] - y[j - 2]), each of
    the two a fused multiply-add in float32, and the row is y1 + (y3 + y5). With `exact`,
    everything stays in float64 (for the taps)."""
    n, rest = planes.shape[0], planes.shape[1:]
    width = int(np.prod(rest))
    reach = rg.radius
    steps = n + reach - 1
    padded = _padded_rows(planes, 2 * reach, reach, np.float64 if exact else _F32)
    out = np.empty((n, width), dtype=np.float64 if exact else _F32)
    states = np.zeros((_BLOCK + 2, 3, width))  # float32 values (unless exact), in float64
    rows = list(states)  # views made once: indexing costs as much as a small operation
    neg_d1 = np.repeat(rg.neg_d1, width, axis=1)  # broadcasting costs more than this copy
    work = np.empty((3, width))
    rounded = np.empty((3, width), dtype=_F32)
    driven = np.empty((_BLOCK, 3, width))
    for first in range(0, steps, _BLOCK):
        last = min(steps, first + _BLOCK)
        count = last - first
        sums = padded[first + 2 * reach : last + 2 * reach] + padded[first:last]
        np.multiply(sums[:, None, :], rg.n2, out=driven[:count])  # exact in float64
        for b in range(count):
            np.multiply(rows[b + 1], neg_d1, out=work)
            np.subtract(work, rows[b], out=work)
            if not exact:
                rounded[...] = work
                work[...] = rounded
            np.add(driven[b], work, out=rows[b + 2])
            if not exact:
                rounded[...] = rows[b + 2]
                rows[b + 2][...] = rounded
        start = max(first, reach - 1)
        if start < last:
            y = states[2 + start - first : 2 + count]
            if not exact:
                y = y.astype(_F32)
            row = out[start - reach + 1 : last - reach + 1]
            np.add(y[:, 1], y[:, 2], out=row)
            row += y[:, 0]
        states[:2] = states[count : count + 2]
    return out.reshape(n, *rest)


def _padded_rows(planes: np.ndarray, before: int, after: int, dtype: type) -> np.ndarray:
    """`planes` as contiguous rows (n, everything else) with zero rows around them, copied
    a block at a time: from a transposed view that is several times faster than one
    transposing copy."""
    n, rest = planes.shape[0], planes.shape[1:]
    padded = np.zeros((before + n + after, int(np.prod(rest))), dtype=dtype)
    for first in range(0, n, _BLOCK):
        last = min(n, first + _BLOCK)
        rows = padded[before + first : before + last]
        rows.reshape(last - first, *rest)[...] = planes[first:last]
    return padded


def emulated_blur(stack: np.ndarray) -> np.ndarray:
    """Blur every plane of `stack` (rows, planes, columns) as libjxl's float32 recursion
    does, along each row first and then down each column; same layout, float32."""
    along_rows = _run(stack.transpose(2, 1, 0), RECURSION)  # (columns, planes, rows)
    return _run(along_rows.transpose(2, 1, 0), RECURSION)


# The same filter, exactly ----------------------------------------------------------------


@cache
def _band() -> np.ndarray:
    """The filter's matrix for `_BAND_BLOCK` outputs from `_BAND_BLOCK` + 2 * reach inputs."""
    taps = RECURSION.taps()
    band = np.zeros((_BAND_BLOCK, _BAND_BLOCK + len(taps) - 1))
    for i in range(_BAND_BLOCK):
        band[i, i : i + len(taps)] = taps
    return band.astype(_F32)


def _band_slices(n: int) -> list[tuple[slice, slice, np.ndarray]]:
    """For each block of outputs along an axis of length n: its outputs, its inputs and the
    part of the band that maps one onto the other (zeros outside the axis)."""
    band = _band()
    reach = (band.shape[1] - band.shape[0]) // 2
    blocks = []
    for start in range(0, n, _BAND_BLOCK):
        stop = min(n, start + _BAND_BLOCK)
        first, last = max(0, start - reach), min(n, stop + reach)
        left = first - (start - reach)
        weights = band[: stop - start, left : left + last - first]
        blocks.append((slice(start, stop), slice(first, last), weights))
    return blocks


def exact_blur(stack: np.ndarray) -> np.ndarray:
    """Blur every plane of `stack` (rows, planes, columns) with the recursion's exact taps;
    same layout, float32. Columns first, then rows; each product is kept under `_BLAS_SPAN`
    wide, because OpenBLAS spreads larger ones over threads, and on a busy machine its
    waiting threads made a score six times slower than it takes on one."""
    rows, planes, columns = stack.shape
    by_column = np.empty((planes, columns, rows), dtype=_F32)
    view = stack.transpose(1, 2, 0)  # (planes, columns, rows), no copy
    for span in _spans(rows):
        for outputs, inputs, weights in _band_slices(columns):
            np.matmul(weights, view[:, inputs, span], out=by_column[:, outputs, span])
    source = by_column.transpose(0, 2, 1)  # (planes, rows, columns), no copy
    out = np.empty((rows, planes, columns), dtype=_F32)
    target = out.transpose(1, 0, 2)  # (planes, rows, columns), no copy
    for span in _spans(columns):
        for outputs, inputs, weights in _band_slices(rows):
            np.matmul(weights, source[:, inputs, span], out=target[:, outputs, span])
    return out


def _spans(n: int) -> list[slice]:
    return [slice(start, min(n, start + _BLAS_SPAN)) for start in range(0, n, _BLAS_SPAN)]
