"""Reads the declared pixel size of an AVIF or HEIF file from its boxes, without a decoder.

libavif refuses to even open a file over its own dimension limit (16384 x 16384), so a
1 KB AVIF declaring 17000 x 17000 pixels would otherwise look merely unreadable. Reading
the `ispe` (image spatial extents) properties from `meta/iprp/ipco` lets the guard call it
what it is, a decompression bomb, before any decoder allocates anything. Pure and bounded:
it walks at most the boxes in the file's first few hundred KB and never recurses deeper
than the three container levels it needs.
"""

from __future__ import annotations

# Box headers this reader descends into, outermost first; `meta` is a full box (4 bytes
# of version and flags before its children).
_PATH = (b"meta", b"iprp", b"ipco")
_SCAN_LIMIT = 512 * 1024


def _boxes(data: bytes, start: int, end: int) -> list[tuple[bytes, int, int]]:
    """(type, payload start, payload end) of each box between start and end."""
    found = []
    offset = start
    while offset + 8 <= end:
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8]
        header = 8
        if size == 1 and offset + 16 <= end:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
            header = 16
        elif size == 0:
            size = end - offset
        if size < header or offset + size > end:
            break
        found.append((kind, offset + header, offset + size))
        offset += size
    return found


def spatial_extents(data: bytes) -> list[tuple[int, int]]:
    """Every (width, height) an `ispe` property declares; empty when there is none."""
    data = data[:_SCAN_LIMIT]
    level = [(b"", 0, len(data))]
    for depth, name in enumerate(_PATH):
        children: list[tuple[bytes, int, int]] = []
        for _kind, start, end in level:
            for kind, payload, stop in _boxes(data, start, end):
                if kind == name:
                    # meta is a FullBox: its children start after version and flags.
                    children.append((kind, payload + 4 if depth == 0 else payload, stop))
        level = children
    extents = []
    for _kind, start, end in level:
        for kind, payload, stop in _boxes(data, start, end):
            if kind == b"ispe" and stop - payload >= 12:
                width = int.from_bytes(data[payload + 4 : payload + 8], "big")
                height = int.from_bytes(data[payload + 8 : payload + 12], "big")
                extents.append((width, height))
    return extents


def declared_size(data: bytes) -> tuple[int, int] | None:
    """The largest declared extent (the primary image or its grid), or None."""
    extents = spatial_extents(data)
    if not extents:
        return None
    return max(extents, key=lambda size: size[0] * size[1])
