"""boto3 clients built from the settings: the emulator's endpoint, SigV4, path-style.

Clients are made on first use (never at import time), so tests and the local tools can
point them elsewhere before anything talks to AWS.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.config import Config

from .settings import Settings


def client(service: str, settings: Settings, session: Any = None) -> Any:
    """A client for `service`; `session` (a `boto3.Session`, e.g. for a named profile)
    defaults to boto3's own, which reads the environment or the Lambda's role."""
    config = Config(
        signature_version="s3v4",
        s3={"addressing_style": "path" if settings.endpoint_url else "auto"},
        retries={"max_attempts": 3, "mode": "standard"},
        max_pool_connections=32,
    )
    return (session or boto3).client(
        service,
        region_name=settings.region,
        endpoint_url=settings.endpoint_for(service),
        config=config,
    )
