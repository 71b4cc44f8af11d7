"""Step: each lossy variant's encoder quality, chosen so the variant scores a perceptual
target on SSIMULACRA2 and spends no byte more than that needs (`PICSET_QUALITY=auto`).

A fixed quality is too high for easy images and too low for hard ones, so for a still
image this step searches, per format, the quality whose encode of a *probe* (the image
about 640 px wide, where a try costs tens of milliseconds) scores in [target, target + 2]
(`search.search`: a per-format seed, at most five tries, within the format's bounds in
`formats`). Then, a width at a time from the narrowest up, the formats in parallel, each
other variant 480 px or wider is encoded whole at the quality the width below settled
on (lowered by the points it had above the band's middle, `search.aim_from`) and
checked once (`search.confirm`): it stands when it reaches the
target, goes one step down when it has points to spare beyond the band, and searches up
when it falls short. The check scores the variant itself, not a crop of it: a crop
scores its own content (a photo's centre can score five points above the whole), so a
large variant's score is estimated from a sample of its finest scales and computed
exactly at the coarse ones (`ssimulacra2_sample`); variants of up to 0.6 MP are scored
exactly. The encode a check keeps is the variant's body, so nothing is encoded twice.
The encode step then takes each variant from here (`QualityTuner.encode`):

- the variant the probe was made from keeps the probe's winning encode;
- a variant narrower than 480 px is scored whole (it is cheap to score) at the probe's
  quality, and where the encoder can keep full-resolution chroma (AVIF, JPEG) that is
  tried too, and kept when it reaches the target for fewer bytes: below ~480 px, 4:2:0
  chroma alone can hold a detailed image under the target at any quality; when neither
  reaches it, one more try goes up (at most three encodes);
- once the search's time budget is spent, the remaining variants take the fixed
  qualities, and the manifest says so in a note.

Animations and the lossless formats (PNG, GIF) keep their fixed settings. Transparent
images are scored with the alpha-aware score (`ssimulacra2`).
"""

from __future__ import annotations

import io
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Protocol

from PIL import Image

from .. import formats
from . import allocator, search
from .context import Context, Encoded, Options, Setting
from .encode import encode_one, fixed_quality, output_formats
from .resample import lanczos

PROBE_WIDTH = 640
#: Variants narrower than this are searched whole, with full chroma allowed; the floor
#: is judged on the wider ones.
SMALL_WIDTH = 480
#: SSIMULACRA2 needs this many pixels a side (its coarsest scale); smaller images keep
#: the fixed settings and report no score.
MIN_SCORED = 8
#: Seeds are for a target of 70; other targets start this many qualities per point away.
SEED_PER_POINT = 1.5


class Scored(Protocol):
    def score(self, distorted: Image.Image) -> float: ...


#: Builds the reference side of a score from an image: exact up to 0.6 MP, estimated
#: from a sample above (`ssimulacra2_sample.SampledReference`).
Scorer = Callable[[Image.Image], Scored]


def default_scorer(image: Image.Image) -> Scored:
    from .ssimulacra2_sample import SampledReference

    return SampledReference(image)


def lossy_formats(options: Options, has_alpha: bool) -> list[str]:
    """The written formats a search can tune: those whose encoder has a quality."""
    return [
        fmt
        for fmt in output_formats(options, has_alpha)
        if (row := formats.get(fmt).encoder) is not None and row.quality_range is not None
    ]


def seed_for(fmt: str, target: float) -> int:
    encoder = formats.get(fmt).encoder
    assert encoder is not None and encoder.quality_range is not None
    low, high = encoder.quality_range
    return min(high, max(low, round(encoder.quality_seed + (target - 70) * SEED_PER_POINT)))


def bounds_of(fmt: str) -> tuple[int, int]:
    encoder = formats.get(fmt).encoder
    assert encoder is not None and encoder.quality_range is not None
    return encoder.quality_range


def decode(body: bytes) -> Image.Image:
    with Image.open(io.BytesIO(body)) as opened:
        opened.load()
        return (
            opened.copy()
            if opened.mode in ("RGB", "RGBA", "L", "LA")
            else opened.convert("RGBA" if "A" in opened.getbands() else "RGB")
        )


class _Once:
    """Each key's prepared reference, made by the first thread that asks for it while the
    others asking for the same key wait, so no reference is prepared twice; dropped once
    all its `users` are done with it (a 4 MP variant's holds ~80 MB)."""

    def __init__(self, scorer: Scorer, users: int) -> None:
        self._scorer = scorer
        self._users = users
        self._lock = threading.Lock()
        self._making: dict[int, threading.Lock] = {}
        self._made: dict[int, Scored] = {}
        self._done: dict[int, int] = {}

    def get(self, key: int, image: Image.Image) -> Scored:
        with self._lock:
            making = self._making.setdefault(key, threading.Lock())
        with making:
            if key not in self._made:
                self._made[key] = self._scorer(image)
            return self._made[key]

    def done(self, key: int) -> None:
        with self._lock:
            self._done[key] = self._done.get(key, 0) + 1
            if self._done[key] >= self._users:
                self._made.pop(key, None)


class QualityTuner:
    """The searched quality of every still variant, per format, and the encodes built
    on them. Thread-safe: the encode step calls `encode` from its pool."""

    def __init__(
        self,
        options: Options,
        probe: Image.Image,
        fmts: list[str],
        *,
        scorer: Scorer = default_scorer,
        clock: Callable[[], float] = time.perf_counter,
        probe_is_variant: bool = False,
    ) -> None:
        self.options = options
        self.target = options.quality_target
        self.fmts = fmts
        self.scorer = scorer
        self.clock = clock
        self.deadline = clock() + options.quality_budget_seconds
        self.probe_width = probe.width
        self.probe_is_variant = probe_is_variant
        self._lock = threading.Lock()
        self._fixed: list[str] = []
        #: The prepared reference of each variant scored (by width), made once, by the
        #: first format's thread that needs it, for every format.
        self._references = _Once(scorer, len(fmts))
        self.found: dict[str, search.Result[bytes]] = {}
        #: format -> the quality the next wider variant's check starts from
        self._start: dict[str, int] = {}
        #: (format, width) -> the check's result, for the wide variants
        self.wide: dict[tuple[str, int], search.Result[bytes]] = {}
        self._probe_reference = scorer(probe)
        self._probe = probe

    def out_of_time(self) -> bool:
        return self.clock() > self.deadline

    def plan(self, wide: dict[int, Image.Image], threads: int) -> None:
        """The probe's search per format, then each wide width's check per format, a
        width at a time (so one width's prepared reference is alive at a time, not all
        of them while the fastest format runs ahead), the formats in parallel."""
        checked = {
            width: image
            for width, image in sorted(wide.items())
            if not (width == self.probe_width and self.probe_is_variant)
            and min(image.size) >= MIN_SCORED
        }
        with ThreadPoolExecutor(max_workers=max(1, min(threads, len(self.fmts)))) as pool:
            list(pool.map(self._search_probe, self.fmts))
            for width, image in sorted(checked.items()):
                if self.out_of_time():
                    return
                fmts = list(self.found)
                list(pool.map(self._check, fmts, [width] * len(fmts), [image] * len(fmts)))

    def _search_probe(self, fmt: str) -> None:
        if self.out_of_time():
            return
        probe = self._measure(fmt, self._probe, self._probe_reference, "4:2:0")
        found = search.search(
            probe,
            self.target,
            seed_for(fmt, self.target),
            bounds_of(fmt),
            out_of_time=self.out_of_time,
        )
        with self._lock:
            self.found[fmt] = found
            rate = search.slope(search.envelope(found.tries))
            self._start[fmt] = search.aim_from(found.best, self.target, bounds_of(fmt), rate)

    def _check(self, fmt: str, width: int, image: Image.Image) -> None:
        """One wide variant, whole: checked from where the width below left its format."""
        with self._lock:
            start = self._start.get(fmt)
        if start is None or self.out_of_time():
            return
        rate = search.slope(search.envelope(self.found[fmt].tries))
        reference = self._references.get(width, image)
        result = search.confirm(
            self._measure(fmt, image, reference, "4:2:0"),
            self.target,
            start,
            bounds_of(fmt),
            hint=rate,
            out_of_time=self.out_of_time,
        )
        self._references.done(width)
        with self._lock:
            self.wide[(fmt, width)] = result
            self._start[fmt] = search.aim_from(result.best, self.target, bounds_of(fmt), rate)

    def _measure(
        self, fmt: str, image: Image.Image, reference: Scored, chroma: str
    ) -> Callable[[int], search.Try[bytes]]:
        def measure(quality: int) -> search.Try[bytes]:
            body = encode_one(image, fmt, self.options, setting=Setting(quality, chroma))
            return search.Try(quality, reference.score(decode(body)), len(body), body)

        return measure

    # Per variant, from the encode step.

    def encode(self, width: int, fmt: str, image: Image.Image) -> Encoded | None:
        if fmt not in self.fmts or min(image.size) < MIN_SCORED:
            return None
        found = self.found.get(fmt)
        if found is None:
            return self._fall_back(width, fmt, image)
        if width < SMALL_WIDTH:
            if self.out_of_time():
                return self._fall_back(width, fmt, image)
            return self._search_small(width, fmt, image, found.best.quality)
        if width == self.probe_width and self.probe_is_variant:
            best = found.best
            return Encoded(best.kept, best.quality, round(best.score, 2), "4:2:0")
        planned = self.wide.get((fmt, width))
        if planned is None:
            return self._fall_back(width, fmt, image)
        best = planned.best
        return Encoded(best.kept, best.quality, round(best.score, 2), "4:2:0")

    def _fall_back(self, width: int, fmt: str, image: Image.Image) -> Encoded:
        with self._lock:
            self._fixed.append(f"{fmt} {width}w")
        body = encode_one(image, fmt, self.options)
        return Encoded(body, fixed_quality(fmt, self.options), None, "4:2:0")

    def _search_small(self, width: int, fmt: str, image: Image.Image, start: int) -> Encoded:
        """A narrow variant, scored whole: at the quality the probe found, in 4:2:0 and,
        where the encoder can keep it, 4:4:4; the smaller that reaches the target is
        kept. When neither does, one more try, up from the better of the two."""
        reference = self._references.get(width, image)
        encoder = formats.get(fmt).encoder
        modes = ["4:2:0"] + (["4:4:4"] if encoder and encoder.full_chroma else [])
        tried: dict[str, list[search.Try[bytes]]] = {
            chroma: [self._measure(fmt, image, reference, chroma)(start)] for chroma in modes
        }
        if not any(t.score >= self.target for ts in tried.values() for t in ts):
            chroma = max(modes, key=lambda c: tried[c][0].score)
            rate = search.slope(search.envelope(self.found[fmt].tries))
            step = search.next_quality(tried[chroma], self.target, bounds_of(fmt), hint=rate)
            if step is not None and not self.out_of_time():
                tried[chroma].append(self._measure(fmt, image, reference, chroma)(step))
        self._references.done(width)
        every = [(chroma, one) for chroma, ones in tried.items() for one in ones]
        best = search.settle([one for _, one in every], self.target).best
        chroma = next(c for c, one in every if one is best)
        return Encoded(best.kept, best.quality, round(best.score, 2), chroma)

    def notes(self) -> list[str]:
        if not self._fixed:
            return []
        budget = f"{self.options.quality_budget_seconds:g}"
        which = ", ".join(sorted(self._fixed))
        return [
            f"The quality search ran out of its {budget} s budget: "
            f"{len(self._fixed)} variant(s) use the fixed quality ({which})."
        ]


def probe_image(ctx: Context) -> tuple[Image.Image, bool]:
    """The image the search scores: the planned variant nearest `PROBE_WIDTH` when one
    lies within 480-960 px, else one made from the next wider variant (or the widest
    variant itself when every variant is narrower). The flag says whether it is one of
    the variants (its search's encode can then be kept as that variant)."""
    widths = sorted(ctx.resized)
    near = [w for w in widths if SMALL_WIDTH <= w <= 960]
    if near:
        width = min(near, key=lambda w: abs(w - PROBE_WIDTH))
        return ctx.resized[width], True
    wider = [w for w in widths if w > PROBE_WIDTH]
    if not wider:
        return ctx.resized[widths[-1]], True
    source = ctx.resized[wider[0]]
    height = max(1, round(source.height * PROBE_WIDTH / source.width))
    return lanczos(source, (PROBE_WIDTH, height), ctx.options.threads), False


def quality(ctx: Context, scorer: Scorer = default_scorer) -> None:
    """Search each lossy format's quality on the probe (auto mode, stills only)."""
    if ctx.options.quality != "auto" or ctx.animated or not ctx.resized:
        return
    fmts = lossy_formats(ctx.options, ctx.has_alpha)
    if not fmts:
        return
    probe, is_variant = probe_image(ctx)
    if min(probe.size) < MIN_SCORED:
        return
    tuner = QualityTuner(ctx.options, probe, fmts, scorer=scorer, probe_is_variant=is_variant)
    wide = {width: image for width, image in ctx.resized.items() if width >= SMALL_WIDTH}
    with allocator.roomy():
        tuner.plan(wide, ctx.options.threads or os.cpu_count() or 1)
    ctx.tuner = tuner
