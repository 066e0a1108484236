"""What one request may take: ``api_serving.limits`` of the env's parameters.

A POST body over ``max_body_bytes`` is a 413 before the app reads it, a batch of more
than ``max_batch_entities`` a 422 before any entity is validated, and a key longer
than its ``max_length`` (``serving.schema.key_lengths``) a 422 from the request model.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError
from pydantic_core import ErrorDetails
from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Where the limits live in the parameters; every refusal names its key under it.
LIMITS_KEY = "api_serving.limits"

_PositiveInt = Annotated[int, Field(strict=True, gt=0)]


class LimitsError(ValueError):
    """``api_serving.limits`` does not validate; each problem names its key."""


class ServingLimits(BaseModel):
    """``api_serving.limits``: the most one request may send."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: _PositiveInt
    max_batch_entities: _PositiveInt
    max_key_length: _PositiveInt

    @classmethod
    def from_parameters(cls, parameters: dict[str, Any]) -> ServingLimits:
        """The limits in an env's (merged) parameters.

        Raises:
            LimitsError: a limit is missing, unknown or not a positive whole number.
        """
        limits = (parameters.get("api_serving") or {}).get("limits")
        try:
            return cls.model_validate({} if limits is None else limits)
        except ValidationError as err:
            raise LimitsError("; ".join(map(_problem, err.errors()))) from None


def _problem(error: ErrorDetails) -> str:
    """One validation problem in a few words, naming its dotted key."""
    key = ".".join((LIMITS_KEY, *map(str, error["loc"])))
    if not error["loc"]:
        return f"{key} must be a mapping of {list(ServingLimits.model_fields)}"
    if error["type"] == "missing":
        return f"{key} is missing"
    if error["type"] == "extra_forbidden":
        return f"{key} is not a limit: use {list(ServingLimits.model_fields)}"
    return f"{key} must be a positive whole number, got {error['input']!r}"


class BodyTooLargeError(HTTPException):
    """A body without Content-Length grew past the limit while being received."""

    def __init__(self, detail: str) -> None:
        super().__init__(status_code=413, detail=detail)


class BodySizeLimit:
    """Pure ASGI middleware: a POST body over ``max_body_bytes`` is answered 413.

    A declared Content-Length is checked before the app runs: the server delivers no
    more than it declares, so such a body is not counted. One without it (chunked) is
    counted as it arrives.
    """

    def __init__(self, app: ASGIApp, max_body_bytes: int) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.detail = (
            f"request body is over {LIMITS_KEY}.max_body_bytes ({max_body_bytes} bytes)"
        )
        # Built once: a refusal allocates no response of its own.
        self._body = json.dumps({"detail": self.detail}).encode()
        self._headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(self._body)).encode()),
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        length = _content_length(scope)
        if length is None:
            await self._counted(scope, receive, send)
        elif length > self.max_body_bytes:
            await self._refuse(send)  # the unread body is discarded by the server
        else:
            await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app on a receive that raises once the body passes the limit."""
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_body_bytes:
                raise BodyTooLargeError(self.detail)
            return message

        try:
            await self.app(scope, counting_receive, send)
        except BodyTooLargeError:
            # FastAPI answers an HTTPException itself (the same JSON); an app that
            # lets it through gets it answered here. Both read the body before any
            # response starts.
            await self._refuse(send)

    async def _refuse(self, send: Send) -> None:
        await send(
            {"type": "http.response.start", "status": 413, "headers": self._headers}
        )
        await send({"type": "http.response.body", "body": self._body})


def _content_length(scope: Scope) -> int | None:
    """The declared Content-Length; None when absent or not a number (then counted)."""
    for name, value in scope["headers"]:
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None


def batch_body(item_model: type[BaseModel], max_entities: int) -> Any:
    """The ``/predict_batch`` body type: ``list[item_model]`` of at most
    ``max_entities`` items (``maxItems`` in the OpenAPI schema).

    A longer list is a 422 naming the limit and the count, raised before any item is
    validated and without the body echoed back, as a validation error would echo it.
    """

    def at_most(value: Any) -> Any:
        if isinstance(value, list) and len(value) > max_entities:
            raise HTTPException(
                status_code=422,
                detail=f"a batch of {len(value)} entities is over "
                f"{LIMITS_KEY}.max_batch_entities ({max_entities})",
            )
        return value

    return Annotated[
        list[item_model], Field(max_length=max_entities), BeforeValidator(at_most)
    ]
