"""The resize pipeline: pure image work, no AWS. See `runner.STEPS` for the order."""

from .context import Context, Options, Output
from .runner import STEPS, run

__all__ = ["STEPS", "Context", "Options", "Output", "run"]
