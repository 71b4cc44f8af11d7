"""Make freed image buffers go back to the operating system at once.

glibc's malloc raises its mmap threshold each time a large block is freed, so after the
first big image later buffers come from per-thread heaps that keep their pages: the
process's RSS then grows by every encoder's peak in every thread, and stays there. A
fixed threshold keeps large buffers (pixels, encoder frames) in their own mappings, which
are unmapped when freed. Measured on a 12 MP photo: peak RSS 258 -> 204 MB, and 47 MB
instead of 232 MB after the image is done. Elsewhere than glibc this does nothing.

The quality search is the exception (`roomy`): its scorer makes thousands of short-lived
arrays of a megabyte or so, and mapping and unmapping each one costs it about 1.5x its
time (more with threads, which then queue on the process's memory map). For that step the
threshold is raised, and once it is over the heap's free pages are handed back.
"""

from __future__ import annotations

import ctypes
import functools
from collections.abc import Iterator
from contextlib import contextmanager

M_MMAP_THRESHOLD = -3  # from glibc's malloc.h
THRESHOLD_BYTES = 256 * 1024
#: While `roomy`: arrays up to this size come from the heap, not their own mappings.
ROOMY_BYTES = 64 * 1024 * 1024


@functools.cache
def tune() -> bool:
    """Fix malloc's mmap threshold, once per process; True when the C library took it."""
    try:
        mallopt = ctypes.CDLL(None).mallopt  # the C library this process already runs on
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    return bool(mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES))


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
    except (OSError, AttributeError):
        return None
    return libc


@contextmanager
def roomy() -> Iterator[None]:
    """Within: many short-lived arrays reuse heap pages; after: back to `tune`'s
    threshold, and the heap's free pages returned to the operating system."""
    libc = _libc() if tune() else None
    if libc is None:
        yield
        return
    libc.mallopt(M_MMAP_THRESHOLD, ROOMY_BYTES)
    try:
        yield
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, THRESHOLD_BYTES)
        libc.malloc_trim(0)
