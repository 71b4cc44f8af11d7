"""picset's Chalice app: routes and event handlers only.

Each handler parses its input, calls one `chalicelib` function, and maps domain errors
to HTTP in one place (`_error_response`). Clients are created lazily so tests can swap
them. The imaging stack (Pillow, pillow-heif, behind `chalicelib.processor`) is imported
only inside the event handlers: the API function never loads it, so its cold starts do
not pay for it.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from chalice import Chalice, Response
from chalice.app import S3Event, SQSEvent

from chalicelib import (
    assets,
    aws,
    cdn,
    contracts,
    events,
    failures,
    identity,
    images,
    keys,
    library,
    oembed,
    pages,
    queued,
    tickets,
)
from chalicelib.errors import RequestError, Unauthorized
from chalicelib.settings import Settings
from chalicelib.storage import S3Storage, Storage
from chalicelib.web import page_url, site_root

if TYPE_CHECKING:
    from chalicelib.processor import Processor

SETTINGS = Settings.from_env(os.environ)

app = Chalice(app_name="picset")
app.log.setLevel(logging.INFO)
logging.getLogger("picset").setLevel(logging.INFO)

_clients: dict[str, Any] = {}


def get_s3() -> Any:
    if "s3" not in _clients:
        _clients["s3"] = aws.client("s3", SETTINGS)
    return _clients["s3"]


def get_sqs() -> Any:
    if "sqs" not in _clients:
        _clients["sqs"] = aws.client("sqs", SETTINGS)
    return _clients["sqs"]


def get_cognito() -> Any:
    if "cognito-idp" not in _clients:
        _clients["cognito-idp"] = aws.client("cognito-idp", SETTINGS)
    return _clients["cognito-idp"]


def get_verifier() -> identity.Verifier:
    """The pool's token checker, kept for the container's life (it caches the JWKS)."""
    if "verifier" not in _clients:
        pool, client = SETTINGS.user_pool_id, SETTINGS.user_pool_client_id
        if not pool or not client:
            raise Unauthorized()  # no pool configured: nobody can be verified
        _clients["verifier"] = identity.Verifier(
            identity.issuer_of(SETTINGS.region, pool),
            client,
            identity.jwks_url(SETTINGS.region, pool, SETTINGS.endpoint_for("cognito-idp")),
        )
    verifier: identity.Verifier = _clients["verifier"]
    return verifier


def current_caller() -> identity.Caller:
    """The verified caller of this request; `Unauthorized` (401) otherwise."""
    request = app.current_request
    assert request is not None
    return get_verifier().verify(identity.bearer_token(request.headers))


def get_dynamodb() -> Any:
    if "dynamodb" not in _clients:
        _clients["dynamodb"] = aws.client("dynamodb", SETTINGS)
    return _clients["dynamodb"]


def get_events() -> Any:
    if "events" not in _clients:
        _clients["events"] = aws.client("events", SETTINGS)
    return _clients["events"]


def get_cloudfront() -> Any:
    if "cloudfront" not in _clients:
        _clients["cloudfront"] = aws.client("cloudfront", SETTINGS)
    return _clients["cloudfront"]


def get_storage() -> Storage:
    return S3Storage(get_s3(), SETTINGS.bucket)


def get_processor() -> Processor:
    from chalicelib.processor import Processor  # the imaging stack: resize functions only

    return Processor(get_storage(), SETTINGS, announce=events.announcer(get_events, SETTINGS))


_max_receives: dict[str, int | None] = {}


def max_receives_of(queue_arn: str) -> int | None:
    """The queue's `maxReceiveCount`, read from the queue once per container."""
    if queue_arn not in _max_receives:
        _max_receives[queue_arn] = queued.max_receives(get_sqs(), queue_arn)
    return _max_receives[queue_arn]


def now() -> datetime:
    return datetime.now(UTC)


def _json(body: Any, status: int = 200) -> Response:
    return Response(
        body=json.dumps(body),
        status_code=status,
        headers={"Content-Type": "application/json", "Cache-Control": "no-store"},
    )


def _html(page: pages.Page) -> Response:
    return Response(
        body=page.html,
        status_code=page.status,
        headers={
            "Content-Type": "text/html; charset=utf-8",
            "Cache-Control": "no-store",
            "Content-Security-Policy": pages.CONTENT_SECURITY_POLICY,
        },
    )


def _error_response(error: RequestError) -> Response:
    response = _json({"error": {"code": error.code, "message": error.message}}, error.status)
    response.headers.update(error.headers)
    return response


def _root() -> str:
    request = app.current_request
    assert request is not None
    return site_root(SETTINGS.site_url, request.headers, request.context)


@app.route("/", methods=["GET"])
def upload_page() -> Response:
    return _html(pages.upload_page(SETTINGS))


@app.route("/library", methods=["GET"])
def library_page() -> Response:
    return _html(pages.library_page())


@app.route("/assets/{name}", methods=["GET"])
def asset(name: str) -> Response:
    found = assets.load(name)
    if found is None:
        return _error_response(RequestError("not_found", "No such asset.", 404))
    request = app.current_request
    query: Mapping[str, str] = (request.query_params if request is not None else None) or {}
    return Response(
        body=found.body,
        status_code=200,
        headers={
            "Content-Type": found.content_type,
            "Cache-Control": found.cache_control(query.get("v")),
            "X-Content-Type-Options": "nosniff",
        },
    )


def _json_body() -> Any:
    request = app.current_request
    assert request is not None
    try:
        return json.loads(request.raw_body or b"")
    except ValueError:
        raise RequestError("bad_json", "The request body is not valid JSON.") from None


@app.route("/api/session", methods=["POST"], content_types=["application/json"])
def create_session() -> Response:
    """Sign in: a username and password for an access token (Cognito's)."""
    try:
        username, password = identity.parse_credentials(_json_body())
        if not SETTINGS.user_pool_client_id:
            raise identity.SignInUnavailable()
        session = identity.sign_in(get_cognito(), SETTINGS.user_pool_client_id, username, password)
    except RequestError as error:
        return _error_response(error)
    return _json(session)


@app.route("/api/uploads", methods=["POST"], content_types=["application/json"])
def create_upload() -> Response:
    request = app.current_request
    assert request is not None
    try:
        caller = current_caller()  # only signed-in people upload
        ticket_request = tickets.parse_request(_json_body(), SETTINGS)
        image_id = keys.new_image_id()
        # the quota is reserved and the owner recorded before any ticket exists
        library.record_upload(get_dynamodb(), SETTINGS, caller, ticket_request, image_id, now())
    except RequestError as error:
        return _error_response(error)
    ticket = tickets.issue_ticket(get_s3(), SETTINGS, ticket_request, image_id)
    root = _root()
    ticket["status_url"] = f"{root}api/images/{image_id}"
    ticket["page_url"] = page_url(root, image_id)
    return _json(ticket, 201)


@app.route("/api/images", methods=["GET"])
def my_images() -> Response:
    """The caller's images, newest first; `limit` (1-50) and `cursor` page through."""
    request = app.current_request
    assert request is not None
    query: Mapping[str, str] = request.query_params or {}
    try:
        listing = library.list_images(
            get_dynamodb(),
            get_storage(),
            SETTINGS,
            current_caller(),
            limit=library.parse_limit(query.get("limit")),
            cursor=query.get("cursor"),
            root=_root(),
            now=now(),
        )
    except RequestError as error:
        return _error_response(error)
    return _json(listing)


@app.route("/api/images/{image_id}", methods=["PATCH"], content_types=["application/json"])
def change_alt(image_id: str) -> Response:
    try:
        changed = library.change_alt(
            get_dynamodb(),
            get_storage(),
            SETTINGS,
            current_caller(),
            image_id,
            _json_body(),
            root=_root(),
            now=now(),
        )
    except RequestError as error:
        return _error_response(error)
    return _json(changed)


@app.route("/api/images/{image_id}", methods=["DELETE"])
def delete_image(image_id: str) -> Response:
    try:
        library.delete_image(
            get_dynamodb(),
            get_storage(),
            SETTINGS,
            current_caller(),
            image_id,
            invalidate=cdn.invalidator(get_cloudfront, SETTINGS),
        )
    except RequestError as error:
        return _error_response(error)
    return Response(body="", status_code=204, headers={"Cache-Control": "no-store"})


@app.route("/api/images/{image_id}", methods=["GET"])
def image_status(image_id: str) -> Response:
    try:
        state = images.lookup(get_storage(), image_id, now(), SETTINGS.processing_timeout_seconds)
    except RequestError as error:
        return _error_response(error)
    if state.manifest is None:
        return _json({"id": image_id, "status": state.status}, 202)
    response = _json(state.manifest.to_dict())
    # RFC 8288: the document this answer is an instance of
    schema = f"{_root()}{contracts.path_of(contracts.MANIFEST)}"
    response.headers["Link"] = f'<{schema}>; rel="describedby"'
    return response


@app.route("/api/schemas/{name}", methods=["GET"])
def schema(name: str) -> Response:
    """A published JSON Schema (`chalicelib/schemas/`), e.g. `manifest.v1.json`."""
    body = contracts.load(name)
    if body is None:
        return _error_response(RequestError("not_found", "No such schema.", 404))
    return Response(
        body=body.decode(),
        status_code=200,
        headers={
            "Content-Type": contracts.CONTENT_TYPE,
            "Cache-Control": contracts.CACHE_CONTROL,
            "X-Content-Type-Options": "nosniff",
        },
    )


@app.route("/images/{image_id}", methods=["GET"])
def image_page(image_id: str) -> Response:
    return _html(pages.image_page(get_storage(), SETTINGS, image_id, now(), _root()))


# Open to any origin (`Access-Control-Allow-Origin: *`, no credentials): what it answers
# is public (the page shows the same), and browser-side embedders may fetch it too.
@app.route("/api/oembed", methods=["GET"], cors=True)
def oembed_for_page() -> Response:
    """oEmbed 1.0: a picture page's URL in, its `<picture>` snippet out (`rich`)."""
    request = app.current_request
    assert request is not None
    query: Mapping[str, str] = request.query_params or {}
    try:
        body = oembed.respond(get_storage(), SETTINGS, query, _root(), now())
    except RequestError as error:
        return _error_response(error)
    return _json(body)


# Exactly one trigger is wired per stage (`PICSET_TRIGGER`), so an upload is never
# processed twice; both are the Lambda function `resize_upload` and run the same processor.
if SETTINGS.trigger == "sqs":

    @app.on_sqs_message(queue=SETTINGS.queue_name, batch_size=1, name="resize_upload")
    def resize_queued_upload(event: SQSEvent) -> None:
        """The resize function behind a queue: one S3 event per message, retried by SQS.
        One message per invocation, so a slow or failing image holds up only itself."""
        queued.handle(event.to_dict(), get_processor(), max_receives_of)

else:

    @app.on_s3_event(
        bucket=SETTINGS.bucket, events=["s3:ObjectCreated:*"], prefix=keys.UPLOAD_PREFIX
    )
    def resize_upload(event: S3Event) -> None:
        """The resize function: every record of the event, through the one processor."""
        get_processor().handle_event(event.to_dict())


@app.on_sqs_message(queue=SETTINGS.failure_queue_name, batch_size=10, name="record_failure")
def record_failures(event: SQSEvent) -> None:
    """Upload events no delivery answered (the dead-letter queue, or the direct trigger's
    failure destination) become `failed` manifests, so no image waits forever."""
    failures.handle(event.to_dict(), get_processor())
