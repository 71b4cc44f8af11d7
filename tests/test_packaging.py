"""Both deployable shapes, packaged for real by `chalice package` and checked:

* `dev` (direct S3 trigger) as Terraform: the notification filters on `uploads/`, the
  resize function has the configured memory and timeout, each role carries its
  hand-written policy, and no queue is wired;
* `prod` (S3 -> SQS -> Lambda) as SAM/CloudFormation merged with `deploy/sam-prod.json`:
  `cfn-lint` passes, only the queue trigger is wired, the bucket notifies the queue on
  `uploads/` only, the queue has a dead-letter queue, the bucket is private and its
  `images/` are read by the stack's CloudFront distribution alone (origin access
  control), no policy grants `*`, failed originals expire by their tag and incomplete
  multipart uploads are aborted;
* the deployment package itself: its native libraries load on the python3.11 runtime's
  glibc, and the packaged code turns a photo into variants.

Packaging runs offline: pip (inside Chalice) installs from `dev.wheelhouse`, which
`scripts/setup` fills; each stage is packaged once per test session, in a copy of the
project so the work tree's `.chalice/deployments` is left alone.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

import pytest

from chalicelib import keys, lifecycle
from chalicelib.manifest import FAILED
from chalicelib.settings import Settings
from dev import wheelhouse
from dev.bootstrap import template_max_receives
from dev.stack import BIN, ROOT

pytestmark = pytest.mark.packaging

#: The python3.11 Lambda runtime is Amazon Linux 2: glibc 2.26.
RUNTIME_GLIBC = (2, 26)


def _config() -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / "config.json").read_text())


def _stage_settings(stage: str) -> Settings:
    return Settings.from_env(_config()["stages"][stage]["environment_variables"])


def _policy(name: str) -> dict[str, Any]:
    return json.loads((ROOT / ".chalice" / name).read_text())


def _function_config(stage: str, function: str) -> dict[str, Any]:
    return dict(_config()["stages"][stage]["lambda_functions"][function])


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    copy = tmp_path_factory.mktemp("project")
    skip = shutil.ignore_patterns("__pycache__", "*.pyc", "deployments", "venv")
    for name in ("app.py", "requirements.txt"):
        shutil.copy2(ROOT / name, copy / name)
    for name in ("chalicelib", ".chalice", "deploy"):
        shutil.copytree(ROOT / name, copy / name, ignore=skip)
    return copy


def _package(project: Path, *args: str) -> None:
    env = wheelhouse.offline_env(wheelhouse.ensure())
    for name in list(env):
        if name.startswith("PICSET_"):
            del env[name]  # the stage's own environment must decide, not the caller's
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_DEFAULT_REGION="us-east-1",
    )
    done = subprocess.run(
        [str(BIN / "chalice"), "package", *args],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # Chalice only warns when a dependency has no Lambda-compatible wheel, and leaves
    # it out: that would deploy a function that cannot import Pillow.
    assert "Could not install dependencies" not in done.stdout + done.stderr


@pytest.fixture(scope="module")
def terraform(project: Path) -> Path:
    out = project / "out-terraform"
    _package(project, "--stage", "dev", "--pkg-format", "terraform", str(out))
    return out


@pytest.fixture(scope="module")
def sam(project: Path) -> Path:
    out = project / "out-sam"
    _package(project, "--stage", "prod", "--merge-template", "deploy/sam-prod.json", str(out))
    return out


@pytest.fixture(scope="module")
def tf(terraform: Path) -> dict[str, Any]:
    return json.loads((terraform / "chalice.tf.json").read_text())


@pytest.fixture(scope="module")
def cfn(sam: Path) -> dict[str, Any]:
    return json.loads((sam / "sam.json").read_text())


# --- dev: direct S3 trigger, Terraform ------------------------------------------------


def test_terraform_notification_filters_on_uploads_prefix(tf):
    notifications = tf["resource"]["aws_s3_bucket_notification"]
    assert len(notifications) == 1
    (notification,) = notifications.values()
    assert notification["bucket"] == _stage_settings("dev").bucket
    (target,) = notification["lambda_function"]
    assert target["filter_prefix"] == "uploads/"
    assert target["events"] == ["s3:ObjectCreated:*"]
    assert target["lambda_function_arn"] == "${aws_lambda_function.resize_upload.arn}"


def test_terraform_resize_function_has_configured_memory_and_timeout(tf):
    function = tf["resource"]["aws_lambda_function"]["resize_upload"]
    configured = _function_config("dev", "resize_upload")
    assert function["memory_size"] == configured["lambda_memory_size"]
    assert function["timeout"] == configured["lambda_timeout"]
    assert function["handler"] == "app.resize_upload"
    assert function["runtime"] == "python3.11"
    assert function["environment"]["variables"]["PICSET_TRIGGER"] == "s3"


@pytest.mark.parametrize(
    ("role", "policy_file"),
    [
        pytest.param("resize_upload_role", "policy-dev-resize.json", id="resize"),
        pytest.param("record_failure_role", "policy-dev-failures.json", id="failures"),
        pytest.param("api_handler_role", "policy-dev.json", id="api"),
    ],
)
def test_terraform_roles_carry_the_hand_written_policies(tf, role, policy_file):
    policy = tf["resource"]["aws_iam_role_policy"][role]
    assert json.loads(policy["policy"]) == _policy(policy_file)


def test_terraform_wires_only_the_failure_queue_to_its_recorder(tf):
    mappings = tf["resource"]["aws_lambda_event_source_mapping"]
    (mapping,) = mappings.values()
    assert mapping["function_name"] == "${aws_lambda_function.record_failure.arn}"
    assert mapping["event_source_arn"].endswith(f":{_stage_settings('dev').failure_queue_name}")


def test_terraform_bounds_the_resize_concurrency(tf):
    function = tf["resource"]["aws_lambda_function"]["resize_upload"]
    configured = _function_config("dev", "resize_upload")
    assert function["reserved_concurrent_executions"] == configured["reserved_concurrency"]


@pytest.mark.parametrize("addon_name", ["failure-destination", "records-and-sign-in"])
def test_terraform_failure_destination_fits_chalices_output(tf, addon_name):
    """The add-ons copied beside chalice.tf.json refer only to what Chalice declares, or
    to what they declare themselves."""
    addon = json.loads((ROOT / "deploy" / "terraform-dev" / f"{addon_name}.tf.json").read_text())
    text = json.dumps(addon)
    for kind, name in re.findall(r"\$\{(?:data\.)?(aws_[a-z_]+)\.([a-z_]+)\.", text):
        if name in addon["resource"].get(kind, {}):
            continue
        section = tf["data"] if f"data.{kind}.{name}" in text else tf["resource"]
        assert name in section[kind], f"{kind}.{name} is not in chalice.tf.json"


def test_terraform_override_names_chalices_functions_and_resources(tf):
    from dev.terraform_env import override

    functions = override("dev")["resource"]["aws_lambda_function"]
    assert set(functions) <= set(tf["resource"]["aws_lambda_function"])
    text = json.dumps(functions)
    assert "aws_api_gateway_deployment.rest_api.invoke_url" in text
    assert "rest_api" in tf["resource"]["aws_api_gateway_deployment"]


def _announces(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    return {
        (s["Action"], s["Resource"]) for s in statements if str(s["Action"]).startswith("events:")
    }


@pytest.mark.parametrize(
    ("role", "announces"),
    [
        pytest.param("resize_upload_role", True, id="resize"),
        pytest.param("record_failure_role", True, id="failures"),
        pytest.param("api_handler_role", False, id="api"),
    ],
)
def test_terraform_roles_may_put_events_on_the_bus_only(tf, role, announces):
    policy = json.loads(tf["resource"]["aws_iam_role_policy"][role]["policy"])
    bus = f"arn:aws:events:*:*:event-bus/{_stage_settings('dev').event_bus}"
    assert _announces(policy["Statement"]) == ({("events:PutEvents", bus)} if announces else set())


@pytest.mark.parametrize(
    ("function", "announces"),
    [
        pytest.param("ResizeUpload", True, id="resize"),
        pytest.param("RecordFailure", True, id="failures"),
        pytest.param("APIHandler", False, id="api"),
    ],
)
def test_sam_functions_that_announce_may_put_events_on_the_bus_only(cfn, function, announces):
    resources = cfn["Resources"]
    properties = resources[function]["Properties"]
    variables = properties["Environment"]["Variables"]
    assert variables["PICSET_BUCKET"] == _stage_settings("prod").bucket  # the merge kept them
    (policy,) = resources[properties["Role"]["Fn::GetAtt"][0]]["Properties"]["Policies"]
    bus = f"arn:aws:events:*:*:event-bus/{_stage_settings('prod').event_bus}"
    granted = _announces(policy["PolicyDocument"]["Statement"])
    assert granted == ({("events:PutEvents", bus)} if announces else set())
    assert ("PICSET_SITE_URL" in variables) is announces


def test_sam_passes_the_pool_client_and_table_to_the_api_and_throttles_it(cfn):
    resources = cfn["Resources"]
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    assert variables["PICSET_BUCKET"] == "picset-prod-images"  # the merge kept Chalice's
    assert variables["PICSET_USER_POOL_ID"] == {"Ref": "UserPool"}
    assert variables["PICSET_USER_POOL_CLIENT_ID"] == {"Ref": "UserPoolClient"}
    assert variables["PICSET_TABLE_NAME"] == {"Ref": "ImagesTable"}
    api = resources["RestAPI"]["Properties"]
    assert api["DefinitionBody"]["paths"]  # the merge kept Chalice's API
    assert api["MethodSettings"][0]["ResourcePath"] == "/*"
    for name in ("ResizeUpload", "RecordFailure"):
        env = resources[name]["Properties"]["Environment"]["Variables"]
        assert "PICSET_USER_POOL_ID" not in env


def test_terraform_leaves_the_bucket_and_its_lifecycle_rules_to_create_bucket(tf):
    """Chalice's Terraform only notifies a bucket it does not create; `dev.cli
    create-bucket` makes it with its lifecycle rules, so nothing here may own them."""
    resources = tf["resource"]
    assert "aws_s3_bucket" not in resources
    assert "aws_s3_bucket_lifecycle_configuration" not in resources


@pytest.mark.parametrize(
    ("role", "tags"),
    [
        pytest.param("resize_upload_role", True, id="resize"),
        pytest.param("record_failure_role", True, id="failures"),
        pytest.param("api_handler_role", False, id="api"),
    ],
)
def test_terraform_roles_tag_only_originals(tf, role, tags):
    policy = json.loads(tf["resource"]["aws_iam_role_policy"][role]["policy"])
    assert _tagging(policy["Statement"]) == (_tags_originals("dev") if tags else set())


# --- prod: S3 -> SQS -> Lambda, SAM/CloudFormation ------------------------------------


def _tagging(statements: list[dict[str, Any]]) -> set[tuple[str, str]]:
    """Every (action, resource) on object tags that the statements allow."""
    pairs = set()
    for statement in statements:
        actions, resources = statement["Action"], statement["Resource"]
        for action in [actions] if isinstance(actions, str) else actions:
            for resource in [resources] if isinstance(resources, str) else resources:
                if "Tagging" in action:
                    pairs.add((action, resource))
    return pairs


def _tags_originals(stage: str) -> set[tuple[str, str]]:
    originals = f"arn:aws:s3:::{_stage_settings(stage).bucket}/{keys.UPLOAD_PREFIX}*"
    return {("s3:PutObjectTagging", originals), ("s3:DeleteObjectTagging", originals)}


def test_sam_bucket_expires_failed_originals_and_aborts_incomplete_uploads(cfn):
    parameter = cfn["Parameters"]["FailedOriginalDays"]
    assert parameter["Type"] == "Number"
    assert parameter["Default"] == _stage_settings("prod").failed_original_days
    assert parameter["MinValue"] == 1
    bucket = cfn["Resources"]["ImagesBucket"]["Properties"]
    rules = {rule["Id"]: rule for rule in bucket["LifecycleConfiguration"]["Rules"]}
    assert set(rules) == {"ExpireFailedOriginals", "AbortIncompleteMultipartUploads"}
    expire = rules["ExpireFailedOriginals"]
    assert expire["Status"] == "Enabled"
    # the tag the resize and failure functions write, and only under `uploads/`
    assert expire["Prefix"] == keys.UPLOAD_PREFIX
    assert expire["TagFilters"] == [
        {"Key": key, "Value": value} for key, value in lifecycle.status_tags(FAILED).items()
    ]
    assert expire["ExpirationInDays"] == {"Ref": "FailedOriginalDays"}
    assert set(expire) == {"Id", "Status", "Prefix", "TagFilters", "ExpirationInDays"}
    abort = rules["AbortIncompleteMultipartUploads"]
    assert abort["Status"] == "Enabled"
    assert abort["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 1}
    assert set(abort) == {"Id", "Status", "AbortIncompleteMultipartUpload"}  # whole bucket


@pytest.mark.parametrize(
    ("role", "tags"),
    [
        pytest.param("ResizeUploadRole", True, id="resize"),
        pytest.param("RecordFailureRole", True, id="failures"),
        pytest.param("ApiHandlerRole", False, id="api"),
    ],
)
def test_sam_roles_tag_only_originals(cfn, role, tags):
    (policy,) = cfn["Resources"][role]["Properties"]["Policies"]
    granted = _tagging(policy["PolicyDocument"]["Statement"])
    assert granted == (_tags_originals("prod") if tags else set())


def test_sam_template_passes_cfn_lint(sam):
    done = subprocess.run(
        [str(BIN / "cfn-lint"), str(sam / "sam.json")], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_cfn_lint_rejects_a_broken_template(sam, tmp_path):
    """The lint step can fail: a queue notification that points at no queue is caught."""
    template = json.loads((sam / "sam.json").read_text())
    bucket = template["Resources"]["ImagesBucket"]["Properties"]
    bucket["NotificationConfiguration"]["QueueConfigurations"][0]["Queue"] = {
        "Fn::GetAtt": ["NoSuchQueue", "Arn"]
    }
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(template))
    done = subprocess.run([str(BIN / "cfn-lint"), str(broken)], capture_output=True, text=True)
    assert done.returncode != 0
    assert "NoSuchQueue" in done.stdout


def test_sam_wires_only_the_queue_trigger(cfn):
    resources = cfn["Resources"]
    function = resources["ResizeUpload"]["Properties"]
    assert function["Handler"] == "app.resize_queued_upload"
    (source,) = function["Events"].values()
    assert source["Type"] == "SQS"
    assert source["Properties"]["BatchSize"] == 1
    queue = _stage_settings("prod").queue_name
    assert source["Properties"]["Queue"]["Fn::Sub"].endswith(f":{queue}")
    bucket = resources["ImagesBucket"]["Properties"]
    assert "LambdaConfigurations" not in bucket["NotificationConfiguration"]
    assert not [
        r
        for r in resources.values()
        if r["Type"] == "AWS::Lambda::Permission" and "s3" in json.dumps(r).lower()
    ]


def test_sam_bounds_the_resize_concurrency(cfn):
    function = cfn["Resources"]["ResizeUpload"]["Properties"]
    reserved = _function_config("prod", "resize_upload")["reserved_concurrency"]
    assert function["ReservedConcurrentExecutions"] == reserved
    (source,) = function["Events"].values()
    assert source["Properties"]["ScalingConfig"] == {"MaximumConcurrency": reserved}


def test_sam_failure_queue_feeds_the_recorder(cfn):
    function = cfn["Resources"]["RecordFailure"]["Properties"]
    assert function["Handler"] == "app.record_failures"
    (source,) = function["Events"].values()
    assert source["Properties"]["Queue"]["Fn::Sub"].endswith(
        f":{_stage_settings('prod').failure_queue_name}"
    )


def test_sam_resize_function_has_configured_memory_and_timeout(cfn):
    function = cfn["Resources"]["ResizeUpload"]["Properties"]
    configured = _function_config("prod", "resize_upload")
    assert function["MemorySize"] == configured["lambda_memory_size"]
    assert function["Timeout"] == configured["lambda_timeout"]
    assert function["Runtime"] == "python3.11"


def test_sam_bucket_notifies_the_queue_on_uploads_only(cfn):
    bucket = cfn["Resources"]["ImagesBucket"]
    assert bucket["Properties"]["BucketName"] == _stage_settings("prod").bucket
    (config,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert config["Queue"] == {"Fn::GetAtt": ["UploadQueue", "Arn"]}
    assert config["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "uploads/"}]
    # S3 checks that it may send to the queue when the notification is created.
    assert "UploadQueuePolicy" in bucket["DependsOn"]


def test_sam_queue_has_a_dead_letter_queue_and_outlasts_the_function(cfn):
    resources = cfn["Resources"]
    queue = resources["UploadQueue"]["Properties"]
    settings = _stage_settings("prod")
    assert queue["QueueName"] == settings.queue_name
    redrive = queue["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": ["UploadFailureQueue", "Arn"]}
    # The handler reads the count back from the queue; the template is its one source.
    assert redrive["maxReceiveCount"] == template_max_receives()
    timeout = _function_config("prod", "resize_upload")["lambda_timeout"]
    # AWS asks for at least six times the function timeout, or messages reappear mid-run.
    assert queue["VisibilityTimeout"] >= 6 * timeout
    assert resources["UploadFailureQueue"]["Type"] == "AWS::SQS::Queue"


def test_sam_queue_accepts_messages_only_from_the_bucket(cfn):
    policy = cfn["Resources"]["UploadQueuePolicy"]["Properties"]["PolicyDocument"]
    (statement,) = policy["Statement"]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    bucket = _stage_settings("prod").bucket
    assert statement["Condition"]["ArnEquals"]["aws:SourceArn"]["Fn::Sub"].endswith(
        f":s3:::{bucket}"
    )


def _distribution(cfn: dict[str, Any]) -> dict[str, Any]:
    (name,) = [
        n for n, r in cfn["Resources"].items() if r["Type"] == "AWS::CloudFront::Distribution"
    ]
    assert name == "ImagesDistribution"
    return dict(cfn["Resources"][name]["Properties"]["DistributionConfig"])


def test_sam_serves_variants_through_cloudfront_with_origin_access_control(cfn):
    resources = cfn["Resources"]
    config = _distribution(cfn)
    (origin,) = config["Origins"]
    # Origin access control, not the legacy identity: an OAI must be named here, and no
    # CloudFrontOriginAccessIdentity may exist beside it.
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["ImagesOriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"] == {"OriginAccessIdentity": ""}
    assert not [
        r
        for r in resources.values()
        if r["Type"] == "AWS::CloudFront::CloudFrontOriginAccessIdentity"
    ]
    control = resources["ImagesOriginAccessControl"]
    assert control["Type"] == "AWS::CloudFront::OriginAccessControl"
    assert control["Properties"]["OriginAccessControlConfig"] == {
        **control["Properties"]["OriginAccessControlConfig"],
        "OriginAccessControlOriginType": "s3",
        "SigningBehavior": "always",
        "SigningProtocol": "sigv4",
    }
    # The bucket's own regional name, spelled out: a GetAtt on the bucket would close a
    # cycle (bucket CORS -> API -> API function's environment -> distribution -> bucket).
    bucket = _stage_settings("prod").bucket
    assert origin["DomainName"] == {"Fn::Sub": f"{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}"}
    assert config["HttpVersion"] == "http2and3"
    assert config["Enabled"] is True
    behaviours = [config["DefaultCacheBehavior"], *config.get("CacheBehaviors", [])]
    for behaviour in behaviours:
        assert behaviour["TargetOriginId"] == origin["Id"]
        assert behaviour["ViewerProtocolPolicy"] == "redirect-to-https"
        assert behaviour["Compress"] is True
        assert set(behaviour["AllowedMethods"]) == {"GET", "HEAD"}
        assert behaviour["CachePolicyId"] == {"Ref": "ImagesCachePolicy"}


def test_sam_cache_policy_lets_the_origins_cache_control_decide(cfn):
    """MinTTL 0, so a manifest's `no-cache` is honoured (CloudFront holds anything for at
    least a MinTTL above 0, whatever the origin says); MaxTTL at least the variants'
    max-age, so `immutable` variants stay at the edges a whole year."""
    from chalicelib.manifests import CACHE_CONTROL as MANIFEST_CACHE_CONTROL
    from chalicelib.processor import VARIANT_CACHE_CONTROL

    policy = cfn["Resources"]["ImagesCachePolicy"]
    assert policy["Type"] == "AWS::CloudFront::CachePolicy"
    config = policy["Properties"]["CachePolicyConfig"]
    found = re.search(r"max-age=(\d+)", VARIANT_CACHE_CONTROL)
    assert found is not None
    max_age = int(found[1])
    assert "immutable" in VARIANT_CACHE_CONTROL and MANIFEST_CACHE_CONTROL == "no-cache"
    assert config["MinTTL"] == 0
    assert config["MaxTTL"] >= max_age
    assert config["MinTTL"] <= config["DefaultTTL"] <= config["MaxTTL"]
    key = config["ParametersInCacheKeyAndForwardedToOrigin"]
    # nothing a viewer sends splits the cache or reaches the bucket
    assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
    assert key["CookiesConfig"] == {"CookieBehavior": "none"}
    assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_sam_bucket_is_private_and_only_the_distribution_reads_variants(cfn):
    resources = cfn["Resources"]
    bucket = resources["ImagesBucket"]["Properties"]
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    (policy,) = [r for r in resources.values() if r["Type"] == "AWS::S3::BucketPolicy"]
    assert policy["Properties"]["Bucket"] == {"Ref": "ImagesBucket"}
    (statement,) = policy["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert statement["Action"] == "s3:GetObject"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:s3:::${ImagesBucket}/images/*"
    }
    # Only this stack's distribution: any CloudFront distribution of any account could
    # otherwise read the bucket through the service principal.
    assert statement["Condition"] == {
        "StringEquals": {
            "AWS:SourceArn": {
                "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
                ":distribution/${ImagesDistribution}"
            }
        }
    }
    cors = bucket["CorsConfiguration"]["CorsRules"]
    upload_rule = next(rule for rule in cors if "POST" in rule["AllowedMethods"])
    assert "*" not in upload_rule["AllowedOrigins"]


def _policy_documents(node: Any) -> list[dict[str, Any]]:
    """Every policy document anywhere in a template (role, inline, bucket and queue)."""
    if isinstance(node, dict):
        found = [node] if "Statement" in node else []
        return found + [d for value in node.values() for d in _policy_documents(value)]
    if isinstance(node, list):
        return [d for value in node for d in _policy_documents(value)]
    return []


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


#: A resource name that is only a wildcard, or a resource type and one (`table/*`,
#: `distribution/*`): every resource of that kind.
EVERY_ONE = re.compile(r"[A-Za-z-]*[/:]?\*")


def _names_every_one(resource: Any) -> bool:
    """Whether a statement's resource is `*`, or all of some kind of resource. An S3 ARN
    names its bucket first (`${Bucket}/images/*` is the objects under one prefix of one
    bucket); other ARNs name a resource type first. `${...}` placeholders stand for one
    resource of the stack; a `Ref` or `GetAtt` is one."""
    if isinstance(resource, dict):
        if "Fn::GetAtt" in resource or "Ref" in resource:
            return False
        resource = resource["Fn::Sub"]
    arn = re.sub(r"\$\{[^}]+\}", "X", str(resource))
    parts = arn.split(":", 5)
    if arn == "*" or len(parts) < 6:
        return True
    name = parts[5]
    if parts[2] == "s3":
        return name.startswith("*")
    return EVERY_ONE.fullmatch(name) is not None


@pytest.mark.parametrize(
    ("resource", "every_one"),
    [
        pytest.param("*", True, id="star"),
        pytest.param("arn:aws:s3:::*", True, id="every-bucket"),
        pytest.param("arn:aws:sqs:*:*:*", True, id="every-queue"),
        pytest.param("arn:aws:dynamodb:*:*:table/*", True, id="every-table"),
        pytest.param({"Fn::Sub": "arn:${P}:cloudfront::${A}:distribution/*"}, True, id="every-cdn"),
        pytest.param({"Fn::Sub": "arn:${P}:s3:::${Bucket}/images/*"}, False, id="one-prefix"),
        pytest.param({"Fn::Sub": "arn:${P}:cloudfront::${A}:distribution/${D}"}, False, id="one"),
        pytest.param("arn:aws:sqs:*:*:picset-prod-uploads", False, id="one-queue-by-name"),
        pytest.param("arn:aws:logs:*:*:log-group:/aws/lambda/x:*", False, id="one-log-group"),
        pytest.param({"Fn::GetAtt": ["UploadQueue", "Arn"]}, False, id="getatt"),
    ],
)
def test_what_counts_as_every_resource(resource, every_one):
    assert _names_every_one(resource) is every_one


def test_no_policy_in_the_template_grants_everyone_everything_or_anything(cfn):
    """No statement of any policy in the packaged template (roles, their inline policies,
    the bucket's and the queue's) has `*` as its principal, any wildcard in an action,
    or `*` (or all of a kind, `table/*`) for its resource. Wildcards inside a name stay
    (`images/*`, a log group's streams), as do region and account wildcards in identity
    policies (`arn:aws:sqs:*:*:picset-prod-uploads`): a role acts in its own account
    only, and the name still picks the one queue, table, bus or log group. Every AWS
    service picset calls takes resource-level permissions, so none needs `"Resource": "*"`."""
    documents = _policy_documents(cfn["Resources"])
    statements = [s for d in documents for s in d["Statement"]]
    assert len(statements) > 20  # the roles', the bucket's, the queue's
    for statement in statements:
        assert statement["Effect"] == "Allow"
        assert not {"NotPrincipal", "NotAction", "NotResource"} & set(statement)
        principal = statement.get("Principal")
        assert principal is None or set(principal) == {"Service"}, statement
        for name in _listed(principal["Service"] if principal else []):
            assert name.endswith(".amazonaws.com") and "*" not in name
        for action in _listed(statement["Action"]):
            assert "*" not in action, statement
        if "Resource" not in statement:
            assert statement["Action"] == "sts:AssumeRole"  # a trust policy names no resource
            continue
        for resource in _listed(statement["Resource"]):
            assert not _names_every_one(resource), statement


def test_sam_api_links_the_distribution_and_may_invalidate_only_it(cfn):
    resources = cfn["Resources"]
    variables = resources["APIHandler"]["Properties"]["Environment"]["Variables"]
    # the stack's output is what the API links variants to
    assert variables["PICSET_PUBLIC_BASE_URL"] == cfn["Outputs"]["VariantBaseURL"]["Value"]
    assert variables["PICSET_DISTRIBUTION_ID"] == {"Ref": "ImagesDistribution"}
    assert cfn["Outputs"]["DistributionId"]["Value"] == {"Ref": "ImagesDistribution"}
    grants = [r for r in resources.values() if "cloudfront:" in json.dumps(r.get("Properties", {}))]
    (grant,) = [g for g in grants if g["Type"].startswith("AWS::IAM::")]
    assert grant == resources["ApiInvalidatesDeletedImages"]
    assert grant["Type"] == "AWS::IAM::RolePolicy"
    assert grant["Properties"]["RoleName"] == {"Ref": "ApiHandlerRole"}
    (statement,) = grant["Properties"]["PolicyDocument"]["Statement"]
    assert statement["Action"] == "cloudfront:CreateInvalidation"
    assert statement["Resource"] == {
        "Fn::Sub": "arn:${AWS::Partition}:cloudfront::${AWS::AccountId}"
        ":distribution/${ImagesDistribution}"
    }
    for name in ("ResizeUpload", "RecordFailure"):
        env = resources[name]["Properties"]["Environment"]["Variables"]
        assert "PICSET_DISTRIBUTION_ID" not in env  # only the API deletes


def test_sam_outputs_the_variant_base_url(cfn):
    value = cfn["Outputs"]["VariantBaseURL"]["Value"]
    assert value == {
        "Fn::If": [
            "HasCdnDomain",
            {"Fn::Sub": "https://${CdnDomainName}/"},
            {"Fn::Sub": "https://${ImagesDistribution.DomainName}/"},
        ]
    }


@pytest.mark.parametrize(
    ("role", "policy_file"),
    [
        pytest.param("ResizeUploadRole", "policy-prod-resize.json", id="resize"),
        pytest.param("RecordFailureRole", "policy-prod-failures.json", id="failures"),
        pytest.param("ApiHandlerRole", "policy-prod.json", id="api"),
    ],
)
def test_sam_roles_carry_the_hand_written_policies(cfn, role, policy_file):
    (policy,) = cfn["Resources"][role]["Properties"]["Policies"]
    assert policy["PolicyDocument"] == _policy(policy_file)


# --- the deployment package -------------------------------------------------------------


def _glibc_needed(data: bytes) -> tuple[int, int]:
    versions = {(2, int(minor)) for minor in re.findall(rb"GLIBC_2\.(\d+)", data)}
    return max(versions, default=(2, 0))


def test_native_libraries_load_on_the_runtime_glibc(terraform):
    with zipfile.ZipFile(terraform / "deployment.zip") as bundle:
        shared = [name for name in bundle.namelist() if re.search(r"\.so(\.|$)", name)]
        assert any(name.startswith("PIL/_imaging.") for name in shared)
        assert any("pillow_heif" in name for name in shared)
        needed = {name: _glibc_needed(bundle.read(name)) for name in shared}
    too_new = {name: v for name, v in needed.items() if v > RUNTIME_GLIBC}
    assert not too_new


def test_package_holds_the_app_and_not_the_dev_tools(terraform):
    with zipfile.ZipFile(terraform / "deployment.zip") as bundle:
        names = set(bundle.namelist())
    assert {
        "app.py",
        "chalicelib/processor.py",
        "chalicelib/templates/image.html",
        # The colour step reads it at run time for CMYK files without a profile.
        "chalicelib/profiles/cmyk-fallback.icc",
        # `GET /api/schemas/manifest.v1.json` serves it.
        "chalicelib/schemas/manifest.v1.json",
    } <= names
    assert not [n for n in names if n.startswith(("dev/", "tests/", "boto3/", "botocore/"))]


@pytest.mark.parametrize("distribution", ["pillow", "pillow_heif", "jinja2"])
def test_package_runs_the_versions_the_tests_run(terraform, distribution):
    with zipfile.ZipFile(terraform / "deployment.zip") as bundle:
        (info,) = {
            name.split("/")[0]
            for name in bundle.namelist()
            if name.lower().startswith(f"{distribution}-") and ".dist-info/" in name
        }
    packaged = info[len(distribution) + 1 : -len(".dist-info")]
    assert packaged == importlib.metadata.version(distribution)


#: What the python3.11 Lambda runtime provides besides the standard library.
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "dateutil", "urllib3", "six")


def runtime_site(folder: Path) -> Path:
    """A folder holding only what the Lambda runtime adds (boto3 and its dependencies),
    linked from this environment."""
    folder.mkdir()
    for name in RUNTIME_PACKAGES:
        spec = importlib.util.find_spec(name)
        assert spec is not None and spec.origin is not None, name
        origin = Path(spec.origin)
        source = origin.parent if origin.name == "__init__.py" else origin
        (folder / source.name).symlink_to(source)
    return folder


def test_packaged_code_turns_a_photo_into_variants(terraform, tmp_path):
    """Run the processor from the unzipped package alone, plus what the runtime provides:
    no site-packages, so a dependency missing from requirements.txt fails here."""
    task = tmp_path / "task"
    with zipfile.ZipFile(terraform / "deployment.zip") as bundle:
        bundle.extractall(task)
    runtime = runtime_site(tmp_path / "runtime")
    script = """
import io, json
from PIL import Image
import PIL
from chalicelib import keys
from chalicelib.processor import Processor, UploadRecord
from chalicelib.settings import Settings
from chalicelib.storage import ObjectInfo
import app  # the handler module itself imports with the stage's settings

class MemoryStorage:  # dev/ is not deployed, so the package's test keeps its own
    def __init__(self):
        self.objects = {}
    def head(self, key):
        found = self.objects.get(key)
        return found[0] if found else None
    def get(self, key):
        return self.objects.get(key)
    def put(self, key, body, *, content_type, cache_control=None, metadata=None,
            if_match=None, if_none_match=False):
        self.objects[key] = (ObjectInfo(key, len(body), str(hash(body)), content_type), body)
    def delete(self, keys):
        for key in keys:
            self.objects.pop(key, None)
    def list_keys(self, prefix):
        return sorted(k for k in self.objects if k.startswith(prefix))
    def tag(self, key, tags):
        return key in self.objects

image = Image.linear_gradient("L").resize((900, 600)).convert("RGB")
buffer = io.BytesIO()
image.save(buffer, "JPEG")
storage = MemoryStorage()
key = keys.upload_key(keys.new_image_id())
storage.put(key, buffer.getvalue(), content_type="image/jpeg")
outcome = Processor(storage, Settings.from_env({})).process(UploadRecord(key))
print(json.dumps({"status": outcome.status, "pil": PIL.__file__,
                  "formats": sorted({v.format for v in outcome.manifest.variants})}))
"""
    prelude = f"import sys; sys.path[:0] = [{str(task)!r}, {str(runtime)!r}]\n"
    env = {"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"}
    env.update(_config()["stages"]["dev"]["environment_variables"])
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", prelude + script],
        cwd=task,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["pil"].startswith(str(task))
    assert result == {**result, "status": "ready", "formats": ["avif", "jpeg", "webp"]}
