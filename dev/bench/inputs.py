"""The photos the benchmark runs on: the large ones in the shared corpus, its 12 MP AVIF,
and a 50 MP JPEG generated here (upscaled from a corpus photo, so it has a photo's
detail and its colour profile; synthetic when the corpus is absent)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageFilter

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT.parent / "shared" / "corpus"
CACHE = ROOT / "artifacts" / "bench"

#: The 12 MP photo the headline ratios are quoted for.
PHOTO_12MP = "exif-sample-large.jpg"
PHOTO_50MP = "generated-50mp.jpg"
CORPUS_INPUTS = (
    PHOTO_12MP,
    "gain-map.jpg",
    "2569067123_aca715a2ee_o.jpg",
    "old-style-jpeg-compression.png",
    "avif-orientation-6.avif",
)
QUICK_INPUTS = (PHOTO_12MP, PHOTO_50MP)
SIZE_50MP = (8192, 6144)


@dataclass(frozen=True)
class Input:
    name: str
    path: Path


def generate_50mp(source: Path | None, size: tuple[int, int] = SIZE_50MP) -> bytes:
    """A 50 MP JPEG: a corpus photo upscaled (keeping its ICC profile), lightly sharpened
    so it is not unnaturally smooth; or, without a corpus, noise over gradients."""
    if source is not None and source.is_file():
        with Image.open(source) as photo:
            icc = photo.info.get("icc_profile")
            big = photo.convert("RGB").resize(size, Image.Resampling.BICUBIC)
    else:
        icc = None
        noise = Image.effect_noise(size, 40)
        ramp = Image.linear_gradient("L").resize(size)
        big = Image.merge("RGB", (ramp, noise, ramp.transpose(Image.Transpose.FLIP_LEFT_RIGHT)))
    big = big.filter(ImageFilter.UnsharpMask(radius=2, percent=60, threshold=2))
    buffer = io.BytesIO()
    extra = {"icc_profile": icc} if icc else {}
    big.save(buffer, "JPEG", quality=90, **extra)
    return buffer.getvalue()


def ensure_50mp(cache: Path = CACHE) -> Path:
    path = cache / PHOTO_50MP
    if not path.is_file():
        cache.mkdir(parents=True, exist_ok=True)
        path.write_bytes(generate_50mp(CORPUS / PHOTO_12MP))
    return path


def benchmark_inputs(names: tuple[str, ...] | None = None) -> tuple[list[Input], list[str]]:
    """The inputs to run (generating the 50 MP one), and notes on any that are missing."""
    wanted = names or (*CORPUS_INPUTS, PHOTO_50MP)
    found: list[Input] = []
    missing: list[str] = []
    for name in wanted:
        if name == PHOTO_50MP:
            found.append(Input(name, ensure_50mp()))
        elif (CORPUS / name).is_file():
            found.append(Input(name, CORPUS / name))
        else:
            missing.append(f"{name} is not in {CORPUS}; skipped")
    return found, missing
