"""picset's command-line tool for operating a deployment: the local emulator, LocalStack
or AWS, chosen by endpoint URL and profile.

    python -m dev.cli upload FILE... (--alt TEXT | --decorative)
                                                    ticket, direct POST with progress,
                                                    wait until ready, print each page URL
    python -m dev.cli status ID                     ready / failed / processing, from S3
    python -m dev.cli reprocess ID | --all          re-run the pipeline on stored originals
    python -m dev.cli delete ID                     original, variants and manifest (and
                                                    the CDN's copies: PICSET_DISTRIBUTION_ID)
    python -m dev.cli unprocessed [--json]          originals that never got a manifest,
                                                    with age and size, and the total
    python -m dev.cli create-bucket [--origin URL]  the bucket, CORS, public read on images/,
                                                    lifecycle rules and the failure queue
                                                    (before `chalice deploy` of a direct
                                                    stage)
    python -m dev.cli create-accounts [--name N]    before `chalice deploy`: user pool, app
                                                    client and records table; prints the ids
    python -m dev.cli add-user NAME PASSWORD        let a person sign in (PICSET_USER_POOL_ID)
    python -m dev.cli connect-failures FUNCTION     after `chalice deploy`: retries, maximum
                                                    event age and the failure destination

`upload` goes through the API, exactly as the browser does (so it needs `--api`); the other
commands talk to the bucket with the caller's own credentials, using the same settings
(`PICSET_*` variables, e.g. `PICSET_WIDTHS` for a reprocess) and the same processor as the
resize function. Exit status: 0 when everything asked for succeeded, 1 otherwise.
"""

from __future__ import annotations

import argparse
import dataclasses
import io
import json
import mimetypes
import os
import sys
import time
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import boto3
import requests
from botocore.exceptions import BotoCoreError, ClientError
from urllib3 import encode_multipart_formdata

from chalicelib import aws, cdn, events, formats, images, keys, removal
from chalicelib.errors import NotFound
from chalicelib.manifest import Manifest
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage
from dev import unprocessed
from dev.bootstrap import (
    create_table,
    ensure_user,
    failure_destination,
    failure_queue,
    identity,
    prepare_bucket,
)
from dev.progress import ProgressBar

DEFAULT_API = "http://127.0.0.1:8000/"
#: The file-name endings the API takes (the format registry's), so a type `mimetypes`
#: does not know on this system (HEIC, AVIF) is still sent right.
UPLOAD_TYPES = formats.upload_endings()
NEEDS_ALT = (
    "upload needs alt text: give --alt TEXT saying what the image shows, for people who "
    'cannot see it, or --decorative if it only decorates a page (stored as alt="")'
)


class CliError(Exception):
    """Something the person can fix; printed without a traceback."""


@dataclass
class Target:
    """Where the commands act: the API for uploads, the bucket for everything else."""

    settings: Settings
    api: str
    user: str | None
    password: str | None
    session: Any
    out: TextIO
    err: TextIO

    def storage(self) -> S3Storage:
        return S3Storage(aws.client("s3", self.settings, self.session), self.settings.bucket)

    def page_url(self, image_id: str) -> str:
        return f"{self.api}images/{image_id}"

    def sign_in(self) -> dict[str, str]:
        """Sign in through the API, as a person does; the `Authorization` header."""
        if not self.user or not self.password:
            raise CliError(
                "upload needs a picset user: --user NAME and --password SECRET "
                "(or PICSET_USER and PICSET_PASSWORD)"
            )
        try:
            response = requests.post(
                f"{self.api}api/session",
                json={"username": self.user, "password": self.password},
                timeout=30,
            )
        except requests.ConnectionError as exc:
            raise CliError(
                f"cannot reach the API at {self.api} ({exc.__class__.__name__})"
            ) from exc
        if response.status_code != 200:
            raise CliError(f"signing in as {self.user} failed: {_api_message(response)}")
        return {"Authorization": f"Bearer {response.json()['token']}"}


# --- upload -----------------------------------------------------------------------------


class _ProgressBody:
    """A request body that advances a progress bar as the HTTP client reads it."""

    def __init__(self, body: bytes, bar: ProgressBar) -> None:
        self._buffer = io.BytesIO(body)
        self._length = len(body)
        self._bar = bar

    def __len__(self) -> int:
        return self._length

    def read(self, size: int = -1) -> bytes:
        chunk = self._buffer.read(size if size and size > 0 else 64 * 1024)
        self._bar.update(len(chunk))
        return chunk


def content_type_of(path: Path) -> str:
    ending = path.suffix.lower().lstrip(".")
    guessed = UPLOAD_TYPES.get(ending) or mimetypes.guess_type(path.name)[0]
    return guessed or "application/octet-stream"


def _api_message(response: requests.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return response.text[:200]


def request_ticket(
    target: Target, path: Path, size: int, alt: str, headers: dict[str, str]
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "filename": path.name,
        "content_type": content_type_of(path),
        "size": size,
        "alt": alt,
    }
    try:
        response = requests.post(f"{target.api}api/uploads", json=body, headers=headers, timeout=30)
    except requests.ConnectionError as exc:
        raise CliError(f"cannot reach the API at {target.api} ({exc.__class__.__name__})") from exc
    if response.status_code != 201:
        message = _api_message(response)
        raise CliError(
            f"{path.name}: the API refused the upload ({response.status_code}): {message}"
        )
    ticket: dict[str, Any] = response.json()
    return ticket


def post_file(target: Target, ticket: dict[str, Any], path: Path, data: bytes) -> None:
    """The browser's direct POST: the ticket's fields, then the file, last."""
    fields: list[tuple[str, Any]] = list(ticket["fields"].items())
    fields.append(("file", (path.name, data, ticket["fields"]["Content-Type"])))
    body, content_type = encode_multipart_formdata(fields)
    with ProgressBar(len(body), f"{path.name[:24]:24}", stream=target.err) as bar:
        response = requests.post(
            ticket["url"],
            data=_ProgressBody(body, bar),
            headers={"Content-Type": content_type},
            timeout=300,
        )
    if response.status_code not in (200, 201, 204):
        raise CliError(f"{path.name}: the bucket refused the file ({response.status_code})")


def wait_until_done(ticket: dict[str, Any], timeout: float) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    delay = 0.2
    while time.monotonic() < deadline:
        response = requests.get(ticket["status_url"], timeout=30)
        if response.status_code == 200:
            manifest: dict[str, Any] = response.json()
            return manifest
        if response.status_code != 202:
            raise CliError(f"status of {ticket['id']}: unexpected {response.status_code}")
        time.sleep(delay)
        delay = min(delay * 1.5, 2.0)
    raise CliError(f"{ticket['id']} was not processed within {timeout:.0f}s")


def alt_of(args: argparse.Namespace) -> str:
    """The alt text to send: `--alt TEXT`, or "" for `--decorative`. An empty `--alt`
    is refused too: it is more often an unset variable than a decorative image."""
    if args.decorative:
        return ""
    if args.alt is None or not args.alt.strip():
        raise CliError(NEEDS_ALT)
    return str(args.alt)


def cmd_upload(target: Target, args: argparse.Namespace) -> int:
    alt = alt_of(args)
    headers = target.sign_in()
    failures = 0
    for name in args.files:
        path = Path(name)
        if not path.is_file():
            target.err.write(f"picset: {name}: no such file\n")
            failures += 1
            continue
        data = path.read_bytes()
        ticket = request_ticket(target, path, len(data), alt, headers)
        post_file(target, ticket, path, data)
        manifest = wait_until_done(ticket, args.timeout)
        if manifest["status"] == "ready":
            target.out.write(f"{path.name}\tready\t{ticket['page_url']}\n")
        else:
            failures += 1
            error = manifest.get("error") or {}
            target.out.write(
                f"{path.name}\tfailed\t{ticket['page_url']}\t"
                f"{error.get('code', '?')}: {error.get('message', '')}\n"
            )
    return 1 if failures else 0


# --- status -----------------------------------------------------------------------------


def describe(manifest: Manifest) -> str:
    if manifest.error is not None:
        return f"{manifest.error.code}: {manifest.error.message}"
    formats = sorted({v.format for v in manifest.variants})
    widths = sorted({v.width for v in manifest.variants})
    return (
        f"{manifest.width}x{manifest.height} {manifest.source.format}, "
        f"{len(manifest.variants)} variants ({', '.join(formats)} at "
        f"{', '.join(str(w) for w in widths)} px)"
    )


def cmd_status(target: Target, args: argparse.Namespace) -> int:
    try:
        state = images.lookup(
            target.storage(), args.id, datetime.now(UTC), target.settings.processing_timeout_seconds
        )
    except NotFound:
        raise CliError(f"no image with id {args.id!r} in {target.settings.bucket}") from None
    if args.json:
        body = (
            state.manifest.to_dict() if state.manifest else {"id": args.id, "status": state.status}
        )
        target.out.write(json.dumps(body, indent=2) + "\n")
    else:
        detail = describe(state.manifest) if state.manifest else "waiting for the resize function"
        target.out.write(f"{args.id}\t{state.status}\t{detail}\t{target.page_url(args.id)}\n")
    return 1 if state.status == "failed" else 0


# --- reprocess --------------------------------------------------------------------------


def cmd_reprocess(target: Target, args: argparse.Namespace) -> int:
    storage = target.storage()
    if args.all:
        upload_keys = storage.list_keys(keys.UPLOAD_PREFIX)
    else:
        if not keys.is_valid_id(args.id) or storage.head(keys.upload_key(args.id)) is None:
            raise CliError(f"no original for id {args.id!r} in {target.settings.bucket}")
        upload_keys = [keys.upload_key(args.id)]
    # A reprocess puts new manifests in place, so sites hear of them as of any upload.
    announce = events.announcer(
        lambda: aws.client("events", target.settings, target.session), target.settings
    )
    processor = Processor(storage, target.settings, force=True, announce=announce)
    counts: Counter[str] = Counter()
    failed: list[str] = []
    started = time.monotonic()
    with ProgressBar(len(upload_keys), "reprocess", unit="images", stream=target.err) as bar:
        for key in upload_keys:
            outcome = processor.process(UploadRecord(key))
            counts[outcome.status] += 1
            if outcome.status == "failed" and outcome.manifest and outcome.manifest.error:
                failed.append(f"{outcome.image_id}\t{outcome.manifest.error.code}")
            bar.update(1)
    summary = ", ".join(f"{status} {count}" for status, count in sorted(counts.items()))
    seconds = time.monotonic() - started
    target.out.write(
        f"reprocessed {len(upload_keys)} image(s) in {seconds:.1f}s: {summary or 'nothing to do'}\n"
    )
    for line in failed:
        target.out.write(f"failed\t{line}\n")
    return 1 if counts["failed"] or counts["missing"] else 0


# --- delete -----------------------------------------------------------------------------


def cmd_delete(target: Target, args: argparse.Namespace) -> int:
    if not keys.is_valid_id(args.id):
        raise CliError(f"{args.id!r} is not a picset image id")
    # The one deletion order (original, manifest, variants, private state) lives in
    # `chalicelib.removal`, shared with the API's DELETE.
    removed = removal.delete_image(target.storage(), args.id)
    if not removed.found:
        raise CliError(f"no image with id {args.id!r} in {target.settings.bucket}")
    target.out.write(
        f"deleted {args.id}: original {'yes' if removed.original else 'absent'}, "
        f"{removed.variants} variant(s), manifest {'yes' if removed.manifest else 'absent'}\n"
    )
    # As the API's DELETE does: a CDN in front would otherwise serve it for a year.
    settings = target.settings
    invalidate = cdn.invalidator(
        lambda: aws.client("cloudfront", settings, target.session), settings
    )
    if invalidate is None:
        return 0
    invalidation = invalidate(args.id)
    if invalidation is None:
        target.err.write(
            f"the CDN was not told: invalidate {' '.join(cdn.paths(args.id))} on "
            f"distribution {settings.distribution_id} by hand\n"
        )
        return 1
    target.out.write(
        f"invalidated {' '.join(cdn.paths(args.id))} on distribution "
        f"{settings.distribution_id} ({invalidation})\n"
    )
    return 0


# --- unprocessed ------------------------------------------------------------------------


def cmd_unprocessed(target: Target, args: argparse.Namespace) -> int:
    """Exit status 1 when an original waited past the bound with no manifest, so a
    scheduled run can alert on it."""
    settings = target.settings
    report = unprocessed.find(
        aws.client("s3", settings, target.session),
        settings.bucket,
        datetime.now(UTC),
        settings.processing_timeout_seconds,
        page_size=args.page_size,
    )
    if args.json:
        target.out.write(json.dumps(report.to_dict(), indent=2) + "\n")
    else:
        target.out.write(unprocessed.text(report))
    return 1 if report.unprocessed else 0


def page_size_arg(raw: str) -> int:
    size = int(raw)
    if not 1 <= size <= unprocessed.MAX_PAGE_SIZE:
        raise argparse.ArgumentTypeError(f"between 1 and {unprocessed.MAX_PAGE_SIZE}")
    return size


# --- create-bucket ----------------------------------------------------------------------


def cmd_create_bucket(target: Target, args: argparse.Namespace) -> int:
    settings = target.settings
    if args.origin:
        settings = dataclasses.replace(settings, allowed_origins=tuple(args.origin))
    prepare_bucket(aws.client("s3", settings, target.session), settings)
    failure_queue(aws.client("sqs", settings, target.session), settings.failure_queue_name)
    target.out.write(
        f"bucket {settings.bucket} ready: uploads allowed from "
        f"{', '.join(settings.allowed_origins)}; public read on {keys.IMAGES_PREFIX} only; "
        f"failed originals expire after {settings.failed_original_days} day(s); "
        f"failure queue {settings.failure_queue_name}\n"
    )
    return 0


# --- connect-failures -------------------------------------------------------------------


def cmd_connect_failures(target: Target, args: argparse.Namespace) -> int:
    """What the Terraform add-on declares, for a stage deployed with `chalice deploy`."""
    settings = target.settings
    sqs = aws.client("sqs", settings, target.session)
    arn = failure_queue(sqs, settings.failure_queue_name)
    aws.client("lambda", settings, target.session).put_function_event_invoke_config(
        FunctionName=args.function, **failure_destination(arn)
    )
    target.out.write(f"{args.function}: failed events go to {arn}\n")
    return 0


# --- accounts (`chalice deploy` stages) ----------------------------------------------------


def cmd_create_accounts(target: Target, args: argparse.Namespace) -> int:
    """What the SAM and Terraform stages declare, for a stage deployed with `chalice
    deploy`: the user pool (people are added by an administrator), its app client and the
    records table; prints the ids the stage's configuration needs."""
    settings = target.settings
    found = identity(aws.client("cognito-idp", settings, target.session), args.name)
    create_table(aws.client("dynamodb", settings, target.session), settings.table_name)
    target.out.write(
        f"pool {args.name} and table {settings.table_name} ready; in .chalice/config.json set\n"
        f'  "PICSET_USER_POOL_ID": "{found.pool_id}",\n'
        f'  "PICSET_USER_POOL_CLIENT_ID": "{found.client_id}"\n'
    )
    return 0


def cmd_add_user(target: Target, args: argparse.Namespace) -> int:
    """A person who may sign in: created confirmed, with the password given."""
    if not target.settings.user_pool_id:
        raise CliError("add-user needs the pool: PICSET_USER_POOL_ID")
    cognito = aws.client("cognito-idp", target.settings, target.session)
    try:
        ensure_user(cognito, target.settings.user_pool_id, args.username, args.password)
    except cognito.exceptions.InvalidPasswordException as exc:
        raise CliError(f"the pool refused that password: {exc}") from exc
    target.out.write(f"{args.username} may sign in\n")
    return 0


# --- entry point ------------------------------------------------------------------------


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m dev.cli",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    root.add_argument("--endpoint-url", help="S3 endpoint (emulator); default PICSET_ENDPOINT_URL")
    root.add_argument("--profile", help="AWS profile for the bucket commands")
    root.add_argument("--region", help="default PICSET_REGION")
    root.add_argument("--bucket", help="default PICSET_BUCKET")
    root.add_argument("--api", help=f"API base URL; default PICSET_API_URL or {DEFAULT_API}")
    root.add_argument("--user", help="picset user for uploads; default PICSET_USER")
    root.add_argument("--password", help="that user's password; default PICSET_PASSWORD")
    commands = root.add_subparsers(dest="command", required=True)

    upload = commands.add_parser("upload", help="upload files and wait until they are ready")
    upload.add_argument("files", nargs="+", metavar="FILE")
    described = upload.add_mutually_exclusive_group()
    described.add_argument("--alt", help="alt text for the image(s): what they show")
    described.add_argument(
        "--decorative", action="store_true", help='the image(s) only decorate: alt=""'
    )
    upload.add_argument("--timeout", type=float, default=120, help="seconds to wait per file")
    upload.set_defaults(run=cmd_upload)

    status = commands.add_parser("status", help="where an image stands")
    status.add_argument("id", type=image_id_arg)
    status.add_argument("--json", action="store_true", help="print the manifest")
    status.set_defaults(run=cmd_status)

    reprocess = commands.add_parser("reprocess", help="run the pipeline again on originals")
    which = reprocess.add_mutually_exclusive_group(required=True)
    which.add_argument("id", nargs="?", type=image_id_arg)
    which.add_argument("--all", action="store_true", help="every original in the bucket")
    reprocess.set_defaults(run=cmd_reprocess)

    delete = commands.add_parser("delete", help="delete an original, its variants, manifest")
    delete.add_argument("id", type=image_id_arg)
    delete.set_defaults(run=cmd_delete)

    report = commands.add_parser(
        "unprocessed",
        help="originals with no manifest: never processed, or still within the bound",
    )
    report.add_argument("--json", action="store_true", help="print the report as JSON")
    report.add_argument(
        "--page-size",
        type=page_size_arg,
        default=unprocessed.MAX_PAGE_SIZE,
        help=f"keys per listing request, 1-{unprocessed.MAX_PAGE_SIZE} (default the most)",
    )
    report.set_defaults(run=cmd_unprocessed)

    bucket = commands.add_parser(
        "create-bucket",
        help="create or update the bucket (CORS, public read on images/, lifecycle rules)",
    )
    bucket.add_argument(
        "--origin",
        action="append",
        help="origin allowed to upload (repeatable); default PICSET_ALLOWED_ORIGINS",
    )
    bucket.set_defaults(run=cmd_create_bucket)

    connect = commands.add_parser(
        "connect-failures",
        help="send a direct-trigger function's failed events to the failure queue",
    )
    connect.add_argument("function", help="the resize function, e.g. picset-dev-resize_upload")
    connect.set_defaults(run=cmd_connect_failures)

    accounts = commands.add_parser(
        "create-accounts", help="the user pool, its app client and the records table"
    )
    accounts.add_argument("--name", default="picset-dev-users", help="the pool's name")
    accounts.set_defaults(run=cmd_create_accounts)

    user = commands.add_parser("add-user", help="let a person sign in")
    user.add_argument("username")
    user.add_argument("password")
    user.set_defaults(run=cmd_add_user)
    return root


def build_target(
    args: argparse.Namespace, environ: Mapping[str, str], out: TextIO, err: TextIO
) -> Target:
    env = dict(environ)
    overrides = {
        "PICSET_ENDPOINT_URL": args.endpoint_url,
        "PICSET_REGION": args.region,
        "PICSET_BUCKET": args.bucket,
    }
    env.update({name: value for name, value in overrides.items() if value is not None})
    settings = Settings.from_env(env)
    api = args.api or env.get("PICSET_API_URL") or DEFAULT_API
    session = boto3.Session(profile_name=args.profile) if args.profile else None
    return Target(
        settings=settings,
        api=api.rstrip("/") + "/",
        user=args.user or env.get("PICSET_USER") or None,
        password=args.password or env.get("PICSET_PASSWORD") or None,
        session=session,
        out=out,
        err=err,
    )


#: Image ids are URL-safe base64, so one in 64 begins with "-", which argparse would read
#: as an option; such an argument is carried past argparse behind this prefix.
ID_SHIELD = "id:"
ID_COMMANDS = {"status", "reprocess", "delete"}


def shield_ids(argv: Sequence[str]) -> list[str]:
    """`argv` with every image id that starts with "-", after an id-taking command,
    shielded from being read as an option."""
    shielded, seen_command = [], False
    for arg in argv:
        if seen_command and arg.startswith("-") and keys.is_valid_id(arg):
            arg = ID_SHIELD + arg
        seen_command = seen_command or arg in ID_COMMANDS
        shielded.append(arg)
    return shielded


def image_id_arg(raw: str) -> str:
    return raw.removeprefix(ID_SHIELD)


def main(
    argv: Sequence[str] | None = None,
    environ: Mapping[str, str] | None = None,
    out: TextIO | None = None,
    err: TextIO | None = None,
) -> int:
    args = parser().parse_args(shield_ids(sys.argv[1:] if argv is None else argv))
    out = out or sys.stdout
    err = err or sys.stderr
    try:
        target = build_target(args, os.environ if environ is None else environ, out, err)
        code: int = args.run(target, args)
    except CliError as exc:
        err.write(f"picset: {exc}\n")
        return 1
    except (BotoCoreError, ClientError) as exc:
        # Credentials, endpoint or permissions: say which, without a traceback.
        err.write(f"picset: the bucket could not be reached: {exc}\n")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
