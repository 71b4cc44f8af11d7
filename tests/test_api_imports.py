"""The API function loads only what its routes need: importing the app must not pull in
the imaging stack, which only the resize handlers import (every cold start of the API
would pay for it)."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import json, sys
import app
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in ("PIL", "pillow_heif"))))
"""


def fresh_python(code: str) -> str:
    """What `code` prints last, run in a fresh interpreter that imports nothing first."""
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "PICSET_BUCKET": "picset-probe"},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().splitlines()[-1]


def test_importing_the_app_loads_no_imaging_library():
    assert json.loads(fresh_python(PROBE)) == []


def test_the_resize_handler_still_reaches_the_processor():
    code = "import app; p = app.get_processor(); print(type(p).__name__)"
    assert fresh_python(code) == "Processor"
