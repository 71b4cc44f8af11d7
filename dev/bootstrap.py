"""Create what AWS would have: the bucket, its CORS rules, public read on `images/` only,
its lifecycle rules (failed originals expire, incomplete multipart uploads are aborted),
the upload queue (its dead-letter queue is the failure queue), the S3 -> SQS
notification for `uploads/`, and the records table with its `by-id` index (moto only).
Idempotent, so it can run on every start, against moto or LocalStack. For a developer,
`events_queue` also subscribes a queue to picset's events, as a site would.

The upload queue's `maxReceiveCount` and the days before an incomplete multipart upload is
aborted are read from the queued stage's template (`deploy/sam-prod.json`), the one place
each is set; the code reads the count back from the queue.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib import events, keys, lifecycle, records
from chalicelib.manifest import FAILED
from chalicelib.settings import Settings

VISIBILITY_TIMEOUT = 60
TEMPLATE = Path(__file__).resolve().parent.parent / "deploy" / "sam-prod.json"
#: Seconds beyond the last delivery's window for the failure to be recorded and seen.
BOUND_MARGIN = 60


def template_max_receives(template: Path = TEMPLATE) -> int:
    """The upload queue's `maxReceiveCount` in the deployed template."""
    resources = json.loads(template.read_text())["Resources"]
    return int(resources["UploadQueue"]["Properties"]["RedrivePolicy"]["maxReceiveCount"])


def template_abort_multipart_days(template: Path = TEMPLATE) -> int:
    """Days the deployed template lets an incomplete multipart upload live."""
    bucket = json.loads(template.read_text())["Resources"]["ImagesBucket"]["Properties"]
    rules = bucket["LifecycleConfiguration"]["Rules"]
    (rule,) = [rule for rule in rules if "AbortIncompleteMultipartUpload" in rule]
    return int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])


def processing_bound(deliveries: int, window_seconds: int, margin: int = BOUND_MARGIN) -> int:
    """Longest an upload can stay without an answer: every delivery may use its whole
    window (a queue's visibility timeout, or a function's timeout plus the wait before
    the next try), then the failure is recorded."""
    return deliveries * window_seconds + margin


@dataclass(frozen=True)
class Queues:
    url: str
    arn: str
    failure_url: str


def public_read_policy(bucket: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "PublicReadVariants",
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{bucket}/{keys.IMAGES_PREFIX}*",
            }
        ],
    }


def cors_rules(origins: tuple[str, ...]) -> dict[str, Any]:
    return {
        "CORSRules": [
            {
                "AllowedOrigins": list(origins),
                "AllowedMethods": ["POST"],
                "AllowedHeaders": ["*"],
                "ExposeHeaders": ["ETag", "Location"],
                "MaxAgeSeconds": 3000,
            },
            {"AllowedOrigins": ["*"], "AllowedMethods": ["GET", "HEAD"], "AllowedHeaders": ["*"]},
        ]
    }


def lifecycle_rules(settings: Settings) -> dict[str, Any]:
    """The bucket's lifecycle rules, as the prod template declares them (a test compares
    the two): originals tagged `failed` expire `PICSET_FAILED_ORIGINAL_DAYS` after upload,
    and a multipart upload still incomplete a day after it began is aborted."""
    failed = [{"Key": key, "Value": value} for key, value in lifecycle.status_tags(FAILED).items()]
    return {
        "Rules": [
            {
                "ID": "ExpireFailedOriginals",
                "Status": "Enabled",
                # The prefix as well as the tag: nothing outside `uploads/` can ever match.
                "Filter": {"And": {"Prefix": keys.UPLOAD_PREFIX, "Tags": failed}},
                "Expiration": {"Days": settings.failed_original_days},
            },
            {
                "ID": "AbortIncompleteMultipartUploads",
                "Status": "Enabled",
                "Filter": {"Prefix": ""},
                "AbortIncompleteMultipartUpload": {
                    "DaysAfterInitiation": template_abort_multipart_days()
                },
            },
        ]
    }


def prepare_bucket(s3: Any, settings: Settings) -> None:
    """The bucket, its CORS rules, public read on `images/` only and its lifecycle rules.
    Also what the direct trigger (`chalice deploy`, Terraform) needs before deploying:
    Chalice wires the notification but does not create the bucket, so this is where the
    dev bucket gets its lifecycle rules too."""
    bucket = settings.bucket
    try:
        if settings.region == "us-east-1":
            s3.create_bucket(Bucket=bucket)
        else:
            s3.create_bucket(
                Bucket=bucket,
                CreateBucketConfiguration={"LocationConstraint": settings.region},
            )
    except s3.exceptions.BucketAlreadyOwnedByYou:
        pass
    # New AWS buckets block public policies; allow exactly one (read on `images/`) and keep
    # ACLs blocked, so nothing else in the bucket can be made public.
    s3.put_public_access_block(
        Bucket=bucket,
        PublicAccessBlockConfiguration={
            "BlockPublicAcls": True,
            "IgnorePublicAcls": True,
            "BlockPublicPolicy": False,
            "RestrictPublicBuckets": False,
        },
    )
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_rules(settings.allowed_origins))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket, LifecycleConfiguration=lifecycle_rules(settings)
    )


#: The direct trigger's asynchronous retries: Lambda's default two, and events older than
#: six minutes (throttled by the concurrency bound, say) go to the failure queue.
ASYNC_RETRIES = 2
ASYNC_MAX_EVENT_AGE = 360


def failure_destination(queue_arn: str) -> dict[str, Any]:
    """The direct trigger's event invoke config (as `deploy/terraform-dev/` declares it)."""
    return {
        "MaximumRetryAttempts": ASYNC_RETRIES,
        "MaximumEventAgeInSeconds": ASYNC_MAX_EVENT_AGE,
        "DestinationConfig": {"OnFailure": {"Destination": queue_arn}},
    }


def failure_queue(sqs: Any, name: str) -> str:
    """Create (or find) the failure queue; its ARN. Fourteen days to inspect it."""
    url = sqs.create_queue(QueueName=name, Attributes={"MessageRetentionPeriod": "1209600"})[
        "QueueUrl"
    ]
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return str(attributes["Attributes"]["QueueArn"])


TTL_ATTRIBUTE = "expires_at"


def create_table(dynamodb: Any, name: str) -> None:
    """The records table as the deployed templates declare it (keys, the `by-id` index,
    TTL on the quota counters); nothing if it exists."""
    try:
        dynamodb.create_table(
            TableName=name,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[
                {"AttributeName": name_, "AttributeType": "S"}
                for name_ in (records.PK, records.SK, "id")
            ],
            KeySchema=[
                {"AttributeName": records.PK, "KeyType": "HASH"},
                {"AttributeName": records.SK, "KeyType": "RANGE"},
            ],
            GlobalSecondaryIndexes=[
                {
                    "IndexName": records.ID_INDEX,
                    "KeySchema": [{"AttributeName": "id", "KeyType": "HASH"}],
                    "Projection": {"ProjectionType": "ALL"},
                }
            ],
        )
    except dynamodb.exceptions.ResourceInUseException:
        return
    dynamodb.get_waiter("table_exists").wait(TableName=name)
    dynamodb.update_time_to_live(
        TableName=name,
        TimeToLiveSpecification={"Enabled": True, "AttributeName": TTL_ATTRIBUTE},
    )


def bootstrap(
    s3: Any,
    sqs: Any,
    settings: Settings,
    *,
    visibility_timeout: int = VISIBILITY_TIMEOUT,
    max_receives: int | None = None,
    dynamodb: Any = None,
) -> Queues:
    """`max_receives` defaults to the deployed template's `maxReceiveCount`; the table
    is created when a `dynamodb` client is given."""
    bucket = settings.bucket
    prepare_bucket(s3, settings)
    if dynamodb is not None:
        create_table(dynamodb, settings.table_name)

    dead_arn = failure_queue(sqs, settings.failure_queue_name)
    dead = sqs.get_queue_url(QueueName=settings.failure_queue_name)["QueueUrl"]
    url = sqs.create_queue(
        QueueName=settings.queue_name,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_arn,
                    "maxReceiveCount": str(max_receives or template_max_receives()),
                }
            ),
        },
    )["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "picset-uploads",
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {
                        "Key": {"FilterRules": [{"Name": "prefix", "Value": keys.UPLOAD_PREFIX}]}
                    },
                }
            ]
        },
    )
    return Queues(url, arn, dead)


#: The local subscriber to picset's events: a rule on the bus and the queue it feeds.
EVENTS_QUEUE = "picset-events"
EVENTS_RULE = "picset-events-to-queue"


def events_pattern() -> dict[str, Any]:
    """The rule's pattern: every event picset sends, and nothing else on the bus."""
    return {"source": [events.SOURCE]}


def events_queue(eventbridge: Any, sqs: Any, bus: str, queue_name: str = EVENTS_QUEUE) -> str:
    """A queue that receives every picset event on `bus`, through a rule as a site would
    make one (with the queue policy AWS needs for it); the queue's URL. `sqs` must be on
    the same emulator as `eventbridge`: the rule delivers to a queue of its own server."""
    url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    rule_arn = eventbridge.put_rule(
        Name=EVENTS_RULE,
        EventBusName=bus,
        EventPattern=json.dumps(events_pattern()),
        State="ENABLED",
        Description="picset's events, for a developer to read",
    )["RuleArn"]
    # Only this rule may send to the queue (AWS checks it; the emulators do not).
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Resource": arn,
                "Condition": {"ArnEquals": {"aws:SourceArn": rule_arn}},
            }
        ],
    }
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    eventbridge.put_targets(
        Rule=EVENTS_RULE, EventBusName=bus, Targets=[{"Id": queue_name, "Arn": arn}]
    )
    return str(url)


@dataclass(frozen=True)
class Identity:
    pool_id: str
    client_id: str


#: The local pool's password rules: Cognito's defaults, which moto enforces too.
PASSWORD_POLICY = {
    "MinimumLength": 8,
    "RequireUppercase": True,
    "RequireLowercase": True,
    "RequireNumbers": True,
    "RequireSymbols": True,
}


def identity(cognito: Any, pool_name: str) -> Identity:
    """The user pool and its app client (no secret; USER_PASSWORD_AUTH, as the deployed
    client), created once and found again by name."""
    pools = cognito.list_user_pools(MaxResults=60)["UserPools"]
    found = next((p["Id"] for p in pools if p["Name"] == pool_name), None)
    if found is None:
        found = cognito.create_user_pool(
            PoolName=pool_name,
            Policies={"PasswordPolicy": PASSWORD_POLICY},
            AdminCreateUserConfig={"AllowAdminCreateUserOnly": True},
        )["UserPool"]["Id"]
    clients = cognito.list_user_pool_clients(UserPoolId=found, MaxResults=60)["UserPoolClients"]
    client = next((c["ClientId"] for c in clients if c["ClientName"] == pool_name), None)
    if client is None:
        client = cognito.create_user_pool_client(
            UserPoolId=found,
            ClientName=pool_name,
            GenerateSecret=False,
            ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
        )["UserPoolClient"]["ClientId"]
    return Identity(found, client)


def ensure_user(cognito: Any, pool_id: str, username: str, password: str) -> None:
    """A confirmed user with this password (set again if the user exists)."""
    with contextlib.suppress(cognito.exceptions.UsernameExistsException):
        cognito.admin_create_user(UserPoolId=pool_id, Username=username, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )
