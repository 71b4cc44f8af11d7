"""The one settings object: every knob declared once, with its default and why.

Settings are read from environment variables in exactly one place (`Settings.from_env`)
and checked by `validate()` at cold start, so a misconfigured stage fails loudly with a
message a person can act on instead of half-working. Stage values live in
`.chalice/config.json`; the README's configuration table mirrors `FIELDS` (a test keeps
the two in step).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from . import formats

MIB = 1024 * 1024
#: The services `PICSET_ACCOUNTS_ENDPOINT_URL` serves. LocalStack's free edition has no
#: Cognito; DynamoDB and EventBridge stay on the same moto server beside it, so a local run
#: has one emulation of each whichever emulator serves S3 and SQS (the local events rule
#: delivers to a queue on that same server).
ACCOUNTS_SERVICES = ("cognito-idp", "dynamodb", "events")
#: A CloudFront distribution id: capital letters and digits (e.g. `E2QWRUHAPOMQZL`).
DISTRIBUTION_ID = re.compile(r"[A-Z0-9]{1,64}")


class SettingsError(ValueError):
    """A setting is missing or out of range; the message names the variable."""


def _ints(raw: str) -> tuple[int, ...]:
    return tuple(int(part) for part in raw.replace(" ", "").split(",") if part)


def _strs(raw: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in raw.split(",") if part.strip())


def _optional(raw: str) -> str | None:
    return raw or None


def _bool(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(f"expected true or false, got {raw!r}")


#: Marks a setting whose variable set to "" means something of its own (see `empty`).
_DEFAULT = object()


def _setting(
    env: str, default: Any, parse: Callable[[str], Any], doc: str, *, empty: Any = _DEFAULT
) -> Any:
    """A setting; `empty` is what the variable set to "" means, when that is not the
    default (e.g. "turned off")."""
    metadata = {"env": env, "parse": parse, "doc": doc, "empty": empty}
    return field(default=default, metadata=metadata)


@dataclass(frozen=True)
class Settings:
    """Everything picset can be told; defaults suit the local emulator."""

    bucket: str = _setting(
        "PICSET_BUCKET", "picset-local", str, "Bucket holding `uploads/` and `images/`."
    )
    region: str = _setting("PICSET_REGION", "us-east-1", str, "AWS region of the bucket.")
    endpoint_url: str | None = _setting(
        "PICSET_ENDPOINT_URL",
        None,
        _optional,
        "S3/SQS endpoint for an emulator (moto, LocalStack); empty means AWS.",
    )
    public_base_url: str | None = _setting(
        "PICSET_PUBLIC_BASE_URL",
        None,
        _optional,
        "Base URL the browser loads variants from (a CDN in production); "
        "empty means the bucket's own URL.",
    )
    distribution_id: str | None = _setting(
        "PICSET_DISTRIBUTION_ID",
        None,
        _optional,
        "CloudFront distribution serving the variants: deleting an image invalidates "
        "its `/images/<id>/*` there, so no edge keeps serving it; empty means no CDN to "
        "tell (locally).",
    )
    site_url: str | None = _setting(
        "PICSET_SITE_URL",
        None,
        _optional,
        "Public URL of the app's own pages, stage prefix included (e.g. "
        "`https://pics.example/`): the pages' canonical and `og:url` links, the URLs the "
        "API answers with, the only origin whose picture pages `GET /api/oembed` "
        "embeds, and the page URL in events; empty means the URL each request arrived "
        "at (and `page_url: null` in events, which have no request).",
    )
    widths: tuple[int, ...] = _setting(
        "PICSET_WIDTHS",
        (),
        _ints,
        "Fixed variant widths in pixels, comma separated; never upscaled. Empty: widths "
        "spaced by bytes, 3 to 8 of them from 320 px to the source's width (at most "
        "2560 px), neighbours about `PICSET_WIDTH_STEP_BYTES` apart in the fallback format.",
    )
    # 20 KB: about a tenth of a second on a slow (1.6 Mbit/s) mobile link. On the corpus's
    # large photos the cap of eight widths decides, not the step (their eight are 25 to
    # 105 KB apart); smaller or smoother pictures get fewer, as few as three.
    width_step_bytes: int = _setting(
        "PICSET_WIDTH_STEP_BYTES",
        20_000,
        int,
        "Bytes between neighbouring widths of the fallback format (JPEG, or PNG with "
        "transparency) when `PICSET_WIDTHS` is empty.",
    )
    formats: tuple[str, ...] = _setting(
        "PICSET_FORMATS",
        ("avif", "webp", "jpeg"),
        _strs,
        "Output formats; `jpeg` is the fallback (PNG when the image has transparency).",
    )
    # Encoder defaults come from the measured bytes-versus-time table in
    # docs/encoder-settings.md. AVIF speed 8: speed 7 costs 2.1x the CPU for ~6% fewer
    # bytes, speed 9 saves two thirds of the CPU but costs ~10% more bytes on the format
    # most browsers are sent. WebP method 2: method 4 costs 2.3x the CPU for ~8% fewer
    # bytes at the same PSNR, on the fallback only a few browsers still receive.
    avif_quality: int = _setting("PICSET_AVIF_QUALITY", 50, int, "AVIF quality, 0-100.")
    avif_speed: int = _setting(
        "PICSET_AVIF_SPEED", 8, int, "AVIF encoder speed, 0 (slowest) - 10 (fastest)."
    )
    webp_quality: int = _setting("PICSET_WEBP_QUALITY", 75, int, "WebP quality, 0-100.")
    webp_method: int = _setting(
        "PICSET_WEBP_METHOD", 2, int, "WebP effort, 0 (fastest) - 6 (smallest)."
    )
    jpeg_quality: int = _setting("PICSET_JPEG_QUALITY", 80, int, "JPEG quality, 0-95.")
    quality: str = _setting(
        "PICSET_QUALITY",
        "auto",
        str,
        "`auto`: each variant's quality is searched so it scores PICSET_QUALITY_TARGET on "
        "SSIMULACRA2; `fixed`: the three qualities above.",
    )
    quality_target: float = _setting(
        "PICSET_QUALITY_TARGET",
        70.0,
        float,
        "SSIMULACRA2 score every variant 480 px or wider reaches in `auto` (70 is high, "
        "90 visually lossless).",
    )
    quality_budget_seconds: float = _setting(
        "PICSET_QUALITY_BUDGET_SECONDS",
        30.0,
        float,
        "Time the `auto` search may take per image; after it, the fixed qualities are used "
        "and the manifest says so.",
    )
    max_upload_bytes: int = _setting(
        "PICSET_MAX_UPLOAD_BYTES",
        40 * MIB,
        int,
        "Largest original accepted, in bytes (ticket policy and re-checked on resize).",
    )
    max_pixels: int = _setting(
        "PICSET_MAX_PIXELS",
        100_000_000,
        int,
        "Largest width x height x frames decoded; bigger files fail as `too_many_pixels`.",
    )
    max_frames: int = _setting(
        "PICSET_MAX_FRAMES",
        200,
        int,
        "Most animation frames kept; longer animations keep their first frame.",
    )
    ticket_expiry_seconds: int = _setting(
        "PICSET_TICKET_EXPIRY_SECONDS", 300, int, "Lifetime of an upload ticket."
    )
    allowed_origins: tuple[str, ...] = _setting(
        "PICSET_ALLOWED_ORIGINS",
        ("*",),
        _strs,
        "Origins allowed to upload into the bucket (CORS), comma separated.",
    )
    user_pool_id: str | None = _setting(
        "PICSET_USER_POOL_ID",
        None,
        _optional,
        "Cognito user pool whose access tokens may upload and change images; empty means "
        "nobody can sign in (every protected route answers 401).",
    )
    user_pool_client_id: str | None = _setting(
        "PICSET_USER_POOL_CLIENT_ID",
        None,
        _optional,
        "The pool's app client: `POST /api/session` signs in through it, and only its "
        "access tokens are accepted.",
    )
    accounts_endpoint_url: str | None = _setting(
        "PICSET_ACCOUNTS_ENDPOINT_URL",
        None,
        _optional,
        "Endpoint of an emulator for who people are and what they own (Cognito and "
        "DynamoDB), and for EventBridge, when it is not `PICSET_ENDPOINT_URL`: LocalStack's "
        "free edition has no Cognito, so `--localstack` runs moto's server beside it for "
        "all three; empty means `PICSET_ENDPOINT_URL`.",
    )
    trigger: str = _setting(
        "PICSET_TRIGGER",
        "s3",
        str,
        "How uploads reach the resize function: `s3` (direct event) or `sqs` (queued).",
    )
    queue_name: str = _setting(
        "PICSET_QUEUE_NAME", "picset-uploads", str, "Queue of upload events for `sqs`."
    )
    failure_queue_name: str = _setting(
        "PICSET_FAILURE_QUEUE_NAME",
        "picset-uploads-failed",
        str,
        "Queue of upload events whose every delivery was stopped (the upload queue's "
        "dead-letter queue, or the direct trigger's failure destination); its consumer "
        "records them `failed` with code `timeout`.",
    )
    processing_timeout_seconds: int = _setting(
        "PICSET_PROCESSING_TIMEOUT_SECONDS",
        240,
        int,
        "Longest an upload may stay `processing`: after it, with no manifest, the status "
        "API answers `failed` with code `timeout`. It covers every delivery of the resize "
        'function (see "No image stays processing forever").',
    )
    # 7 days: long enough to read a failure in the logs or the failure queue, fix its cause
    # (a cap, a decoder) and reprocess the original; short enough that files nobody can
    # use (not images, bombs, damaged uploads) do not pile up at up to the upload cap each.
    failed_original_days: int = _setting(
        "PICSET_FAILED_ORIGINAL_DAYS",
        7,
        int,
        "Days after its upload that the bucket's lifecycle rule deletes the original of a "
        "failed image (tagged `picset-status=failed`); its manifest stays, so the page "
        "still says why. Set on the bucket by `dev.cli create-bucket` and the local "
        "bootstrap; the prod template's `FailedOriginalDays` parameter (see "
        "docs/lifecycle.md).",
    )
    table_name: str = _setting(
        "PICSET_TABLE_NAME",
        "picset-images",
        str,
        "DynamoDB table of image records (who owns which image) and daily quota counters.",
    )
    # Quotas bound what one account can cost in a day. 200 uploads: a long day of
    # shooting (a wedding, a trip) from a phone, and at ~5 CPU-seconds at 2 GB each at
    # most ~2,000 GB-s of resize per person per day. 2 GiB: 200 typical 10 MB photos, or
    # 51 files at the largest upload allowed; it also caps the originals one person can
    # add to the bucket each day.
    quota_uploads_per_day: int = _setting(
        "PICSET_QUOTA_UPLOADS_PER_DAY",
        200,
        int,
        "Upload tickets one person may take per UTC day (a long day of shooting from a "
        "phone; it bounds the resize cost one account can cause). Over it: 429.",
    )
    quota_bytes_per_day: int = _setting(
        "PICSET_QUOTA_BYTES_PER_DAY",
        2 * 1024 * MIB,
        int,
        "Bytes of originals one person may declare per UTC day (200 typical 10 MB "
        "photos, 51 at the largest upload size; at least `PICSET_MAX_UPLOAD_BYTES`). "
        "Over it: 429.",
    )
    log_json: bool = _setting(
        "PICSET_LOG_JSON", True, _bool, "Log one JSON line per processed image."
    )
    event_bus: str = _setting(
        "PICSET_EVENT_BUS",
        "default",
        str,
        "EventBridge bus (name or ARN) that gets an `Image Ready` or `Image Failed` event "
        "each time a resize run puts a manifest in place (see docs/events.md); set it "
        "empty to publish none.",
        empty="",
    )

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> Settings:
        """Build settings from `environ`; unset or empty variables keep their default."""
        values: dict[str, Any] = {}
        for spec in dataclasses.fields(cls):
            env = spec.metadata["env"]
            raw = environ.get(env)
            if raw is None:
                continue
            if raw.strip() == "":
                if spec.metadata["empty"] is not _DEFAULT:
                    values[spec.name] = spec.metadata["empty"]
                continue
            try:
                values[spec.name] = spec.metadata["parse"](raw)
            except ValueError as exc:
                raise SettingsError(f"{env}={raw!r} is not valid: {exc}") from exc
        return cls(**values).validate()

    def validate(self) -> Settings:
        """Return self, or raise `SettingsError` naming what to fix."""
        problems: list[str] = []
        if not self.bucket:
            problems.append("PICSET_BUCKET must name a bucket")
        if any(w < 16 or w > 8192 for w in self.widths):
            problems.append("PICSET_WIDTHS must list widths between 16 and 8192, or be empty")
        if not 1_000 <= self.width_step_bytes <= 10_000_000:
            problems.append("PICSET_WIDTH_STEP_BYTES must be between 1000 and 10000000")
        known = [fmt.name for fmt in formats.CONFIGURABLE]
        required = [fmt.name for fmt in formats.CONFIGURABLE if fmt.role == formats.FALLBACK]
        if set(self.formats) - set(known) or set(required) - set(self.formats):
            problems.append(
                f"PICSET_FORMATS takes {formats.join_words(known, 'and')}, "
                f"and must include {formats.join_words(required)} "
                "(the fallback every browser can show)"
            )
        for name in ("avif_quality", "webp_quality", "jpeg_quality"):
            if not 1 <= getattr(self, name) <= 100:
                problems.append(f"{_env_of(name)} must be between 1 and 100")
        if self.quality not in {"auto", "fixed"}:
            problems.append("PICSET_QUALITY must be `auto` or `fixed`")
        if not 30 <= self.quality_target <= 95:
            problems.append("PICSET_QUALITY_TARGET must be between 30 and 95")
        if self.quality_budget_seconds <= 0:
            problems.append("PICSET_QUALITY_BUDGET_SECONDS must be positive")
        if not 0 <= self.avif_speed <= 10:
            problems.append("PICSET_AVIF_SPEED must be between 0 and 10")
        if not 0 <= self.webp_method <= 6:
            problems.append("PICSET_WEBP_METHOD must be between 0 and 6")
        if self.max_upload_bytes < 1024:
            problems.append("PICSET_MAX_UPLOAD_BYTES must be at least 1024")
        if self.max_pixels < 1:
            problems.append("PICSET_MAX_PIXELS must be positive")
        if self.max_frames < 1:
            problems.append("PICSET_MAX_FRAMES must be positive")
        if not 10 <= self.ticket_expiry_seconds <= 3600:
            problems.append("PICSET_TICKET_EXPIRY_SECONDS must be between 10 and 3600")
        if self.processing_timeout_seconds < 10:
            problems.append("PICSET_PROCESSING_TIMEOUT_SECONDS must be at least 10")
        if self.failed_original_days < 1:
            problems.append("PICSET_FAILED_ORIGINAL_DAYS must be at least 1 (S3 counts whole days)")
        if not self.table_name:
            problems.append("PICSET_TABLE_NAME must name a DynamoDB table")
        if self.quota_uploads_per_day < 1:
            problems.append("PICSET_QUOTA_UPLOADS_PER_DAY must be at least 1")
        if self.quota_bytes_per_day < self.max_upload_bytes:
            problems.append(
                "PICSET_QUOTA_BYTES_PER_DAY must be at least PICSET_MAX_UPLOAD_BYTES "
                "(or no file of the largest size could ever be uploaded)"
            )
        if self.site_url is not None and not _is_site_url(self.site_url):
            problems.append(
                "PICSET_SITE_URL must be an http(s) URL with a host and no user, query or "
                "fragment, e.g. https://pics.example/"
            )
        # A domain name or an ARN here would only fail at the first delete, when the
        # image is already gone from the bucket and its copies stay at the edges.
        if self.distribution_id is not None and not DISTRIBUTION_ID.fullmatch(self.distribution_id):
            problems.append(
                "PICSET_DISTRIBUTION_ID must be a CloudFront distribution id (capital letters "
                "and digits, e.g. E2QWRUHAPOMQZL), not its domain name or ARN"
            )
        if self.trigger not in {"s3", "sqs"}:
            problems.append("PICSET_TRIGGER must be `s3` or `sqs`")
        if problems:
            raise SettingsError("; ".join(problems))
        return self

    @property
    def variant_base_url(self) -> str:
        """Where the browser fetches `images/...` keys from, without a trailing slash."""
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        if self.endpoint_url:
            return f"{self.endpoint_url.rstrip('/')}/{self.bucket}"
        return f"https://{self.bucket}.s3.{self.region}.amazonaws.com"

    def endpoint_for(self, service: str) -> str | None:
        """The emulator endpoint for one AWS service (None: AWS itself)."""
        if service in ACCOUNTS_SERVICES and self.accounts_endpoint_url:
            return self.accounts_endpoint_url
        return self.endpoint_url

    @property
    def sorted_widths(self) -> tuple[int, ...]:
        return tuple(sorted(set(self.widths)))


def _is_site_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises for a port that is not a number in range
    except ValueError:
        return False
    return (
        parts.scheme in ("http", "https")
        and bool(parts.hostname)
        and "@" not in parts.netloc
        and not parts.query
        and not parts.fragment
        and "?" not in url
        and "#" not in url
    )


def _env_of(name: str) -> str:
    for spec in dataclasses.fields(Settings):
        if spec.name == name:
            return str(spec.metadata["env"])
    raise KeyError(name)


def describe() -> list[tuple[str, str, str]]:
    """(variable, default, description) for every setting, for docs and the README test."""
    rows = []
    for spec in dataclasses.fields(Settings):
        default = spec.default
        if isinstance(default, tuple):
            shown = ",".join(str(v) for v in default)
        elif default is None:
            shown = ""
        elif isinstance(default, bool):
            shown = str(default).lower()
        else:
            shown = str(default)
        rows.append((str(spec.metadata["env"]), shown, str(spec.metadata["doc"])))
    return rows


def config_table() -> str:
    """The README's configuration table, generated from `describe()` (a test keeps the
    README in step: paste this function's output there after adding a setting)."""
    lines = ["| variable | default | what it does |", "|---|---|---|"]
    for env, default, doc in describe():
        shown = f"`{default}`" if default else "(empty)"
        lines.append(f"| `{env}` | {shown} | {doc} |")
    return "\n".join(lines)
