"""The quality step in the pipeline, with a stand-in scorer whose answers the tests choose
(the real SSIMULACRA2 is tested against the reference in test_picset_ssimulacra2.py, and
the search end to end in test_quality_real.py): what is searched where, the checks and
corrections at wide widths, small variants and their chroma, the time budget, alpha,
animations and panoramas."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from PIL import Image, ImageChops, ImageStat

from chalicelib import formats
from chalicelib.pipeline import Context, Options, Output, quality, run
from chalicelib.pipeline.runner import STEPS
from tests.ssim_pairs import photo


class ErrorScore:
    """100 minus `rate` x the mean absolute difference, with `penalty(width)` off: a
    stand-in that rises with quality, as a real score does."""

    def __init__(
        self,
        image: Image.Image,
        rate: float = 6.0,
        penalty: Callable[[tuple[int, int]], float] = lambda size: 0,
    ) -> None:
        self.image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        self.rate = rate
        self.penalty = penalty

    def score(self, distorted: Image.Image) -> float:
        other = distorted.convert(self.image.mode)
        assert other.size == self.image.size
        error = sum(ImageStat.Stat(ImageChops.difference(self.image, other)).mean) / len(
            self.image.getbands()
        )
        return 100 - self.rate * error - self.penalty(self.image.size)


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def jpeg(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", quality=95)
    return out.getvalue()


def auto(**overrides: object) -> Options:
    values: dict[str, object] = {"widths": (320, 640, 1280), "quality": "auto"}
    values.update(overrides)
    return Options(**values)  # type: ignore[arg-type]


def process(data: bytes, options: Options, scorer: quality.Scorer = ErrorScore) -> Context:
    steps = tuple(
        (name, (lambda ctx, s=scorer: quality.quality(ctx, s)) if name == "quality" else step)
        for name, step in STEPS
    )
    return run(Context(data=data, options=options), steps)


def is_lossy(fmt: str) -> bool:
    encoder = formats.get(fmt).encoder
    return encoder is not None and encoder.quality_range is not None


def lossy(ctx: Context) -> list[Output]:
    return [o for o in ctx.outputs if is_lossy(o.format)]


def q(out: Output) -> int:
    assert out.quality is not None, out.format
    return out.quality


def score(out: Output) -> float:
    assert out.score is not None, (out.format, out.width)
    return out.score


def test_every_wide_variant_reaches_the_target_within_bounds() -> None:
    ctx = process(jpeg(photo(1400, 930)), auto())
    assert {o.width for o in ctx.outputs} == {320, 640, 1280}
    for out in lossy(ctx):
        low, high = quality.bounds_of(out.format)
        assert low <= q(out) <= high
        if out.width >= quality.SMALL_WIDTH:
            assert score(out) >= 70, out
    assert ctx.notes == []
    assert "quality" in ctx.timings


def test_each_score_was_measured_on_what_was_written() -> None:
    seen: list[tuple[bytes, float]] = []

    class Recording(ErrorScore):
        def score(self, distorted: Image.Image) -> float:
            value = super().score(distorted)
            seen.append((distorted.convert("RGB").tobytes(), round(value, 2)))
            return value

    ctx = process(jpeg(photo(1400, 930)), auto(widths=(320, 640, 1280)), Recording)
    for out in lossy(ctx):
        # Every variant, the wide ones too, is scored whole as written (not a crop).
        decoded = quality.decode(out.body)
        assert (decoded.convert("RGB").tobytes(), out.score) in seen, out


def test_a_variant_that_falls_short_is_corrected_upwards() -> None:
    # The 1280 px variant scores 12 points under the probe at any quality.
    def scorer(image: Image.Image) -> ErrorScore:
        return ErrorScore(image, penalty=lambda size: 12.0 if size[0] == 1280 else 0.0)

    ctx = process(jpeg(photo(1400, 930)), auto(widths=(640, 1280)), scorer)
    by = {(o.format, o.width): o for o in lossy(ctx)}
    for fmt in ("avif", "webp", "jpeg"):
        assert score(by[(fmt, 1280)]) >= 70
        assert q(by[(fmt, 1280)]) > q(by[(fmt, 640)])


def test_a_target_beyond_reach_keeps_the_best_and_says_its_score() -> None:
    ctx = process(jpeg(photo(700, 466)), auto(widths=(640,)), lambda i: ErrorScore(i, rate=60))
    for out in lossy(ctx):
        high = quality.bounds_of(out.format)[1]
        assert out.quality == high
        assert score(out) < 70


def test_out_of_budget_falls_back_to_the_fixed_qualities_with_a_note() -> None:
    ctx = process(jpeg(photo(1400, 930)), auto(quality_budget_seconds=1e-9))
    fixed = {"avif": 50, "webp": 75, "jpeg": 80}
    for out in lossy(ctx):
        assert out.quality == fixed[out.format]
        assert out.score is None
    assert len(ctx.notes) == 1
    assert "budget" in ctx.notes[0]


def test_running_out_midway_marks_only_the_rest() -> None:
    now = [0.0]

    class Slow(ErrorScore):
        def score(self, distorted: Image.Image) -> float:
            now[0] += 1.0  # every score takes a second
            return super().score(distorted)

    tuner = quality.QualityTuner(
        auto(quality_budget_seconds=6.0),
        photo(640, 426),
        ["jpeg"],
        scorer=Slow,
        clock=lambda: now[0],
    )
    wide = {w: photo(w, round(w * 2 / 3)) for w in (960, 1280, 1600, 1920, 2240, 2560)}
    tuner.plan(wide, 1)
    searched = {w for (_, w) in tuner.wide}
    assert tuner.found["jpeg"].tries
    assert searched and searched != set(wide), "the budget ends the search part way"
    made = {w: tuner.encode(w, "jpeg", image) for w, image in wide.items()}
    for width, encoded in made.items():
        assert encoded is not None
        if width in searched:
            assert encoded.score is not None
        else:
            assert (encoded.score, encoded.quality) == (None, 80)
    late = sorted(set(wide) - searched)
    assert tuner.notes() == [
        "The quality search ran out of its 6 s budget: "
        f"{len(late)} variant(s) use the fixed quality "
        f"({', '.join(sorted(f'jpeg {w}w' for w in late))})."
    ]


def test_small_variants_are_searched_whole_and_may_keep_full_chroma() -> None:
    # Fine coloured detail: 4:2:0 halves the chroma resolution, 4:4:4 keeps it.
    stripes = Image.new("RGB", (400, 260))
    stripes.putdata(
        [((255, 0, 0) if (x // 1) % 2 else (0, 0, 255)) for _ in range(260) for x in range(400)]
    )
    ctx = process(png(stripes), auto(widths=(320, 400)))
    chroma = {(o.format, o.width): o.chroma for o in lossy(ctx)}
    assert chroma[("webp", 320)] == "4:2:0"  # Pillow cannot ask libwebp for more
    assert "4:4:4" in {chroma[("avif", 320)], chroma[("jpeg", 320)]}
    for out in lossy(ctx):
        assert out.score is not None


def test_transparent_images_score_the_modern_formats_and_leave_png_alone() -> None:
    image = photo(700, 466).convert("RGBA")
    image.putalpha(Image.linear_gradient("L").resize(image.size))
    ctx = process(png(image), auto(widths=(320, 640)))
    by_format = {o.format for o in ctx.outputs}
    assert by_format == {"avif", "webp", "png"}
    for out in ctx.outputs:
        if out.format == "png":
            assert out.quality is None and out.score is None and out.chroma is None
        else:
            assert out.score is not None


def test_animations_keep_the_fixed_settings() -> None:
    frames = [photo(400, 300, seed=s).convert("P") for s in (1, 2)]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    ctx = process(out.getvalue(), auto(widths=(320,)))
    assert ctx.animated
    for item in ctx.outputs:
        assert item.score is None


def test_a_panorama_is_searched_on_its_own_thin_probe() -> None:
    panorama = photo(3000, 90)
    ctx = process(jpeg(panorama), auto(widths=(320, 640, 1280, 2560)))
    widths = sorted({o.width for o in ctx.outputs})
    assert all(o.height >= 16 for o in ctx.outputs)
    assert widths[-1] == 2560
    for out in lossy(ctx):
        assert out.score is not None


def test_fixed_mode_records_the_qualities_and_scores_nothing() -> None:
    ctx = process(jpeg(photo(700, 466)), auto(quality="fixed", widths=(320, 640)))
    fixed = {"avif": 50, "webp": 75, "jpeg": 80}
    for out in lossy(ctx):
        assert out.quality == fixed[out.format]
        assert out.score is None
        assert out.chroma == "4:2:0"
    assert "quality" in ctx.timings


@pytest.mark.parametrize("width", [640, 700])
def test_the_probe_is_a_variant_near_640_or_made_from_a_wider_one(width: int) -> None:
    ctx = Context(data=b"", options=auto())
    ctx.resized = {320: photo(320, 213), width: photo(width, 466), 1280: photo(1280, 852)}
    probe, is_variant = quality.probe_image(ctx)
    assert (probe.width, is_variant) == (width, True)
    ctx.resized = {320: photo(320, 213), 1280: photo(1280, 852)}
    probe, is_variant = quality.probe_image(ctx)
    assert (probe.width, is_variant) == (640, False)
