"""The command-line tool against the emulator: `python -m dev.cli` as a person runs it,
talking to the API (`chalice local`) and moto's S3 over HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from chalicelib import aws, keys
from chalicelib.settings import Settings
from dev.bootstrap import lifecycle_rules
from dev.progress import ProgressBar, human_bytes
from dev.stack import ROOT, Stack, free_port
from tests.conftest import HTTP_TIMEOUT, make_image
from tests.test_cdn import create_distribution, invalidated_paths

pytestmark = pytest.mark.integration

PAGE_URL = re.compile(r"http://\S+/images/([A-Za-z0-9_-]{22})")
#: Seconds one run of the tool may take. It only bounds a hang: `upload` waits up to its
#: own `--timeout` (120 s) per file, and its message is the one to see when that runs out.
CLI_TIMEOUT = 600


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    # `status` prints the widths, so the widths are named (not spaced by bytes).
    env = {"PICSET_WIDTHS": "320,640,960,1280,1920,2560"}
    with Stack(app_port=free_port(), s3_port=free_port(), quiet=True, extra_env=env) as running:
        yield running


def cli(stack: Stack, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {
        **stack.env,
        "PICSET_API_URL": stack.url,
        "PICSET_USER": stack.user,
        "PICSET_PASSWORD": stack.password,
        **env,
    }
    done = subprocess.run(
        [sys.executable, "-m", "dev.cli", *args],
        cwd=ROOT,
        env=environ,
        capture_output=True,
        timeout=CLI_TIMEOUT,
    )
    # Decoded by hand: text mode would turn the progress bar's `\r` into newlines.
    return subprocess.CompletedProcess(
        done.args, done.returncode, done.stdout.decode(), done.stderr.decode()
    )


def api_image(stack: Stack, image_id: str) -> requests.Response:
    return requests.get(f"{stack.url}api/images/{image_id}", timeout=HTTP_TIMEOUT)


def s3_keys(stack: Stack, prefix: str) -> list[str]:
    settings = Settings.from_env(stack.env)
    listing = aws.client("s3", settings).list_objects_v2(Bucket=stack.bucket, Prefix=prefix)
    return [item["Key"] for item in listing.get("Contents", [])]


def upload(stack: Stack, tmp_path: Path, *names: str, alt: str | None = None) -> list[str]:
    paths = []
    for name in names:
        path = tmp_path / name
        path.write_bytes(make_image(900, 600))
        paths.append(str(path))
    done = cli(stack, "upload", *paths, *(["--alt", alt] if alt is not None else ["--decorative"]))
    assert done.returncode == 0, done.stdout + done.stderr
    return PAGE_URL.findall(done.stdout)


def test_upload_prints_each_page_url_once_ready(stack, tmp_path):
    first, second = tmp_path / "first photo.jpg", tmp_path / "second.png"
    first.write_bytes(make_image(1000, 700))
    second.write_bytes(make_image(500, 400, "PNG"))
    done = cli(stack, "upload", str(first), str(second), "--alt", "Two test cards")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["first photo.jpg", "ready"],
        ["second.png", "ready"],
    ]
    # a progress bar per file, each line's last frame at 100%
    finals = [line.rsplit("\r", 1)[-1] for line in done.stderr.split("\n") if line.strip()]
    assert [final.split()[0] for final in finals] == ["first", "second.png"]
    assert all(" 100% " in final for final in finals)
    for line in lines:
        page_url = line.split("\t")[2]
        page = requests.get(page_url, timeout=HTTP_TIMEOUT)
        assert page.status_code == 200
        assert "<picture" in page.text
        image_id = PAGE_URL.search(page_url).group(1)  # type: ignore[union-attr]
        manifest = api_image(stack, image_id).json()
        assert manifest["alt"] == "Two test cards"


def test_upload_of_a_non_image_reports_the_failure(stack, tmp_path):
    fake = tmp_path / "notes.jpg"
    fake.write_text("this is not a photo")
    done = cli(stack, "upload", str(fake), "--decorative")
    assert done.returncode == 1
    name, status, _, reason = done.stdout.strip().split("\t")
    assert (name, status) == ("notes.jpg", "failed")
    assert reason.startswith("unsupported_format: ")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(
            ["upload", "/no/such/file.jpg", "--decorative"], "no such file", id="missing-file"
        ),
        pytest.param(["upload", "/no/such/file.jpg"], "upload needs alt text", id="no-alt"),
        pytest.param(["upload", "/no/such/file.jpg", "--alt", " "], "--decorative", id="blank-alt"),
        pytest.param(["status", "A" * 22], "no image with id", id="unknown-id"),
        pytest.param(["status", "../etc/passwd"], "no image with id", id="malformed-id"),
        pytest.param(["reprocess", "B" * 22], "no original for id", id="reprocess-unknown"),
        pytest.param(["delete", "C" * 22], "no image with id", id="delete-unknown"),
        pytest.param(["delete", "x/y"], "is not a picset image id", id="delete-malformed"),
    ],
)
def test_bad_requests_fail_with_a_clear_message(stack, args, message):
    done = cli(stack, *args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_upload_to_an_api_that_is_not_there_says_so(stack, tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_image(100, 80))
    done = cli(
        stack, "--api", f"http://127.0.0.1:{free_port()}/", "upload", str(photo), "--alt", "A"
    )
    assert done.returncode == 1
    assert "cannot reach the API" in done.stderr


def test_upload_decorative_stores_an_empty_alt(stack, tmp_path):
    (image_id,) = upload(stack, tmp_path, "pattern.jpg")
    manifest = requests.get(f"{stack.url}api/images/{image_id}", timeout=10).json()
    assert manifest["alt"] == ""


def test_upload_without_alt_asks_for_one_before_touching_the_api(stack, tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_image(100, 80))
    done = cli(stack, "--api", f"http://127.0.0.1:{free_port()}/", "upload", str(photo))
    assert done.returncode == 1
    assert "--alt TEXT" in done.stderr and "--decorative" in done.stderr
    assert "cannot reach the API" not in done.stderr


def test_status_reports_ready_with_its_variants(stack, tmp_path):
    (image_id,) = upload(stack, tmp_path, "status.jpg")
    done = cli(stack, "status", image_id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == (
        f"{image_id}\tready\t900x600 jpeg, 9 variants (avif, jpeg, webp at 320, 640, 900 px)"
        f"\t{stack.url}images/{image_id}\n"
    )
    as_json = json.loads(cli(stack, "status", image_id, "--json").stdout)
    assert as_json["id"] == image_id and as_json["status"] == "ready"


def test_status_of_an_original_without_manifest_is_processing(stack):
    image_id = keys.new_image_id()
    settings = Settings.from_env(stack.env)
    stack.stop_worker()  # nobody processes it while we look
    try:
        aws.client("s3", settings).put_object(
            Bucket=stack.bucket, Key=keys.upload_key(image_id), Body=make_image(50, 50)
        )
        done = cli(stack, "status", image_id)
    finally:
        stack.start_worker()
    assert done.returncode == 0
    assert done.stdout.split("\t")[1] == "processing"


def test_reprocess_all_applies_new_widths(stack, tmp_path):
    image_ids = upload(stack, tmp_path, "r1.jpg", "r2.jpg")
    # Earlier tests left other originals in the shared bucket, one of them not an image.
    originals = [key.removeprefix("uploads/") for key in s3_keys(stack, "uploads/")]
    failed = [
        image_id
        for image_id in originals
        if api_image(stack, image_id).json()["status"] == "failed"
    ]
    done = cli(stack, "reprocess", "--all", PICSET_WIDTHS="200,400")
    assert done.returncode == (1 if failed else 0), done.stdout + done.stderr
    counts = ", ".join(
        f"{status} {n}"
        for status, n in (("failed", len(failed)), ("ready", len(originals) - len(failed)))
        if n
    )
    assert re.match(rf"reprocessed {len(originals)} image\(s\) in [\d.]+s: {counts}\n", done.stdout)
    assert sorted(line.split("\t")[1] for line in done.stdout.splitlines()[1:]) == sorted(failed)
    assert done.stderr.rstrip("\n").endswith(f"100% {len(originals)}/{len(originals)}")
    for image_id in image_ids:
        manifest = api_image(stack, image_id).json()
        assert {v["width"] for v in manifest["variants"]} == {200, 400}
        # variants of the old widths are gone, the new ones are there
        assert sorted(k.rsplit("/", 1)[1] for k in s3_keys(stack, f"images/{image_id}/")) == [
            "200w.avif", "200w.jpg", "200w.webp", "400w.avif", "400w.jpg", "400w.webp",
            "manifest.json",
        ]  # fmt: skip


def test_reprocess_one_image(stack, tmp_path):
    (image_id,) = upload(stack, tmp_path, "one.jpg")
    done = cli(stack, "reprocess", image_id, PICSET_WIDTHS="300")
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("reprocessed 1 image(s)")
    manifest = api_image(stack, image_id).json()
    assert {v["width"] for v in manifest["variants"]} == {300}


def test_delete_removes_original_variants_and_manifest(stack, tmp_path):
    (image_id,) = upload(stack, tmp_path, "gone.jpg")
    assert s3_keys(stack, f"images/{image_id}/")
    done = cli(stack, "delete", image_id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout == f"deleted {image_id}: original yes, 9 variant(s), manifest yes\n"
    assert s3_keys(stack, keys.upload_key(image_id)) == []
    assert s3_keys(stack, f"images/{image_id}/") == []
    assert api_image(stack, image_id).status_code == 404


@pytest.mark.parametrize(
    ("count", "expected"),
    [
        pytest.param(0, "0 B", id="zero"),
        pytest.param(999, "999 B", id="bytes"),
        pytest.param(1500, "1.5 KB", id="kilobytes"),
        pytest.param(41_943_040, "41.9 MB", id="upload-cap"),
    ],
)
def test_human_bytes(count, expected):
    assert human_bytes(count) == expected


def test_progress_bar_ends_full_on_its_own_line():
    import io

    stream = io.StringIO()
    with ProgressBar(2000, "x", stream=stream, interval=0) as bar:
        bar.update(500)
        bar.update(1500)
    frames = stream.getvalue().split("\r")[1:]
    assert "25%" in frames[0]
    assert frames[-1].endswith("100% 2.0 KB/2.0 KB\n")


def test_create_bucket_prepares_a_bucket_for_the_direct_trigger(stack):
    bucket = "picset-cli-created"
    done = cli(stack, "--bucket", bucket, "create-bucket", "--origin", "https://photos.example")
    assert done.returncode == 0, done.stdout + done.stderr
    s3 = aws.client("s3", Settings.from_env(stack.env))
    cors = s3.get_bucket_cors(Bucket=bucket)["CORSRules"]
    upload_rule = next(rule for rule in cors if "POST" in rule["AllowedMethods"])
    assert upload_rule["AllowedOrigins"] == ["https://photos.example"]
    (statement,) = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])["Statement"]
    assert statement["Resource"] == f"arn:aws:s3:::{bucket}/images/*"
    assert "failed originals expire after 7 day(s)" in done.stdout
    # idempotent: a second run (e.g. with the deployed API's origin) updates in place
    again = cli(stack, "--bucket", bucket, "create-bucket", PICSET_FAILED_ORIGINAL_DAYS="3")
    assert again.returncode == 0
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    assert rules == lifecycle_rules(Settings(failed_original_days=3))["Rules"]


def test_the_local_bucket_expires_failed_originals_and_its_runs_tag_them(stack, tmp_path):
    """The bootstrap gives the local bucket the deployed rules, and over the real
    emulator a failed upload's original is tagged `failed`, a ready one's carries none."""
    settings = Settings.from_env(stack.env)
    s3 = aws.client("s3", settings)
    rules = s3.get_bucket_lifecycle_configuration(Bucket=stack.bucket)["Rules"]
    assert rules == lifecycle_rules(settings)["Rules"]
    fake = tmp_path / "fake.png"
    fake.write_text("not a picture")
    assert cli(stack, "upload", str(fake), "--decorative").returncode == 1
    (ready,) = upload(stack, tmp_path, "tagged.jpg")
    originals = [key.removeprefix("uploads/") for key in s3_keys(stack, "uploads/")]
    failed = [i for i in originals if api_image(stack, i).json()["status"] == "failed"]
    assert failed

    def status_tag(image_id: str) -> dict[str, str]:
        answer = s3.get_object_tagging(Bucket=stack.bucket, Key=keys.upload_key(image_id))
        return {tag["Key"]: tag["Value"] for tag in answer["TagSet"]}

    assert status_tag(ready) == {}
    assert all(status_tag(image_id) == {"picset-status": "failed"} for image_id in failed)


def test_unprocessed_lists_originals_without_a_manifest_past_the_bound(stack):
    """In a bucket no trigger listens on: originals with no manifest are `processing`
    while younger than the bound, then `unprocessed`; one with a manifest never shows."""
    bucket = "picset-cli-unprocessed"
    assert cli(stack, "--bucket", bucket, "create-bucket").returncode == 0
    s3 = aws.client("s3", Settings.from_env(stack.env))
    never = sorted(keys.new_image_id() for _ in range(3))
    done_id = keys.new_image_id()
    for size, image_id in enumerate([*never, done_id], start=1):
        s3.put_object(Bucket=bucket, Key=keys.upload_key(image_id), Body=b"x" * 1000 * size)
    s3.put_object(Bucket=bucket, Key=keys.manifest_key(done_id), Body=b"{}")
    written = time.monotonic()
    bound = {"PICSET_PROCESSING_TIMEOUT_SECONDS": "10"}

    young = cli(stack, "--bucket", bucket, "unprocessed", "--page-size", "2", **bound)
    assert young.returncode == 0, young.stdout + young.stderr
    lines = young.stdout.splitlines()
    assert sorted(line.split("\t")[1] for line in lines[:3]) == never
    assert {line.split("\t")[0] for line in lines[:3]} == {"processing"}
    assert lines[3] == (
        f"0 unprocessed original(s), 0 B in all, of 4 in {bucket} "
        "(no manifest 10 s after upload: PICSET_PROCESSING_TIMEOUT_SECONDS)"
    )
    assert lines[4] == "3 more, 6.0 KB, younger than that: they may still be processing"

    time.sleep(max(0.0, 12 - (time.monotonic() - written)))
    old = cli(stack, "--bucket", bucket, "unprocessed", "--page-size", "2", **bound)
    assert old.returncode == 1, old.stdout + old.stderr
    rows = [line.split("\t") for line in old.stdout.splitlines()[:3]]
    assert {row[0] for row in rows} == {"unprocessed"}
    assert sorted(row[1] for row in rows) == never
    assert [row[3] for row in rows] == ["1.0 KB", "2.0 KB", "3.0 KB"]  # oldest first
    assert all(re.fullmatch(r"(\d+m )?\d+s", row[2]) for row in rows)
    assert old.stdout.splitlines()[3].startswith(
        f"3 unprocessed original(s), 6.0 KB in all, of 4 in {bucket} "
    )
    as_json = json.loads(cli(stack, "--bucket", bucket, "unprocessed", "--json", **bound).stdout)
    assert sorted(o["id"] for o in as_json["unprocessed"]) == never
    assert as_json["unprocessed_bytes"] == 6000
    assert as_json["processing"] == [] and as_json["checked"] == 4


def test_upload_with_a_wrong_password_says_so(stack, tmp_path):
    photo = tmp_path / "a.jpg"
    photo.write_bytes(make_image(100, 80))
    done = cli(stack, "upload", str(photo), "--alt", "A", PICSET_PASSWORD="Wrong-pass-1")
    assert done.returncode == 1
    assert f"signing in as {stack.user} failed: Wrong user name or password." in done.stderr
    assert "Traceback" not in done.stderr


DASHED = "-" + "a" * 21


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        pytest.param(["delete", DASHED], ["delete", "id:" + DASHED], id="leading-dash"),
        pytest.param(
            ["status", DASHED, "--json"], ["status", "id:" + DASHED, "--json"], id="then-option"
        ),
        pytest.param(["delete", "a" * 22], ["delete", "a" * 22], id="plain-id-untouched"),
        pytest.param(
            ["upload", "f.jpg", "--alt", DASHED],
            ["upload", "f.jpg", "--alt", DASHED],
            id="not-after-an-id-command",
        ),
    ],
)
def test_ids_that_start_with_a_dash_are_not_options(argv, expected):
    from dev.cli import image_id_arg, parser, shield_ids

    assert shield_ids(argv) == expected
    if argv[0] != "upload":
        assert parser().parse_args(shield_ids(argv)).id == image_id_arg(expected[1])


def test_create_accounts_then_add_user_lets_that_person_sign_in(stack):
    done = cli(stack, "create-accounts", "--name", "picset-cli-users")
    assert done.returncode == 0, done.stdout + done.stderr
    pool = re.search(r'"PICSET_USER_POOL_ID": "([^"]+)"', done.stdout)
    client = re.search(r'"PICSET_USER_POOL_CLIENT_ID": "([^"]+)"', done.stdout)
    assert pool and client
    added = cli(stack, "add-user", "carol", "Carol-pass-12", PICSET_USER_POOL_ID=pool.group(1))
    assert added.returncode == 0, added.stdout + added.stderr
    cognito = aws.client("cognito-idp", Settings.from_env(stack.env))
    answer = cognito.initiate_auth(
        ClientId=client.group(1),
        AuthFlow="USER_PASSWORD_AUTH",
        AuthParameters={"USERNAME": "carol", "PASSWORD": "Carol-pass-12"},
    )
    assert answer["AuthenticationResult"]["AccessToken"]
    weak = cli(stack, "add-user", "dave", "short", PICSET_USER_POOL_ID=pool.group(1))
    assert weak.returncode == 1 and "refused that password" in weak.stderr


def test_delete_invalidates_the_cdn_when_a_distribution_is_named(stack):
    settings = Settings.from_env(stack.env)
    distribution_id = create_distribution(settings)
    s3 = aws.client("s3", settings)
    told, untold = keys.new_image_id(), keys.new_image_id()
    for image_id in (told, untold):
        s3.put_object(Bucket=stack.bucket, Key=keys.upload_key(image_id), Body=b"original")

    done = cli(stack, "delete", told, PICSET_DISTRIBUTION_ID=distribution_id)
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.splitlines()[-1].startswith(
        f"invalidated /images/{told}/* on distribution {distribution_id} ("
    )
    assert invalidated_paths(settings, distribution_id) == [[f"/images/{told}/*"]]

    done = cli(stack, "delete", untold, PICSET_DISTRIBUTION_ID="ENOSUCHDIST")
    assert done.returncode == 1
    assert f"invalidate /images/{untold}/* on distribution ENOSUCHDIST by hand" in done.stderr
    assert s3_keys(stack, keys.upload_key(untold)) == []  # deleted all the same
