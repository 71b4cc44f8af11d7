"""`.chalice/config.json`, the hand-written IAM policies and the SAM merge template agree
with each other and stay least-privilege. Pure file checks, no packaging."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from chalicelib.settings import Settings
from dev.bootstrap import (
    ASYNC_MAX_EVENT_AGE,
    ASYNC_RETRIES,
    processing_bound,
    template_max_receives,
)

ROOT = Path(__file__).resolve().parent.parent
CONFIG = json.loads((ROOT / ".chalice" / "config.json").read_text())
STAGES = CONFIG["stages"]
DEPLOYABLE = [stage for stage in STAGES if stage != "local"]
TEMPLATE = json.loads((ROOT / "deploy" / "sam-prod.json").read_text())


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
        "record_failure": policy(functions["record_failure"]["iam_policy_file"]),
    }


def settings_of(stage: str) -> Settings:
    return Settings.from_env(STAGES[stage].get("environment_variables", {}))


def event_bus_arn(settings: Settings) -> str:
    return f"arn:aws:events:*:*:event-bus/{settings.event_bus}"


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
                queues = (f":{settings.queue_name}", f":{settings.failure_queue_name}")
                assert resource.endswith(queues), resource
            elif service == "dynamodb":
                table = f":table/{settings.table_name}"
                assert resource.endswith((table, f"{table}/index/by-id")), resource
            elif service == "events":
                assert resource == event_bus_arn(settings), resource
            elif service == "logs":
                name = "picset-" + stage + ("" if function == "api_handler" else f"-{function}")
                assert resource.split("log-group:/aws/lambda/")[1] in (name, f"{name}:*")
            else:
                raise AssertionError(f"{function}: unexpected service in {action}")


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_resize_function_never_writes_where_its_trigger_listens(stage):
    """Writes under `uploads/` would re-trigger the function: the recursive-Lambda trap.
    It writes variants and manifests under `images/`, and the private state (only puts,
    never deletes) under `private/`."""
    bucket = settings_of(stage).bucket
    writes = {
        resource
        for action, resource in grants(stage_policies(stage)["resize_upload"])
        if action in ("s3:PutObject", "s3:DeleteObject")
    }
    assert writes == {f"arn:aws:s3:::{bucket}/images/*", f"arn:aws:s3:::{bucket}/private/*.json"}
    deletes = {
        r for a, r in grants(stage_policies(stage)["resize_upload"]) if a == "s3:DeleteObject"
    }
    assert deletes == {f"arn:aws:s3:::{bucket}/images/*"}


def test_no_policy_makes_the_private_state_public():
    """The dev bucket's public-read policy (`dev.cli create-bucket`) and the prod bucket's
    read by its distribution cover `images/*` only, and the private state sits outside
    it; its functions reach it through their roles alone."""
    from chalicelib import keys
    from dev.bootstrap import public_read_policy

    bucket = settings_of("dev").bucket
    (statement,) = public_read_policy(bucket)["Statement"]
    assert statement["Resource"] == f"arn:aws:s3:::{bucket}/{keys.IMAGES_PREFIX}*"
    policy = TEMPLATE["Resources"]["ImagesBucketPolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Resource"]["Fn::Sub"].endswith(f"/{keys.IMAGES_PREFIX}*")
    assert not keys.private_key("x").startswith(keys.IMAGES_PREFIX)


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_api_writes_only_uploads_and_reads_only_manifests_and_originals(stage):
    bucket = f"arn:aws:s3:::{settings_of(stage).bucket}"
    s3 = {pair for pair in grants(stage_policies(stage)["api_handler"]) if pair[0][:3] == "s3:"}
    assert s3 == {
        ("s3:PutObject", f"{bucket}/uploads/*"),
        ("s3:GetObject", f"{bucket}/uploads/*"),
        ("s3:GetObject", f"{bucket}/images/*/manifest.json"),
        ("s3:PutObject", f"{bucket}/images/*/manifest.json"),
        ("s3:DeleteObject", f"{bucket}/uploads/*"),
        ("s3:DeleteObject", f"{bucket}/images/*"),
        ("s3:DeleteObject", f"{bucket}/private/*.json"),
        ("s3:ListBucket", bucket),
    }


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_only_the_api_touches_the_table_and_only_as_it_needs(stage):
    table = f"arn:aws:dynamodb:*:*:table/{settings_of(stage).table_name}"
    api = {pair for pair in grants(stage_policies(stage)["api_handler"]) if "dynamodb" in pair[0]}
    assert api == {
        ("dynamodb:PutItem", table),
        ("dynamodb:UpdateItem", table),
        ("dynamodb:DeleteItem", table),
        ("dynamodb:Query", table),
        ("dynamodb:Query", f"{table}/index/by-id"),
    }
    for function in ("resize_upload", "record_failure"):
        actions = {a for a, _ in grants(stage_policies(stage)[function])}
        assert not {a for a in actions if a.startswith("dynamodb:")}


def test_the_prod_template_declares_the_table_pool_client_and_throttling():
    resources = TEMPLATE["Resources"]
    table = resources["ImagesTable"]["Properties"]
    assert table["TableName"] == settings_of("prod").table_name
    assert table["BillingMode"] == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {
        "pk": "HASH",
        "sk": "RANGE",
    }
    (index,) = table["GlobalSecondaryIndexes"]
    assert index["IndexName"] == "by-id" and index["KeySchema"][0]["AttributeName"] == "id"
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"]["PointInTimeRecoveryEnabled"] is True
    pool = resources["UserPool"]["Properties"]
    assert pool["AdminCreateUserConfig"]["AllowAdminCreateUserOnly"] is True
    assert pool["Policies"]["PasswordPolicy"]["MinimumLength"] >= 12
    client = resources["UserPoolClient"]["Properties"]
    assert client["GenerateSecret"] is False
    assert set(client["ExplicitAuthFlows"]) == {
        "ALLOW_USER_PASSWORD_AUTH",
        "ALLOW_REFRESH_TOKEN_AUTH",
    }
    (throttle,) = resources["RestAPI"]["Properties"]["MethodSettings"]
    assert throttle["ThrottlingRateLimit"] > 0 and throttle["ThrottlingBurstLimit"] > 0
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables == {
        "PICSET_TABLE_NAME": {"Ref": "ImagesTable"},
        "PICSET_USER_POOL_ID": {"Ref": "UserPool"},
        "PICSET_USER_POOL_CLIENT_ID": {"Ref": "UserPoolClient"},
        "PICSET_PUBLIC_BASE_URL": TEMPLATE["Outputs"]["VariantBaseURL"]["Value"],
        "PICSET_DISTRIBUTION_ID": {"Ref": "ImagesDistribution"},
    }


def test_the_dev_terraform_declares_the_same_table_pool_and_throttling():
    addon = json.loads(
        (ROOT / "deploy" / "terraform-dev" / "records-and-sign-in.tf.json").read_text()
    )["resource"]
    prod = TEMPLATE["Resources"]
    table = addon["aws_dynamodb_table"]["images"]
    assert table["name"] == settings_of("dev").table_name
    assert (table["hash_key"], table["range_key"]) == ("pk", "sk")
    assert table["global_secondary_index"][0]["name"] == "by-id"
    assert table["ttl"] == {"attribute_name": "expires_at", "enabled": True}
    pool = addon["aws_cognito_user_pool"]["users"]
    assert pool["admin_create_user_config"]["allow_admin_create_user_only"] is True
    prod_policy = prod["UserPool"]["Properties"]["Policies"]["PasswordPolicy"]
    assert pool["password_policy"]["minimum_length"] == prod_policy["MinimumLength"]
    settings = addon["aws_api_gateway_method_settings"]["throttle"]["settings"]
    (prod_throttle,) = prod["RestAPI"]["Properties"]["MethodSettings"]
    assert settings["throttling_rate_limit"] == prod_throttle["ThrottlingRateLimit"]
    assert settings["throttling_burst_limit"] == prod_throttle["ThrottlingBurstLimit"]


def test_the_terraform_override_keeps_the_stage_variables_and_adds_the_ids():
    from dev.terraform_env import override

    functions = override("dev")["resource"]["aws_lambda_function"]
    assert set(functions) == {"api_handler", "resize_upload", "record_failure"}
    for function in functions.values():
        variables = function["environment"]["variables"]
        for name, value in STAGES["dev"]["environment_variables"].items():
            if name != "PICSET_TABLE_NAME":
                assert variables[name] == value
    variables = functions["api_handler"]["environment"]["variables"]
    assert variables["PICSET_USER_POOL_ID"] == "${aws_cognito_user_pool.users.id}"
    assert variables["PICSET_USER_POOL_CLIENT_ID"] == "${aws_cognito_user_pool_client.web.id}"
    assert "PICSET_SITE_URL" not in variables


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_only_the_functions_that_write_manifests_announce_them(stage):
    """The resize and failure functions put one event per manifest on the stage's bus:
    `events:PutEvents` on that bus alone. The API puts none (an alt change is no news)."""
    settings = settings_of(stage)
    assert settings.event_bus == "default"
    for function, document in stage_policies(stage).items():
        announced = {pair for pair in grants(document) if pair[0].startswith("events:")}
        if function == "api_handler":
            assert announced == set()
        else:
            assert announced == {("events:PutEvents", event_bus_arn(settings))}


def test_the_functions_that_announce_know_the_apis_url():
    """The page URL in an event is the API's own URL (its stage prefix included) plus
    `images/<id>`: the prod template passes it in, and so does the Terraform override."""
    from dev.terraform_env import override

    stage_prefix = STAGES["prod"]["api_gateway_stage"]
    expected = {
        "Fn::Sub": "https://${RestAPI}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
        f"/{stage_prefix}/"
    }
    for name in ("ResizeUpload", "RecordFailure"):
        variables = TEMPLATE["Resources"][name]["Properties"]["Environment"]["Variables"]
        assert variables == {"PICSET_SITE_URL": expected}
    functions = override("dev")["resource"]["aws_lambda_function"]
    for name in ("resize_upload", "record_failure"):
        site = functions[name]["environment"]["variables"]["PICSET_SITE_URL"]
        assert site == "${aws_api_gateway_deployment.rest_api.invoke_url}/"


CONSUME = {"sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"}


@pytest.mark.parametrize(
    ("stage", "resize_grants"),
    [
        pytest.param(
            "dev", {("sqs:SendMessage", "failure")}, id="direct-trigger-sends-to-its-destination"
        ),
        pytest.param(
            "prod",
            {(action, "upload") for action in (*CONSUME, "sqs:GetQueueUrl")},
            id="queued-trigger-consumes-and-reads-its-receive-count",
        ),
    ],
)
def test_each_function_touches_only_its_own_queue(stage, resize_grants):
    settings = settings_of(stage)
    assert settings.trigger == ("sqs" if stage == "prod" else "s3")
    names = {f":{settings.queue_name}": "upload", f":{settings.failure_queue_name}": "failure"}

    def queue_grants(function: str) -> set[tuple[str, str]]:
        return {
            (action, names[":" + resource.rsplit(":", 1)[1]])
            for action, resource in grants(stage_policies(stage)[function])
            if action.startswith("sqs:")
        }

    assert queue_grants("resize_upload") == resize_grants
    assert queue_grants("record_failure") == {(action, "failure") for action in CONSUME}
    assert queue_grants("api_handler") == set()


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_the_failure_recorder_writes_only_manifests_and_the_private_state(stage):
    bucket = f"arn:aws:s3:::{settings_of(stage).bucket}"
    s3 = {pair for pair in grants(stage_policies(stage)["record_failure"]) if pair[0][:3] == "s3:"}
    assert s3 == {
        ("s3:GetObject", f"{bucket}/uploads/*"),
        ("s3:PutObjectTagging", f"{bucket}/uploads/*"),
        ("s3:DeleteObjectTagging", f"{bucket}/uploads/*"),
        ("s3:GetObject", f"{bucket}/images/*/manifest.json"),
        ("s3:PutObject", f"{bucket}/images/*/manifest.json"),
        ("s3:GetObject", f"{bucket}/private/*.json"),
        ("s3:PutObject", f"{bucket}/private/*.json"),
        ("s3:ListBucket", bucket),
    }


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_only_the_functions_that_write_manifests_tag_and_only_originals(stage):
    """The lifecycle rule reads the status tag on `uploads/<id>`, put (failed) or removed
    (ready) by whichever function put the manifest in place; either may find the other
    status standing and follow it, so both need both. Tagging is `s3:ObjectTagging:*`,
    which the `s3:ObjectCreated:*` trigger never hears: it cannot re-trigger the resize
    function, and neither action can write or delete an object."""
    originals = f"arn:aws:s3:::{settings_of(stage).bucket}/uploads/*"
    for function, document in stage_policies(stage).items():
        tagging = {pair for pair in grants(document) if "Tagging" in pair[0]}
        expected = {
            ("s3:PutObjectTagging", originals),
            ("s3:DeleteObjectTagging", originals),
        }
        assert tagging == (set() if function == "api_handler" else expected), function


def test_the_prod_lifecycle_rules_are_the_ones_the_bootstrap_applies():
    """One set of rules: the template's (CloudFormation's names) and the ones
    `create-bucket` and the local bootstrap put (S3's names) say the same, and the
    template's days parameter defaults to the setting's value."""
    from dev.bootstrap import lifecycle_rules

    parameter = TEMPLATE["Parameters"]["FailedOriginalDays"]
    assert parameter["Default"] == settings_of("prod").failed_original_days
    assert parameter["MinValue"] == 1
    bucket = TEMPLATE["Resources"]["ImagesBucket"]["Properties"]
    declared = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    applied = {rule["ID"]: rule for rule in lifecycle_rules(settings_of("prod"))["Rules"]}
    assert (
        set(declared)
        == set(applied)
        == {
            "ExpireFailedOriginals",
            "AbortIncompleteMultipartUploads",
        }
    )
    expire, applied_expire = declared["ExpireFailedOriginals"], applied["ExpireFailedOriginals"]
    assert expire["ExpirationInDays"] == {"Ref": "FailedOriginalDays"}
    assert applied_expire["Expiration"] == {"Days": parameter["Default"]}
    assert applied_expire["Filter"] == {
        "And": {"Prefix": expire["Prefix"], "Tags": expire["TagFilters"]}
    }
    abort, applied_abort = (
        declared["AbortIncompleteMultipartUploads"],
        applied["AbortIncompleteMultipartUploads"],
    )
    assert "Prefix" not in abort and "TagFilters" not in abort  # the whole bucket
    assert applied_abort["Filter"] == {"Prefix": ""}
    assert (
        abort["AbortIncompleteMultipartUpload"] == applied_abort["AbortIncompleteMultipartUpload"]
    )
    assert all(rule["Status"] == "Enabled" for rule in [*declared.values(), *applied.values()])


def _timeout(stage: str) -> int:
    return int(STAGES[stage]["lambda_functions"]["resize_upload"]["lambda_timeout"])


def test_processing_bound_of_the_queued_stage_covers_every_delivery():
    """Each delivery may hold the message for the whole visibility timeout (a killed
    function releases nothing earlier), then SQS dead-letters it."""
    queue = TEMPLATE["Resources"]["UploadQueue"]["Properties"]
    deliveries = int(queue["RedrivePolicy"]["maxReceiveCount"])
    assert queue["VisibilityTimeout"] >= _timeout("prod")
    expected = processing_bound(deliveries, queue["VisibilityTimeout"])
    assert settings_of("prod").processing_timeout_seconds == expected


def test_processing_bound_of_the_direct_stage_covers_every_retry():
    """Lambda tries an event until it is `MaximumEventAgeInSeconds` old; one started then
    may still run a whole timeout, then the destination record is consumed."""
    addon = json.loads(
        (ROOT / "deploy" / "terraform-dev" / "failure-destination.tf.json").read_text()
    )
    config = addon["resource"]["aws_lambda_function_event_invoke_config"]["resize_upload"]
    assert config == {**config, "maximum_retry_attempts": ASYNC_RETRIES}
    age = config["maximum_event_age_in_seconds"]
    assert age == ASYNC_MAX_EVENT_AGE
    settings = settings_of("dev")
    assert config["destination_config"]["on_failure"]["destination"].endswith(
        f":{settings.failure_queue_name}"
    )
    assert settings.processing_timeout_seconds == processing_bound(1, age + _timeout("dev"))


@pytest.mark.parametrize("stage", DEPLOYABLE)
def test_resize_concurrency_is_bounded(stage):
    reserved = STAGES[stage]["lambda_functions"]["resize_upload"]["reserved_concurrency"]
    assert 2 <= reserved <= 50
    if stage == "prod":  # the queue's poller never runs more than the function may
        events = TEMPLATE["Resources"]["ResizeUpload"]["Properties"]["Events"]
        scaling = events["ResizeUploadSqsEventSource"]["Properties"]["ScalingConfig"]
        assert scaling["MaximumConcurrency"] == reserved


def test_merge_template_matches_the_prod_stage():
    settings = settings_of("prod")
    resources = TEMPLATE["Resources"]
    assert resources["ImagesBucket"]["Properties"]["BucketName"] == settings.bucket
    assert resources["UploadQueue"]["Properties"]["QueueName"] == settings.queue_name
    failures = resources["UploadFailureQueue"]["Properties"]
    assert failures["QueueName"] == settings.failure_queue_name
    redrive = resources["UploadQueue"]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["UploadFailureQueue", "Arn"]}
    # the one place the receive count is set; the handler reads it back from the queue
    assert redrive["maxReceiveCount"] == template_max_receives()
    distribution = resources["ImagesDistribution"]["Properties"]["DistributionConfig"]
    (origin,) = distribution["Origins"]
    assert origin["DomainName"]["Fn::Sub"].startswith(f"{settings.bucket}.s3.")


def test_the_custom_cdn_domain_is_optional_and_needs_its_certificate():
    """Without parameters the distribution answers on its own `*.cloudfront.net` name
    with CloudFront's certificate; with a domain and an ACM certificate, on that domain.
    One given without the other fails the deploy (the template's rule) rather than
    quietly serving the default name."""
    parameters = TEMPLATE["Parameters"]
    assert parameters["CdnDomainName"]["Default"] == ""
    assert parameters["CdnCertificateArn"]["Default"] == ""
    given = [
        {"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]}
        for name in ("CdnDomainName", "CdnCertificateArn")
    ]
    assert TEMPLATE["Conditions"]["HasCdnDomain"] == {"Fn::And": given}
    assertions = TEMPLATE["Rules"]["CdnDomainNeedsItsCertificate"]["Assertions"]
    assert len(assertions) == 2
    config = TEMPLATE["Resources"]["ImagesDistribution"]["Properties"]["DistributionConfig"]
    assert config["Aliases"] == {
        "Fn::If": ["HasCdnDomain", [{"Ref": "CdnDomainName"}], {"Ref": "AWS::NoValue"}]
    }
    condition, own, default = config["ViewerCertificate"]["Fn::If"]
    assert condition == "HasCdnDomain"
    assert own == {
        "AcmCertificateArn": {"Ref": "CdnCertificateArn"},
        "SslSupportMethod": "sni-only",
        "MinimumProtocolVersion": "TLSv1.2_2021",
    }
    assert default == {"CloudFrontDefaultCertificate": True}
    condition, custom, cloudfront = TEMPLATE["Outputs"]["VariantBaseURL"]["Value"]["Fn::If"]
    assert condition == "HasCdnDomain"
    assert custom == {"Fn::Sub": "https://${CdnDomainName}/"}
    assert cloudfront == {"Fn::Sub": "https://${ImagesDistribution.DomainName}/"}


def test_cloudfront_descriptions_fit_its_limits():
    """CloudFront refuses a comment over 128 characters at deploy time, and neither
    cfn-lint nor the schema checks it."""
    resources = TEMPLATE["Resources"]
    texts = [
        resources["ImagesDistribution"]["Properties"]["DistributionConfig"]["Comment"],
        resources["ImagesCachePolicy"]["Properties"]["CachePolicyConfig"]["Comment"],
        resources["ImagesOriginAccessControl"]["Properties"]["OriginAccessControlConfig"][
            "Description"
        ],
    ]
    assert all(0 < len(text) <= 128 for text in texts)
    for name in ("ImagesCachePolicy", "ImagesOriginAccessControl"):
        config = next(iter(resources[name]["Properties"].values()))
        assert len(config["Name"]) <= 64


def test_only_the_api_may_invalidate_and_only_the_stacks_distribution():
    """The distribution's ARN exists only in the stack, so the grant is the template's
    (`ApiInvalidatesDeletedImages`, on the API's role), not a hand-written file's; no
    policy file grants anything on CloudFront."""
    resources = TEMPLATE["Resources"]
    grant = resources["ApiInvalidatesDeletedImages"]["Properties"]
    assert grant["RoleName"] == {"Ref": "ApiHandlerRole"}
    (statement,) = grant["PolicyDocument"]["Statement"]
    assert statement["Action"] == "cloudfront:CreateInvalidation"
    assert statement["Resource"]["Fn::Sub"].endswith(":distribution/${ImagesDistribution}")
    for stage in DEPLOYABLE:
        for document in stage_policies(stage).values():
            assert not [a for a, _ in grants(document) if a.startswith("cloudfront:")]
