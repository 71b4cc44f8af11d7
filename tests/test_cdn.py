"""Telling the CDN an image is gone (`chalicelib.cdn`): the paths asked for, nothing asked
without a distribution, a refused request logged and never raised, and the owner's
`DELETE /api/images/{id}` invalidating on moto's CloudFront over HTTP."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
import requests

from chalicelib import aws, cdn, keys
from chalicelib.settings import Settings
from dev.stack import Stack, free_port
from tests.conftest import HTTP_TIMEOUT, make_image
from tests.test_integration import wait_done

ID = "A" * 22


def test_one_path_covers_every_revision_and_the_manifest():
    (path,) = cdn.paths(ID)
    assert path == f"/images/{ID}/*"
    assert path.lstrip("/").rstrip("*") == keys.image_prefix(ID)
    for key in (keys.manifest_key(ID), keys.variant_key(ID, "19ade3f2a1b-7c9d2e", 640, "avif")):
        assert key.startswith(path.lstrip("/").rstrip("*"))


def test_a_retried_delete_reuses_its_reference_and_another_image_does_not():
    assert cdn.caller_reference(ID) == cdn.caller_reference(ID)
    assert cdn.caller_reference(ID) != cdn.caller_reference("B" * 22)


def test_no_distribution_means_nothing_is_asked_and_no_client_is_made():
    def no_client() -> Any:
        raise AssertionError("a CloudFront client was made without a distribution")

    assert cdn.invalidator(no_client, Settings()) is None


class Refusing:
    """A `cloudfront` client whose every request fails, as one without permission does."""

    def create_invalidation(self, **_: Any) -> Any:
        raise RuntimeError("AccessDenied")


def test_a_refused_invalidation_is_logged_with_its_paths_and_not_raised(caplog):
    invalidate = cdn.Invalidator(Refusing(), "E2QWRUHAPOMQZL")
    with caplog.at_level(logging.ERROR, logger="picset.cdn"):
        assert invalidate(ID) is None
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "picset.cdn"]
    assert line == {
        "event": "picset.invalidation_failed",
        "id": ID,
        "distribution_id": "E2QWRUHAPOMQZL",
        "paths": [f"/images/{ID}/*"],
        "error": "RuntimeError: AccessDenied",
    }


# --- against moto's CloudFront, over HTTP ---------------------------------------------------


def create_distribution(settings: Settings) -> str:
    """A distribution in front of the bucket on the emulator, as the prod stack makes one."""
    answer = aws.client("cloudfront", settings).create_distribution(
        DistributionConfig={
            "CallerReference": f"picset-test-{free_port()}",
            "Comment": "picset variants",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "images",
                        "DomainName": f"{settings.bucket}.s3.us-east-1.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "images",
                "ViewerProtocolPolicy": "redirect-to-https",
            },
        }
    )
    return str(answer["Distribution"]["Id"])


def invalidated_paths(settings: Settings, distribution_id: str) -> list[list[str]]:
    client = aws.client("cloudfront", settings)
    listing = client.list_invalidations(DistributionId=distribution_id)["InvalidationList"]
    return [
        client.get_invalidation(DistributionId=distribution_id, Id=item["Id"])["Invalidation"][
            "InvalidationBatch"
        ]["Paths"]["Items"]
        for item in listing.get("Items") or []
    ]


@pytest.fixture(scope="module")
def emulator() -> Iterator[Stack]:
    """moto's server alone; the app's stack below runs on it, started after the
    distribution exists (the app reads `PICSET_DISTRIBUTION_ID` at start)."""
    server = Stack(s3_port=free_port(), quiet=True)
    server.start_emulator()
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.integration
def test_the_invalidation_reaches_the_distribution(emulator):
    settings = Settings(endpoint_url=emulator.endpoint_url)
    distribution_id = create_distribution(settings)
    invalidate = cdn.invalidator(lambda: aws.client("cloudfront", settings), settings)
    assert invalidate is None  # no distribution named
    named = Settings(endpoint_url=emulator.endpoint_url, distribution_id=distribution_id)
    invalidate = cdn.invalidator(lambda: aws.client("cloudfront", named), named)
    assert invalidate is not None
    assert invalidate(ID)
    assert invalidated_paths(settings, distribution_id) == [[f"/images/{ID}/*"]]


@pytest.mark.integration
def test_an_unknown_distribution_is_logged_not_raised(emulator, caplog):
    settings = Settings(endpoint_url=emulator.endpoint_url, distribution_id="ENOSUCHDIST")
    invalidate = cdn.invalidator(lambda: aws.client("cloudfront", settings), settings)
    assert invalidate is not None
    with caplog.at_level(logging.ERROR, logger="picset.cdn"):
        assert invalidate(ID) is None
    (line,) = [json.loads(r.getMessage()) for r in caplog.records if r.name == "picset.cdn"]
    assert line["distribution_id"] == "ENOSUCHDIST"
    assert "NoSuchDistribution" in line["error"]


@pytest.mark.integration
def test_the_owners_delete_invalidates_the_images_paths(emulator):
    """The whole app over HTTP (`chalice local`, the worker, moto's S3, DynamoDB, Cognito
    and CloudFront): a deleted image's paths are invalidated, and only its own."""
    settings = Settings(endpoint_url=emulator.endpoint_url, bucket="picset-cdn")
    distribution_id = create_distribution(settings)
    env = {"PICSET_DISTRIBUTION_ID": distribution_id}
    with Stack(
        app_port=free_port(),
        emulator_url=emulator.endpoint_url,
        bucket=settings.bucket,
        quiet=True,
        extra_env=env,
    ) as stack:
        auth = stack.auth()
        data = make_image(400, 300)
        body: dict[str, str | int] = {
            "filename": "a.jpg",
            "content_type": "image/jpeg",
            "size": len(data),
            "alt": "",
        }
        answer = requests.post(
            f"{stack.url}api/uploads", json=body, headers=auth, timeout=HTTP_TIMEOUT
        )
        assert answer.status_code == 201, answer.text
        ticket = answer.json()
        files = {"file": ("a.jpg", data, "image/jpeg")}
        posted = requests.post(ticket["url"], data=ticket["fields"], files=files, timeout=30)
        assert posted.status_code in (200, 201, 204), posted.text
        manifest = wait_done(ticket["status_url"])
        assert manifest["status"] == "ready"
        assert invalidated_paths(settings, distribution_id) == []

        path = f"{stack.url}api/images/{ticket['id']}"
        deleted = requests.delete(path, headers=auth, timeout=HTTP_TIMEOUT)
        assert deleted.status_code == 204, deleted.text
        assert invalidated_paths(settings, distribution_id) == [[f"/images/{ticket['id']}/*"]]
        assert requests.get(path, timeout=HTTP_TIMEOUT).status_code == 404
