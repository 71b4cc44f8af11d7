"""A local folder of Lambda-compatible wheels for `requirements.txt`, so `chalice package`
and `chalice deploy` can build the deployment package without reaching a package index.

Chalice downloads the Lambda's dependencies with pip, which honours `PIP_NO_INDEX` and
`PIP_FIND_LINKS`; pointing those at this folder (`offline_env`) makes packaging repeatable
and keeps the packaging tests off the network. The folder is filled once per version of
`requirements.txt` by `scripts/setup` (the one step that may download), with the same
platform tags Chalice asks for: CPython 3.11, manylinux up to glibc 2.26 (Amazon Linux 2,
the python3.11 runtime), x86_64.

Run: `python -m dev.wheelhouse` (prints the folder; downloads only when stale).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WHEELHOUSE = ROOT / "build" / "lambda-wheels"
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = ".requirements-sha256"

PYTHON_VERSION = "3.11"
ABI = "cp311"
#: What the python3.11 runtime can load: glibc 2.17 (manylinux2014) up to its 2.26.
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(17, 27)] + ["manylinux2014_x86_64"]


def requirements_digest(requirements: Path = REQUIREMENTS) -> str:
    return hashlib.sha256(requirements.read_bytes()).hexdigest()


def is_current(folder: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> bool:
    stamp = folder / STAMP
    return stamp.is_file() and stamp.read_text().strip() == requirements_digest(requirements)


def ensure(folder: Path = WHEELHOUSE, requirements: Path = REQUIREMENTS) -> Path:
    """Fill `folder` with wheels for `requirements` unless it already matches them."""
    if is_current(folder, requirements):
        return folder
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    command = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--quiet",
        "--disable-pip-version-check",
        "--only-binary=:all:",
        "--implementation",
        "cp",
        "--python-version",
        PYTHON_VERSION,
        "--abi",
        ABI,
        *(arg for platform in PLATFORMS for arg in ("--platform", platform)),
        "--dest",
        str(folder),
        "-r",
        str(requirements),
    ]
    subprocess.run(command, check=True)
    (folder / STAMP).write_text(requirements_digest(requirements) + "\n")
    return folder


def offline_env(folder: Path = WHEELHOUSE, base: dict[str, str] | None = None) -> dict[str, str]:
    """An environment in which pip (and so Chalice's packager) installs from `folder` only."""
    env = dict(os.environ if base is None else base)
    env.update(PIP_NO_INDEX="1", PIP_FIND_LINKS=str(folder), PIP_DISABLE_PIP_VERSION_CHECK="1")
    return env


def main() -> None:
    print(ensure())


if __name__ == "__main__":
    main()
