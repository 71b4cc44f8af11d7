"""Reads a GIF's frame count and real canvas from its block structure, without decoding.

A GIF's logical screen is only where its canvas starts: Pillow grows the canvas to hold
any frame that reaches past it (left + width, top + height), so a 100 KB file with a
64 x 64 screen and a 12000 x 12000 second frame decodes a 144 MP frame. Pillow's own
bomb check fires only above 179 MP and its frame count seeks through every frame, so the
guard reads the blocks here instead: every image descriptor's extent and the frame count,
skipping extension and pixel sub-blocks by their lengths (no LZW decoding). Pure and
linear in the file's size. It follows Pillow's reading of the stream (a stray byte
between blocks is skipped, a missing trailer ends the file), so it sees every frame
Pillow would decode; it raises only picset's own `Corrupt`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..errors import Corrupt

_HEADER = 13  # signature, version, logical screen descriptor
_DESCRIPTOR = 9  # left, top, width, height (2 bytes each), flags
_EXTENSION = 0x21  # "!"
_IMAGE = 0x2C  # ","
_TRAILER = 0x3B  # ";"
_BLOCK_START = re.compile(rb"[!,;]")


@dataclass(frozen=True)
class Layout:
    """What decoding a GIF will allocate: `canvas` for the whole animation, and
    `first_canvas` when only its first frame is decoded."""

    frames: int
    screen: tuple[int, int]
    canvas: tuple[int, int]
    first_canvas: tuple[int, int]


def _u16(data: bytes, offset: int) -> int:
    return data[offset] | data[offset + 1] << 8


def _palette_bytes(flags: int) -> int:
    """The size of the colour table a screen or image descriptor's flags announce."""
    return 3 << ((flags & 7) + 1) if flags & 0x80 else 0


def _skip_sub_blocks(data: bytes, offset: int) -> tuple[int, bool]:
    """The offset after a run of sub-blocks and its zero terminator, and whether the run
    was complete (False when the file ends inside it)."""
    end = len(data)
    while offset < end:
        size = data[offset]
        offset += 1
        if size == 0:
            return offset, True
        offset += size
    return end, False


def layout(data: bytes) -> Layout:
    """The frame count and canvases of a GIF; `Corrupt` when no frame can be read."""
    if len(data) < _HEADER or data[:6] not in (b"GIF87a", b"GIF89a"):
        raise Corrupt(detail="GIF: no logical screen descriptor")
    screen = (_u16(data, 6), _u16(data, 8))
    offset = _HEADER + _palette_bytes(data[10])
    if offset > len(data):
        raise Corrupt(detail="GIF: the global colour table is cut short")
    width, height = screen
    first: tuple[int, int] | None = None
    frames = 0
    end = len(data)
    while offset < end:
        marker = data[offset]
        offset += 1
        if marker == _TRAILER:
            break
        if marker == _EXTENSION:
            # The label byte, then sub-blocks (Pillow reads them the same way for every
            # label, so a Graphic Control block's declared size of 4 is not trusted).
            offset, complete = _skip_sub_blocks(data, offset + 1)
            if not complete:
                break
            continue
        if marker != _IMAGE:
            # Pillow skips stray bytes between blocks (zero padding is common); so does
            # this reader, at C speed, so megabytes of them cost milliseconds.
            found = _BLOCK_START.search(data, offset)
            if found is None:
                break
            offset = found.start()
            continue
        if offset + _DESCRIPTOR > end:
            raise Corrupt(detail=f"GIF: frame {frames + 1}'s image descriptor is cut short")
        left, top = _u16(data, offset), _u16(data, offset + 2)
        right = left + _u16(data, offset + 4)
        bottom = top + _u16(data, offset + 6)
        flags = data[offset + 8]
        offset += _DESCRIPTOR + _palette_bytes(flags)
        if offset >= end:
            raise Corrupt(detail=f"GIF: frame {frames + 1}'s colour table is cut short")
        width, height = max(width, right), max(height, bottom)
        frames += 1
        if first is None:
            first = (width, height)
        # The LZW minimum code size, then the pixel data's sub-blocks.
        offset, complete = _skip_sub_blocks(data, offset + 1)
        if not complete:
            break  # the last frame is cut short: the decoder will say whether it reads
    if first is None:
        raise Corrupt(detail="GIF: no image in the file")
    return Layout(frames=frames, screen=screen, canvas=(width, height), first_canvas=first)
