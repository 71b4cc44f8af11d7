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

MAX_RECEIVES = 3  # deliveries before a message goes to the dead-letter queue
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


def bootstrap(
    s3: Any,
    sqs: Any,
    settings: Settings,
    *,
    visibility_timeout: int = VISIBILITY_TIMEOUT,
    max_receives: int = MAX_RECEIVES,
) -> Queues:
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
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration=cors_rules(settings.allowed_origins))
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(public_read_policy(bucket)))

    dead = sqs.create_queue(QueueName=f"{settings.queue_name}-dlq")["QueueUrl"]
    dead_arn = sqs.get_queue_attributes(QueueUrl=dead, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    url = sqs.create_queue(
        QueueName=settings.queue_name,
        Attributes={
            "VisibilityTimeout": str(visibility_timeout),
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_arn, "maxReceiveCount": str(max_receives)}
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
