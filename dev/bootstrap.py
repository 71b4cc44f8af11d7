"""Create what AWS would have: the bucket, its CORS rules, public read on `images/` only,
the upload queue (with a dead-letter queue), and the S3 -> SQS notification for
`uploads/`. Idempotent, so it can run on every start, against moto or LocalStack.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from chalicelib import keys
from chalicelib.settings import Settings

VISIBILITY_TIMEOUT = 60


@dataclass(frozen=True)
class Queues:
    url: str
    arn: str
    dead_letter_url: str


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


def prepare_bucket(s3: Any, settings: Settings) -> None:
    """The bucket, its CORS rules and public read on `images/` only. Also what the direct
    trigger (`chalice deploy`, Terraform) needs before deploying: Chalice wires the
    notification but does not create the bucket."""
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


def bootstrap(
    s3: Any,
    sqs: Any,
    settings: Settings,
    *,
    visibility_timeout: int = VISIBILITY_TIMEOUT,
    max_receives: int | None = None,
) -> Queues:
    """`max_receives` defaults to `PICSET_QUEUE_MAX_RECEIVES`, as in the deployed queue."""
    bucket = settings.bucket
    prepare_bucket(s3, settings)

    dead = sqs.create_queue(QueueName=f"{settings.queue_name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=settings.queue_name,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {
                    "deadLetterTargetArn": dead_arn,
                    "maxReceiveCount": str(max_receives or settings.queue_max_receives),
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
