"""Mutation fuzzing: corrupted real files through the whole resize (processor, pipeline,
manifest). Every outcome must be `ready` or `failed` with a known code; an exception
escaping the processor, or a code outside `ERROR_CODES`, is a bug.

Seeds are the small files of the corpus (`../shared/corpus`, when present) plus a few
generated images, so the fuzzer runs anywhere. Mutations are what breaks parsers: bit
flips, overwritten bytes (with "interesting" integers that become sizes and counts),
truncation, insertion, deletion and duplication of spans, biased towards the headers.

The suite runs a bounded, derandomised run (`FUZZ_EXAMPLES`, reproducible in CI). A longer,
random run:

    PICSET_FUZZ_EXAMPLES=5000 .venv/bin/pytest tests/test_fuzz.py -p no:cacheprovider \\
        --hypothesis-show-statistics -s
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import keys
from chalicelib.errors import ERROR_CODES
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from dev.memory import MemoryStorage
from tests.conftest import CORPUS, make_image

LONG_RUN = "PICSET_FUZZ_EXAMPLES" in os.environ
FUZZ_EXAMPLES = int(os.environ.get("PICSET_FUZZ_EXAMPLES", "500"))
SEED_MAX_BYTES = 250_000
IMAGE_ID = "Z" * 22
#: Small outputs and a lower pixel cap keep each case fast; the code paths are the same.
FUZZ_SETTINGS = Settings(widths=(48, 96), avif_speed=10, max_pixels=20_000_000)
INTERESTING = (
    b"\x00",
    b"\xff",
    b"\x7f",
    b"\x80",
    b"\x00\x00",
    b"\xff\xff",
    b"\x00\x00\x00\x00",
    b"\xff\xff\xff\xff",
    b"\x7f\xff\xff\xff",
    b"\x80\x00\x00\x00",
    b"\x00\x01\x00\x00",
)

Mutation = tuple[str, int, int, bytes]


def generated_seeds() -> list[tuple[str, bytes]]:
    return [
        ("gen.jpg", make_image(120, 90)),
        ("gen-progressive.jpg", make_image(120, 90, progressive=True)),
        ("gen.png", make_image(90, 120, "PNG")),
        ("gen-rgba.png", make_image(64, 64, "PNG", "RGBA")),
        ("gen-palette.gif", make_image(64, 48, "GIF", "P")),
        ("gen.webp", make_image(80, 60, "WEBP")),
        ("gen.tiff", make_image(40, 30, "TIFF")),
        ("gen.avif", make_image(64, 48, "AVIF")),
    ]


def corpus_seeds() -> list[tuple[str, bytes]]:
    if not CORPUS.is_dir():
        return []
    files = sorted(p for p in CORPUS.iterdir() if p.suffix.lower() not in {".md", ".tsv"})
    return [(p.name, p.read_bytes()) for p in files if p.stat().st_size <= SEED_MAX_BYTES]


SEEDS = dict(corpus_seeds() + generated_seeds())


def mutate(data: bytes, mutations: list[Mutation]) -> bytes:
    """Apply each mutation in turn; positions wrap around the current length. Pure."""
    buffer = bytearray(data)
    for kind, position, amount, payload in mutations:
        if not buffer:
            buffer = bytearray(payload)
            continue
        at = position % len(buffer)
        if kind == "flip":
            buffer[at] ^= 1 << (amount % 8)
        elif kind == "set":
            buffer[at : at + len(payload)] = payload
        elif kind == "truncate":
            del buffer[max(1, at) :]
        elif kind == "insert":
            buffer[at:at] = payload
        elif kind == "delete":
            del buffer[at : at + 1 + amount % 256]
        elif kind == "duplicate":
            span = bytes(buffer[at : at + 1 + amount % 512])
            buffer[at:at] = span
    return bytes(buffer)


@pytest.mark.parametrize(
    ("mutations", "expected"),
    [
        pytest.param([("flip", 0, 0, b"")], b"@BCD", id="flip-low-bit"),
        pytest.param([("flip", 5, 7, b"")], b"A\xc2CD", id="flip-wraps-position"),
        pytest.param([("set", 2, 0, b"xyz")], b"ABxyz", id="set-overwrites-and-extends"),
        pytest.param([("truncate", 2, 0, b"")], b"AB", id="truncate"),
        pytest.param([("truncate", 0, 0, b"")], b"A", id="truncate-keeps-a-byte"),
        pytest.param([("insert", 1, 0, b"--")], b"A--BCD", id="insert"),
        pytest.param([("delete", 1, 1, b"")], b"AD", id="delete-span"),
        pytest.param([("duplicate", 1, 1, b"")], b"ABCBCD", id="duplicate-span"),
        pytest.param(
            [("truncate", 1, 0, b""), ("insert", 0, 0, b"Z")], b"ZA", id="applied-in-order"
        ),
    ],
)
def test_mutate(mutations, expected):
    assert mutate(b"ABCD", mutations) == expected


positions = st.one_of(st.integers(0, 511), st.integers(0, 2**31))
mutation = st.one_of(
    st.tuples(st.just("flip"), positions, st.integers(0, 7), st.just(b"")),
    st.tuples(st.just("set"), positions, st.just(0), st.sampled_from(INTERESTING)),
    st.tuples(st.just("set"), positions, st.just(0), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("truncate"), positions, st.just(0), st.just(b"")),
    st.tuples(st.just("insert"), positions, st.just(0), st.binary(min_size=1, max_size=64)),
    st.tuples(st.just("delete"), positions, st.integers(0, 255), st.just(b"")),
    st.tuples(st.just("duplicate"), positions, st.integers(0, 511), st.just(b"")),
)

OUTCOMES: dict[str, int] = {}


@pytest.fixture(scope="module", autouse=True)
def report_outcomes() -> Iterator[None]:
    yield
    total = sum(OUTCOMES.values())
    summary = ", ".join(f"{name} {count}" for name, count in sorted(OUTCOMES.items()))
    print(f"\nfuzz: {total} cases over {len(SEEDS)} seeds: {summary}")


@settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=not LONG_RUN,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    name=st.sampled_from(sorted(SEEDS)),  # names, so a failure prints short
    mutations=st.lists(mutation, min_size=1, max_size=6),
)
def test_a_corrupted_file_ends_ready_or_failed_with_a_known_code(
    name: str, mutations: list[Mutation]
) -> None:
    data = mutate(SEEDS[name], mutations)
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, data, content_type="image/jpeg", metadata={"filename": name})
    outcome = Processor(storage, FUZZ_SETTINGS).process(UploadRecord(key, len(data)))
    manifest = outcome.manifest
    assert outcome.status in {"ready", "failed"}, (name, outcome.status, outcome.detail)
    assert manifest is not None
    if outcome.status == "ready":
        assert manifest.variants
        assert manifest.error is None
    else:
        assert manifest.error is not None
        assert manifest.error.code in ERROR_CODES, (name, manifest.error)
        assert manifest.variants == []
    code = manifest.error.code if manifest.error else "ready"
    OUTCOMES[code] = OUTCOMES.get(code, 0) + 1


@pytest.mark.parametrize(
    ("name", "mutations"),
    [
        pytest.param(
            "avif-orientation-6.avif", [("flip", 896, 0, b"")], id="avif-colour-planes-fail"
        ),
        pytest.param("pitm.avif", [("flip", 207, 0, b"")], id="avif-missing-image-item"),
    ],
)
def test_cases_the_fuzzer_found_fail_cleanly(name: str, mutations: list[Mutation]) -> None:
    """Once escaped as RuntimeError from libavif; now each is a `corrupt` failure."""
    if name not in SEEDS:
        pytest.skip("../shared/corpus is not present")
    storage = MemoryStorage()
    key = keys.upload_key(IMAGE_ID)
    storage.put(key, mutate(SEEDS[name], mutations), content_type="image/avif")
    outcome = Processor(storage, FUZZ_SETTINGS).process(UploadRecord(key))
    assert outcome.status == "failed"
    assert outcome.manifest is not None
    assert outcome.manifest.error is not None
    assert outcome.manifest.error.code == "corrupt"


def test_the_fuzzer_has_real_files_to_work_on() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/corpus is not present; the fuzzer uses generated seeds only")
    assert {"truncated.jpg", "rotating-squares.gif", "hopper.heif"} <= set(SEEDS)
    assert all(len(data) <= SEED_MAX_BYTES for data in SEEDS.values())
