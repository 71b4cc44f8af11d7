"""Test inputs built byte by byte: GIFs with frames placed anywhere (the canvas bomb among
them), a TIFF whose later page declares a huge size, and the multi-image containers that
are not animations (a JPEG with an MPF preview, a multi-page TIFF, a multi-image HEIF).

The GIF writer fills each frame with one palette index through a real LZW stream, so a
decoder reads every pixel of it: a 12000 x 12000 frame costs about 100 KB of file and a
full-size canvas to decode.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass

import pillow_heif
from PIL import Image

#: The GIF dictionary holds 4096 codes; a run this long and every shorter one fit in it.
LONGEST_RUN = 3800


@dataclass(frozen=True)
class Frame:
    """One GIF image descriptor, filled with one colour of the global palette."""

    left: int
    top: int
    width: int
    height: int
    colour: int = 0
    delay_cs: int = 10  # centiseconds


def lzw_fill(colour: int, count: int, code_size: int, longest_run: int = LONGEST_RUN) -> bytes:
    """A GIF LZW stream of `count` pixels of one colour.

    With one colour the dictionary only ever holds runs of it, each one longer than the
    last: emitting the run of length k adds the run of length k + 1. So the stream is the
    runs 1, 2, 3, ... (a clear code whenever `longest_run` is reached), then the rest.
    The code width grows by one bit when the next code to be added passes the current
    width, as every GIF decoder expects.
    """
    clear, end = 1 << code_size, (1 << code_size) + 1
    first = clear + 2  # the dictionary's first multi-pixel entry

    def run_code(length: int) -> int:
        return colour if length == 1 else first + length - 2

    bits = 0
    nbits = 0
    out = bytearray()

    def put(code: int, width: int) -> None:
        nonlocal bits, nbits
        bits |= code << nbits
        nbits += width
        while nbits >= 8:
            out.append(bits & 0xFF)
            bits >>= 8
            nbits -= 8

    width = code_size + 1
    put(clear, width)
    next_code = first
    length = 1
    left = count
    while left > 0:
        if length > longest_run:
            put(clear, width)
            width, next_code, length = code_size + 1, first, 1
        take = min(length, left)
        put(run_code(take), width)
        left -= take
        length += 1
        if next_code < 4096:
            next_code += 1
            if next_code > (1 << width) and width < 12:
                width += 1
    put(end, width)
    if nbits:
        out.append(bits & 0xFF)
    return bytes(out)


def sub_blocks(data: bytes) -> bytes:
    chunks = [bytes([len(data[i : i + 255])]) + data[i : i + 255] for i in range(0, len(data), 255)]
    return b"".join(chunks) + b"\x00"


def gif(
    screen: tuple[int, int],
    frames: list[Frame],
    *,
    trailer: bool = True,
    between: bytes = b"",
) -> bytes:
    """A GIF89a with a 4-colour global palette (white, red, green, blue), a looping
    NETSCAPE block, and each frame behind a Graphic Control block with its delay.
    `between` is put before each frame's blocks (stray bytes, comments)."""
    palette = bytes((255, 255, 255, 255, 0, 0, 0, 160, 0, 0, 0, 255))
    out = bytearray(b"GIF89a" + struct.pack("<HHBBB", *screen, 0x80 | 0x01, 0, 0) + palette)
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
    for frame in frames:
        out += between
        out += b"\x21\xf9\x04" + struct.pack("<BHB", 0x08, frame.delay_cs, 0) + b"\x00"
        out += b"\x2c" + struct.pack("<HHHHB", frame.left, frame.top, frame.width, frame.height, 0)
        out += b"\x02" + sub_blocks(lzw_fill(frame.colour, frame.width * frame.height, 2))
    if trailer:
        out += b"\x3b"
    return bytes(out)


def canvas_bomb_gif() -> bytes:
    """About 107 KB: a 64 x 64 logical screen and first frame, then a 12000 x 12000
    second frame that makes Pillow grow the canvas to 144 MP (under its own 179 MP
    error threshold, so only a warning)."""
    return gif((64, 64), [Frame(0, 0, 64, 64, colour=1), Frame(0, 0, 12000, 12000, colour=2)])


# --- TIFF ---------------------------------------------------------------------------------


def _tiff_directories(data: bytes) -> list[int]:
    """The offset of each image file directory of a little-endian TIFF."""
    assert data[:4] == b"II*\x00"
    found = []
    offset = struct.unpack_from("<I", data, 4)[0]
    while offset:
        found.append(offset)
        count = struct.unpack_from("<H", data, offset)[0]
        offset = struct.unpack_from("<I", data, offset + 2 + 12 * count)[0]
    return found


def with_page_size(data: bytes, page: int, size: tuple[int, int]) -> bytes:
    """The TIFF with directory `page` (0-based) declaring another width and height; its
    pixel data is left as it was, far too short for the new size."""
    out = bytearray(data)
    directory = _tiff_directories(data)[page]
    count = struct.unpack_from("<H", data, directory)[0]
    for index in range(count):
        entry = directory + 2 + 12 * index
        tag, kind = struct.unpack_from("<HH", data, entry)
        if tag in (256, 257):
            value = size[0] if tag == 256 else size[1]
            struct.pack_into("<H" if kind == 3 else "<I", out, entry + 8, value)
    return bytes(out)


# --- multi-image containers that are not animations ------------------------------------


def picture(width: int, height: int, colour: tuple[int, int, int]) -> Image.Image:
    """A gradient over one colour, so encoders and resizers do real work."""
    image = Image.new("RGB", (width, height), colour)
    ramp = Image.linear_gradient("L").resize((width, height))
    return Image.composite(image, Image.new("RGB", (width, height), "black"), ramp)


def jpeg_with_preview(size: tuple[int, int] = (900, 600)) -> bytes:
    """A camera-style JPEG: the photo, then a smaller square MPF preview (Pillow opens it
    as MPO, two frames)."""
    buffer = io.BytesIO()
    photo, preview = picture(*size, (200, 120, 40)), picture(160, 160, (40, 120, 200))
    photo.save(buffer, "MPO", save_all=True, append_images=[preview], quality=90)
    return buffer.getvalue()


def two_page_tiff(
    first: tuple[int, int] = (600, 300), second: tuple[int, int] = (200, 500)
) -> bytes:
    buffer = io.BytesIO()
    page1, page2 = picture(*first, (200, 40, 40)), picture(*second, (40, 200, 40))
    page1.save(buffer, "TIFF", save_all=True, append_images=[page2])
    return buffer.getvalue()


def multi_image_heif(
    sizes: tuple[tuple[int, int], ...] = ((320, 240), (240, 480)), primary: int = 1
) -> bytes:
    """A HEIF holding several top-level images, the `primary` one not the first."""
    pillow_heif.register_heif_opener()
    images = [picture(w, h, (40 * i + 60, 90, 200 - 40 * i)) for i, (w, h) in enumerate(sizes)]
    buffer = io.BytesIO()
    images[0].save(
        buffer, "HEIF", save_all=True, append_images=images[1:], primary_index=primary, quality=60
    )
    return buffer.getvalue()
