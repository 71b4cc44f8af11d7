"""`.chalice/config.json`, the hand-written IAM policies and the SAM merge template agree
with each other and stay least-privilege. Pure file checks, no packaging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = CONFIG["stages"]
DEPLOYABLE = [stage for stage in STAGES if stage != "local"]


def policy(name: str) -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / name).read_text())


def grants(document: dict[str, Any]) -> set[tuple[str, str]]:
    """Every (action, resource) pair an Allow statement grants."""
    pairs = set()
    for statement in document["Statement"]:
        assert statement["Effect"] == "Allow"
        actions = statement["Action"]
        resources = statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                pairs.add((action, resource))
    return pairs


def stage_policies(stage: str) -> dict[str, dict[str, Any]]:
    config = STAGES[stage]
    functions = config["lambda_functions"]
    return {
        "api_handler": policy(config["iam_policy_file"]),
        "resize_upload": policy(functions["resize_upload"]["iam_policy_file"]),
    }


def settings_of(stage: str) -> Settings:
    return Settings.from_env(STAGES[stage].get("environment_variables", {}))


def test_local_stage_keeps_emulator_values_out():
    """`chalice local` copies the stage's variables over the stack's own; an endpoint or
    bucket here would point the local API away from the emulator."""
    env = STAGES["local"].get("environment_variables", {})
    for name in ("PICSET_ENDPOINT_URL", "PICSET_BUCKET", "PICSET_REGION", "AWS_ENDPOINT_URL"):
        assert name not in env


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_deployable_stage_uses_hand_written_policies(stage):
    config = STAGES[stage]
    assert config["autogen_policy"] is False
    for document in stage_policies(stage).values():
        assert document["Version"] == "2012-10-17"


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_stage_settings_are_valid(stage):
    settings = settings_of(stage)
    assert settings.bucket != Settings().bucket
    assert settings.endpoint_url is None


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_policies_name_only_the_stage_bucket_queue_and_log_groups(stage):
    settings = settings_of(stage)
    bucket = f"arn:aws:s3:::{settings.bucket}"
    for function, document in stage_policies(stage).items():
        for action, resource in grants(document):
            assert "*" not in action, f"{function}: wildcard action {action}"
            service = action.split(":")[0]
            if service == "s3":
                assert resource == bucket or resource.startswith(f"{bucket}/"), resource
            elif service == "sqs":
                assert resource.endswith(f":{settings.queue_name}"), resource
            elif service == "logs":
                name = "picset-" + stage + ("" if function == "api_handler" else f"-{function}")
                assert resource.split("log-group:/aws/lambda/")[1] in (name, f"{name}:*")
            else:
                raise AssertionError(f"{function}: unexpected service in {action}")


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_resize_function_never_writes_where_its_trigger_listens(stage):
    """Writes under `uploads/` would re-trigger the function: the recursive-Lambda trap."""
    bucket = settings_of(stage).bucket
    writes = {
        resource
        for action, resource in grants(stage_policies(stage)["resize_upload"])
        if action in ("s3:PutObject", "s3:DeleteObject")
    }
    assert writes == {f"arn:aws:s3:::{bucket}/images/*"}


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_api_writes_only_uploads_and_reads_only_manifests_and_originals(stage):
    bucket = f"arn:aws:s3:::{settings_of(stage).bucket}"
    s3 = {pair for pair in grants(stage_policies(stage)["api_handler"]) if pair[0][:3] == "s3:"}
    assert s3 == {
        ("s3:PutObject", f"{bucket}/uploads/*"),
        ("s3:GetObject", f"{bucket}/uploads/*"),
        ("s3:GetObject", f"{bucket}/images/*/manifest.json"),
        ("s3:ListBucket", bucket),
    }


@pytest.mark.parametrize(
    ("stage", "queue_actions"),
    [
        pytest.param("dev", set(), id="direct-trigger-no-queue"),
        pytest.param(
            "prod",
            {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"},
            id="queued-trigger-consumes-queue",
        ),
    ],
)
def test_only_the_queued_stage_may_consume_the_queue(stage, queue_actions):
    assert settings_of(stage).trigger == ("sqs" if queue_actions else "s3")
    for function, document in stage_policies(stage).items():
        actions = {action for action, _ in grants(document) if action.startswith("sqs:")}
        assert actions == (queue_actions if function == "resize_upload" else set())


def test_merge_template_matches_the_prod_stage():
    template = json.loads((ROOT / "deploy" / "sam-prod.json").read_text())
    settings = settings_of("prod")
    resources = template["Resources"]
    assert resources["ImagesBucket"]["Properties"]["BucketName"] == settings.bucket
    assert resources["UploadQueue"]["Properties"]["QueueName"] == settings.queue_name
    redrive = resources["UploadQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["maxReceiveCount"] == settings.queue_max_receives
