"""The domain's one exception hierarchy.

Every way an upload can fail has a stable `code` (it ends up in the manifest and in the
API) and a `message` fit for the person who uploaded the file. Internal detail (what a
decoder said, a stack trace) goes in `detail`, which is logged but never shown, so a
hostile file cannot make the page echo decoder internals.
"""

from __future__ import annotations

from . import formats


class PicsetError(Exception):
    """Base of every expected failure; subclasses fix `code` and the default message."""

    code = "internal"
    message = "Something went wrong while processing this image. Please try again."

    def __init__(self, message: str | None = None, *, detail: str = "") -> None:
        if message is not None:
            self.message = message
        self.detail = detail
        super().__init__(f"{self.code}: {self.message}" + (f" ({detail})" if detail else ""))


class UnsupportedFormat(PicsetError):
    code = "unsupported_format"
    message = f"This file is not an image picset can read. Upload a {formats.input_labels()} file."


class UnsupportedEncoding(PicsetError):
    """A format picset takes, in a variant of it that its decoders cannot read."""

    code = "unsupported_encoding"
    message = (
        "This file is in a format picset takes, but uses an encoding it cannot read "
        "(for example a 16-bit ICCLab or LogLuv TIFF). Save it as an ordinary RGB JPEG, "
        "PNG or TIFF and upload it again."
    )


class TooLarge(PicsetError):
    code = "too_large"
    message = "This file is larger than the upload limit."


class TooManyPixels(PicsetError):
    code = "too_many_pixels"
    message = "This image has too many pixels to process. Upload a smaller image."


class Corrupt(PicsetError):
    code = "corrupt"
    message = "This image file is damaged or incomplete and cannot be read."


class EmptyFile(PicsetError):
    code = "empty"
    message = "This file is empty."


class ProcessingFailed(PicsetError):
    code = "internal"
    message = "Processing this image kept failing. Please try uploading it again."


class TimedOut(PicsetError):
    """Processing never finished: every delivery was stopped (the function's timeout or
    memory limit, or a killed worker), or no answer came within the stated bound."""

    code = "timeout"
    message = (
        "Processing this image did not finish in time. Please upload it again; if it "
        "happens again, upload a smaller version of it."
    )


#: Every code a manifest may carry, with what it means; the README's table mirrors it.
ERROR_CODES: dict[str, str] = {
    cls.code: cls.message
    for cls in (
        UnsupportedFormat,
        UnsupportedEncoding,
        TooLarge,
        TooManyPixels,
        Corrupt,
        EmptyFile,
        ProcessingFailed,
        TimedOut,
    )
}


def error_table() -> str:
    """The README's table of error codes, made from `ERROR_CODES` (a test keeps the two
    the same). A failure's message may be more specific than this default one, e.g. it
    names the image's size and the limit."""
    rows = [f"| `{code}` | {message} |" for code, message in ERROR_CODES.items()]
    return "\n".join(["| code | default message |", "|---|---|", *rows])


class RequestError(Exception):
    """A bad API request: carries the HTTP status, a stable code, a message, and any
    headers the answer needs (e.g. `Retry-After`)."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        status: int | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.headers = dict(headers or {})
        if status is not None:
            self.status = status


class NotFound(RequestError):
    status = 404

    def __init__(self, message: str = "No image with that id.") -> None:
        super().__init__("not_found", message)


class Forbidden(RequestError):
    """Someone signed in, but not the image's owner."""

    status = 403

    def __init__(self, message: str = "Only the image's owner may do that.") -> None:
        super().__init__("forbidden", message)


class Conflict(RequestError):
    status = 409

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, message)


class QuotaExceeded(RequestError):
    """Today's uploads or bytes are used up; `retry_after` is the seconds until the next
    UTC day, when the counters start again."""

    status = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__("quota_exceeded", message, headers={"Retry-After": str(retry_after)})
        self.retry_after = retry_after


class Unauthorized(RequestError):
    status = 401

    def __init__(self) -> None:
        super().__init__(
            "unauthorized",
            "Sign in first: this needs a valid, unexpired token in an "
            "`Authorization: Bearer <token>` header (POST /api/session gives one).",
        )
