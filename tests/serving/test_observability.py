"""``serving.observability``: the request id, the Prometheus series, the access log.

The middleware and ``/metrics`` run in a tiny FastAPI app wired as ``create_app``
wires them, so no artifact or DEV stack is needed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import textwrap

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from serving.limits import BodySizeLimit
from serving.observability import (
    LOG_LEVEL_VARIABLE,
    UNMATCHED_ROUTE,
    RequestObserver,
    ServingMetrics,
    metrics_endpoint,
)

RUN_ID = "0123456789abcdef0123456789abcdef"
MAX_BODY_BYTES = 64


def instrumented_app() -> FastAPI:
    """Routes with and without a path parameter, and one that fails."""
    app = FastAPI()
    metrics = ServingMetrics()
    metrics.describe_model(RUN_ID, "classification")
    app.state.metrics = metrics
    # As create_app wires them: the body limit inside the observer.
    app.add_middleware(BodySizeLimit, max_body_bytes=MAX_BODY_BYTES)
    app.add_middleware(RequestObserver, metrics=metrics)
    app.add_api_route(
        "/metrics", metrics_endpoint(metrics), methods=["GET"], include_in_schema=False
    )

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/items/{item_id}")
    def item(item_id: str) -> dict[str, str]:
        return {"item_id": item_id}

    @app.post("/echo")
    def echo(body: dict) -> dict:
        return body

    @app.get("/fails")
    def fails() -> None:
        raise RuntimeError("boom")

    return app


@pytest.fixture
def client() -> TestClient:
    return TestClient(instrumented_app(), raise_server_exceptions=False)


def samples(client: TestClient) -> dict[str, list]:
    """``/metrics`` parsed: sample name -> its samples."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    found: dict[str, list] = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, []).append(sample)
    return found


def value(found: dict[str, list], name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` whose labels include ``labels``."""
    for sample in found.get(name, []):
        if labels.items() <= sample.labels.items():
            return sample.value
    return None


def test_requests_are_counted_and_timed_by_route_template_and_status(client):
    for item_id in ("a", "b", "c"):
        assert client.get(f"/items/{item_id}").status_code == 200
    assert client.get("/health").status_code == 200
    assert client.get("/fails").status_code == 500

    found = samples(client)
    counter = "mmp_http_requests_total"
    # The route's template, not the URL: one series for every item id.
    assert value(found, counter, endpoint="/items/{item_id}", status="200") == 3
    assert not [
        s
        for s in found[counter]
        if s.labels["endpoint"].startswith("/items/")
        and s.labels["endpoint"] != "/items/{item_id}"
    ]
    assert value(found, counter, endpoint="/health", status="200", method="GET") == 1
    # A failing endpoint is counted with the 500 its client got.
    assert value(found, counter, endpoint="/fails", status="500") == 1
    histogram = "mmp_http_request_duration_seconds_count"
    assert value(found, histogram, endpoint="/items/{item_id}", status="200") == 3
    inf_bucket = value(
        found,
        "mmp_http_request_duration_seconds_bucket",
        endpoint="/health",
        status="200",
        le="+Inf",
    )
    assert inf_bucket == 1


def test_a_body_refused_before_routing_is_counted_under_its_route(client):
    assert client.post("/echo", json={"a": 1}).status_code == 200
    assert client.post("/echo", content=b"x" * (MAX_BODY_BYTES + 1)).status_code == 413
    assert client.post("/nope", content=b"x" * (MAX_BODY_BYTES + 1)).status_code == 413
    found = samples(client)
    assert value(found, "mmp_http_requests_total", endpoint="/echo", status="413") == 1
    assert (
        value(found, "mmp_http_requests_total", endpoint=UNMATCHED_ROUTE, status="413")
        == 1
    )


def test_unknown_paths_share_one_label(client):
    for path in ("/nope", "/nope/1", "/wp-admin.php"):
        assert client.get(path).status_code == 404
    found = samples(client)
    endpoints = {s.labels["endpoint"] for s in found["mmp_http_requests_total"]}
    assert (
        value(found, "mmp_http_requests_total", endpoint=UNMATCHED_ROUTE, status="404")
        == 3
    )
    assert not endpoints & {"/nope", "/nope/1", "/wp-admin.php"}


def test_the_served_run_is_an_info_metric(client):
    found = samples(client)
    assert (
        value(found, "mmp_served_model_info", run_id=RUN_ID, task_type="classification")
        == 1
    )


def test_metrics_is_not_in_the_api_schema(client):
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]


def test_each_app_has_its_own_registry():
    first, second = (TestClient(instrumented_app()) for _ in range(2))
    first.get("/health")
    first.get("/health")
    second.get("/health")
    assert value(samples(first), "mmp_http_requests_total", endpoint="/health") == 2
    assert value(samples(second), "mmp_http_requests_total", endpoint="/health") == 1


def test_registries_stay_apart_when_the_multiprocess_directory_is_set(tmp_path):
    """Importing Feast sets ``PROMETHEUS_MULTIPROC_DIR`` before prometheus_client is
    imported, as here in a fresh interpreter; the series still stay in memory."""
    script = textwrap.dedent(
        """
        from serving.observability import ServingMetrics
        first, second = ServingMetrics(), ServingMetrics()
        for _ in range(2):
            first.observe_request("/health", "GET", 200, 0.001)
        second.observe_request("/health", "GET", 200, 0.001)
        print(first.requests.labels("/health", "GET", "200")._value.get(),
              second.requests.labels("/health", "GET", "200")._value.get())
        """
    )
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    finished = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True
    )
    assert finished.returncode == 0, finished.stderr
    assert finished.stdout.split() == ["2.0", "1.0"]
    assert not any(tmp_path.iterdir())


def test_an_unhandled_error_is_answered_500_with_the_request_id(client):
    for request_id in ("crash-1", "crash-2"):
        response = client.get("/fails", headers={"X-Request-ID": request_id})
        assert response.status_code == 500
        assert response.text == "Internal Server Error"
        assert response.headers["x-request-id"] == request_id


def test_a_sent_request_id_is_echoed(client):
    response = client.get("/health", headers={"X-Request-ID": "trace-42"})
    assert response.headers["x-request-id"] == "trace-42"


@pytest.mark.parametrize(
    "headers",
    [{}, {"X-Request-ID": ""}, {"X-Request-ID": "x" * 1000}],
    ids=["none", "empty", "too long"],
)
def test_a_request_without_a_usable_id_gets_a_new_one(client, headers):
    first = client.get("/health", headers=headers).headers["x-request-id"]
    second = client.get("/health", headers=headers).headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", first) and re.fullmatch(
        r"[0-9a-f]{32}", second
    )
    assert first != second


def test_one_access_log_line_per_request_with_its_id(client, caplog):
    caplog.set_level(logging.INFO, logger="serving.access")
    sent = client.get("/items/a?token=secret", headers={"X-Request-ID": "req-1"})
    generated = client.get("/nope")
    client.get("/fails")

    lines = [r for r in caplog.records if r.name == "serving.access"]
    assert len(lines) == 3
    assert all(r.levelno == logging.INFO for r in lines)
    records = [json.loads(r.getMessage()) for r in lines]
    assert records[0]["request_id"] == "req-1"
    assert records[1]["request_id"] == generated.headers["x-request-id"]
    # The 500 is written by Starlette's ServerErrorMiddleware, outside this one, so
    # its response carries no X-Request-ID: only the log line has the id.
    assert re.fullmatch(r"[0-9a-f]{32}", records[2]["request_id"])
    assert [(r["method"], r["path"], r["status"]) for r in records] == [
        ("GET", "/items/a", sent.status_code),
        ("GET", "/nope", 404),
        ("GET", "/fails", 500),
    ]
    for record in records:
        assert record["duration_ms"] >= 0 and record["client"]
    assert "secret" not in caplog.text  # no query string is logged


def test_no_access_log_line_above_info(client, caplog):
    caplog.set_level(logging.WARNING, logger="serving.access")
    client.get("/health")
    assert not [r for r in caplog.records if r.name == "serving.access"]


class FakeStore:
    """A Feast store's ``get_online_features``: answers, or fails once told to."""

    def __init__(self) -> None:
        self.calls: list[dict] = []
        self.fail = False

    def get_online_features(self, features, entity_rows):
        self.calls.append({"features": features, "entity_rows": entity_rows})
        if self.fail:
            raise ConnectionError("online store down")
        return "response"


def test_online_reads_are_timed_through_the_same_store():
    metrics = ServingMetrics()
    store = FakeStore()
    assert metrics.timed_online_reads(store) is store
    assert store.get_online_features(["v:f"], entity_rows=[{"k": 1}]) == "response"
    store.fail = True
    with pytest.raises(ConnectionError):
        store.get_online_features(features=["v:f"], entity_rows=[{"k": 2}])

    assert [call["entity_rows"] for call in store.calls] == [[{"k": 1}], [{"k": 2}]]
    # A failed read is timed too: an outage shows in the latency.
    assert _feature_read_count(metrics) == 2


def test_unknown_entities_are_counted_by_key():
    metrics = ServingMetrics()
    metrics.count_unknown_entities(["user_id"])
    metrics.count_unknown_entities(["user_id", "session_id"])
    metrics.count_unknown_entities([])
    counts = {
        s.labels["entity"]: s.value
        for s in metrics.unknown_entities.collect()[0].samples
        if s.name.endswith("_total")
    }
    assert counts == {"user_id": 2, "session_id": 1}


def _feature_read_count(metrics: ServingMetrics) -> float:
    (family,) = metrics.feature_reads.collect()
    return next(s.value for s in family.samples if s.name.endswith("_count"))


@pytest.mark.parametrize("level", ["warning", "debug"])
def test_a_worker_process_logs_at_the_level_it_was_started_with(monkeypatch, level):
    """``--workers N``: each worker's factory sets the level ``python -m serving``
    passed on in MMP_LOG_LEVEL (the app it builds is not what is tested here)."""
    import serving.app

    monkeypatch.setenv(LOG_LEVEL_VARIABLE, level)
    monkeypatch.setenv("MMP_VERBOSE", "1")  # this process's warning filters kept
    monkeypatch.setattr(serving.app, "settings_from_environment", lambda: "settings")
    monkeypatch.setattr(serving.app, "create_app", lambda settings: f"app({settings})")
    served = logging.getLogger("serving")
    monkeypatch.setattr(served, "level", served.level)
    assert serving.app.app_from_environment() == "app(settings)"
    assert served.level == getattr(logging, level.upper())
    assert access_log_enabled() is (level != "warning")


def access_log_enabled() -> bool:
    return logging.getLogger("serving.access").isEnabledFor(logging.INFO)
