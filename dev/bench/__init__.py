"""picset's benchmark: the seed tutorial's method, picset's pipeline and libvips side by
side, one process per measurement, plus the whole flow on the local emulator.

Run it with `./scripts/bench` (or `python -m dev.bench --help`). Dev-only: nothing here is
deployed or imported by the app.
"""
