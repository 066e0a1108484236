"""What a serving team watches: Prometheus metrics, a request id, an access log.

``ServingMetrics`` owns one ``CollectorRegistry`` per app (two apps in one process,
as in the tests, never share a series). ``RequestObserver`` is a pure ASGI middleware
(Starlette's ``BaseHTTPMiddleware`` costs a task and a stream per request) that
gives every request an id (the client's ``X-Request-ID`` or a new one, returned in
the response), counts and times it by route and status, and writes one access-log
line on the ``serving.access`` logger.
"""

from __future__ import annotations

import functools
import json
import logging
import time
import uuid
from collections.abc import Callable
from typing import Any

from fastapi.responses import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    Info,
    generate_latest,
)
from prometheus_client import values as prometheus_values
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mmp_kedro.services.third_party_noise import (
    silence_plugin_import_noise,
    silence_third_party_noise,
    verbose_requested,
)

# Importing Feast sets PROMETHEUS_MULTIPROC_DIR (for its own Gunicorn feature server),
# which puts every series in files shared by all registries of the process. This
# server's series live in memory, in the app's own registry.
prometheus_values.ValueClass = prometheus_values.MutexValue

access_log = logging.getLogger("serving.access")

#: The serving log level of worker processes, set by ``python -m serving``.
LOG_LEVEL_VARIABLE = "MMP_LOG_LEVEL"

REQUEST_ID_HEADER = b"x-request-id"
#: The longest client-sent request id kept as given; a longer one is replaced.
MAX_REQUEST_ID_LENGTH = 128
#: The route label of a request no route matched (bounded label values).
UNMATCHED_ROUTE = "unmatched"
#: Latency buckets in seconds: a one-row prediction takes milliseconds.
LATENCY_BUCKETS = (
    0.001,
    0.0025,
    0.005,
    0.0075,
    0.01,
    0.025,
    0.05,
    0.1,
    0.25,
    0.5,
    1.0,
    2.5,
)


class ServingMetrics:
    """The app's Prometheus series, in a registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "mmp_http_requests",
            "HTTP requests answered, by route and status code",
            ["endpoint", "method", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "mmp_http_request_duration_seconds",
            "Time from request to the end of the response, by route and status code",
            ["endpoint", "method", "status"],
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.feature_reads = Histogram(
            "mmp_feature_store_read_duration_seconds",
            "Duration of one online feature-store read (Feast get_online_features)",
            buckets=LATENCY_BUCKETS,
            registry=self.registry,
        )
        self.unknown_entities = Counter(
            "mmp_unknown_entities",
            "Entity keys the online store had no features for, by key",
            ["entity"],
            registry=self.registry,
        )
        self.model = Info(
            "mmp_served_model",
            "The MLflow run this server serves",
            registry=self.registry,
        )

    def describe_model(self, run_id: str, task_type: str) -> None:
        """The served run, as the ``mmp_served_model_info`` series' labels."""
        self.model.info({"run_id": run_id, "task_type": task_type})

    def observe_request(
        self, endpoint: str, method: str, status: int, seconds: float
    ) -> None:
        labels = (endpoint, method, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)

    def count_unknown_entities(self, keys: list[str]) -> None:
        """One count per key of a response's ``unknown_entities``."""
        for key in keys:
            self.unknown_entities.labels(key).inc()

    def timed_online_reads(self, store: Any) -> Any:
        """``store`` with every ``get_online_features`` call timed into
        :attr:`feature_reads` (the same store object, its method wrapped)."""
        read = store.get_online_features

        @functools.wraps(read)
        def timed_read(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return read(*args, **kwargs)
            finally:
                self.feature_reads.observe(time.perf_counter() - started)

        store.get_online_features = timed_read
        return store

    def exposition(self) -> tuple[bytes, str]:
        """The registry in Prometheus' text format, and its content type."""
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class RequestObserver:
    """Request id, metrics and one access-log line for every HTTP request."""

    def __init__(self, app: ASGIApp, metrics: ServingMetrics):
        self.app = app
        self.metrics = metrics
        self._fixed_paths: frozenset[str] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _request_id(scope)
        status = 500  # what the client gets when the app fails before responding
        responded = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, responded
            if message["type"] == "http.response.start":
                status, responded = message["status"], True
                message["headers"] = [
                    *message.get("headers", []),
                    (REQUEST_ID_HEADER, request_id.encode()),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            # Starlette's error middleware, outside this one, would answer without
            # the id; answered here, it only logs the error (the response started).
            if not responded:
                await send_with_id(dict(_SERVER_ERROR_START))  # gets its own headers
                await send_with_id(dict(_SERVER_ERROR_BODY))
            raise
        finally:
            seconds = time.perf_counter() - started
            endpoint = self._endpoint(scope)
            self.metrics.observe_request(endpoint, scope["method"], status, seconds)
            if access_log.isEnabledFor(logging.INFO):
                access_log.info(
                    json.dumps(
                        {
                            "request_id": request_id,
                            "method": scope["method"],
                            # The path only: a query string may carry anything.
                            "path": scope["path"],
                            "status": status,
                            "duration_ms": round(seconds * 1000, 3),
                            "client": _client(scope),
                        }
                    )
                )

    def _endpoint(self, scope: Scope) -> str:
        """The matched route's path template; for a request answered before routing
        (a body over the limit), its path when that is a route without parameters;
        else :data:`UNMATCHED_ROUTE` (a bounded set of label values either way)."""
        route = scope.get("route")
        if getattr(route, "path", None):
            return route.path
        if self._fixed_paths is None:
            routes = getattr(scope.get("app"), "routes", [])
            self._fixed_paths = frozenset(
                r.path for r in routes if "{" not in getattr(r, "path", "{")
            )
        return scope["path"] if scope["path"] in self._fixed_paths else UNMATCHED_ROUTE


#: What Starlette answers an unhandled exception with, plus the request id.
_SERVER_ERROR_START: Message = {
    "type": "http.response.start",
    "status": 500,
    "headers": [(b"content-type", b"text/plain; charset=utf-8")],
}
_SERVER_ERROR_BODY: Message = {
    "type": "http.response.body",
    "body": b"Internal Server Error",
}


def _request_id(scope: Scope) -> str:
    """The client's ``X-Request-ID`` when it is printable and not too long, else a
    new uuid4 (32 hex digits)."""
    for name, value in scope["headers"]:
        if name == REQUEST_ID_HEADER:
            text = value.decode("latin-1")
            if 0 < len(text) <= MAX_REQUEST_ID_LENGTH and text.isprintable():
                return text
            break
    return uuid.uuid4().hex


def _client(scope: Scope) -> str | None:
    client = scope.get("client")
    return f"{client[0]}:{client[1]}" if client else None


def metrics_endpoint(metrics: ServingMetrics) -> Callable[[], Any]:
    """The ``GET /metrics`` handler for ``metrics``."""

    def prometheus_metrics() -> Response:
        body, content_type = metrics.exposition()
        return Response(content=body, media_type=content_type)

    return prometheus_metrics


def configure_logging(level: str) -> None:
    """This process's logs: the libraries' warnings silenced (unless ``MMP_VERBOSE``),
    the root at WARNING, and the ``serving`` loggers (the access log among them) at
    ``level``. Run by ``python -m serving`` and by each of its worker processes."""
    if not verbose_requested():
        silence_third_party_noise()
        silence_plugin_import_noise()
    logging.basicConfig(
        level=logging.WARNING,
        format="%(asctime)s %(levelname)-7s %(name)s: %(message)s",
    )
    # Named, not the root's: the project's conf/logging.yml, applied once Kedro loads,
    # keeps the root (the libraries) at WARNING and leaves this level alone.
    logging.getLogger("serving").setLevel(level.upper())
