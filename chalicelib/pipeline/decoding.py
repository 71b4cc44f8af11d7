"""Turns what a decoder raises on a hostile or broken file into the domain's errors.

Decoders fail in many ways (OSError for truncation, SyntaxError for bad headers,
ValueError, struct.error, EOFError; libavif and libheif report a damaged file as
RuntimeError, which the fuzzer in tests/test_fuzz.py found). Inside `decoding()` each
one becomes `Corrupt`, and Pillow's bomb check becomes `TooManyPixels`, so no decoder
error escapes as a crash.
Only the steps that touch decoders use it; a bug elsewhere still surfaces as a bug.
"""

from __future__ import annotations

import struct
import warnings
import zlib
from collections.abc import Iterator
from contextlib import contextmanager

from PIL import Image

from ..errors import Corrupt, PicsetError, TooManyPixels

DECODER_ERRORS = (
    OSError,
    SyntaxError,
    ValueError,
    EOFError,
    struct.error,
    zlib.error,
    IndexError,
    KeyError,
    TypeError,
    ZeroDivisionError,
    RuntimeError,
)


@contextmanager
def decoding(what: str) -> Iterator[None]:
    with warnings.catch_warnings():
        # picset enforces its own pixel cap; Pillow's warning is not an error here.
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        # Decoders warn about damaged metadata ("Corrupt EXIF data") and go on; the file
        # either decodes or raises, and a warning must never become the failure.
        warnings.simplefilter("ignore", UserWarning)
        try:
            yield
        except PicsetError:
            raise
        except Image.DecompressionBombError as exc:
            raise TooManyPixels(detail=str(exc)) from exc
        except MemoryError as exc:
            raise TooManyPixels(detail=f"out of memory while {what}") from exc
        except DECODER_ERRORS as exc:
            raise Corrupt(detail=f"{what}: {type(exc).__name__}: {exc}") from exc
