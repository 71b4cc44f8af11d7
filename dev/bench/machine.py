"""What the benchmark ran on: CPU, cores, memory, and the versions of every codec library
that decides the numbers."""

from __future__ import annotations

import os
import platform
from pathlib import Path

import PIL
from PIL import features


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _memory_gb() -> str:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 / 1024:.1f} GB"
    except OSError:
        pass
    return "unknown"


def _libvips() -> str:
    try:
        import pyvips

        version = ".".join(str(pyvips.version(i)) for i in range(3))
        return f"{version} (pyvips {pyvips.__version__})"
    except Exception as exc:  # pyvips missing or its library not loadable
        return f"not available ({type(exc).__name__})"


def describe_machine() -> list[tuple[str, str]]:
    return [
        ("CPU", _cpu_model()),
        ("cores", str(os.cpu_count())),
        ("memory", _memory_gb()),
        ("OS", f"{platform.system()} {platform.release()}"),
        ("Python", platform.python_version()),
        ("Pillow", PIL.__version__),
        ("libjpeg-turbo", str(features.version("libjpeg_turbo"))),
        ("libwebp", str(features.version("webp"))),
        ("libavif", str(features.version("avif"))),
        ("LittleCMS", str(features.version("littlecms2"))),
        ("libvips", _libvips()),
    ]
