"""The serving app against the live DEV stack (real Redis, real MLflow server).

The server is started exactly as serving/Dockerfile starts it: its ENTRYPOINT with
KEDRO_ENV / MMP_RUN_ID / MMP_PORT in the environment, natively on 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import mlflow
import pandas as pd
import pytest
import sqlalchemy as sa
from project_helpers import PROJECT_ROOT, free_port, run_serving, same_value
from prometheus_client.parser import text_string_to_metric_families

from mmp_kedro.config.loader import config_loader
from mmp_kedro.feature_store import (
    bind_feature_store,
    feature_store_factory,
    unbind_feature_store,
)
from serving.limits import ServingLimits

pytestmark = pytest.mark.e2e

START_TIMEOUT = 180


def dockerfile_entrypoint() -> list[str]:
    """The container's ENTRYPOINT, so the test runs the same command."""
    text = (PROJECT_ROOT / "serving" / "Dockerfile").read_text()
    return json.loads(re.search(r"^ENTRYPOINT (\[.*\])$", text, re.M).group(1))


def start_server(
    run_id: str | None, env: dict[str, str], log: Path, model_uri: str | None = None
) -> tuple[subprocess.Popen, str]:
    """The Dockerfile's entrypoint on a free port, serving ``run_id`` or the
    registered version ``model_uri``; waits (bounded) for /health."""
    port = free_port()
    command = dockerfile_entrypoint()
    command[0] = sys.executable if command[0] == "python" else command[0]
    served = {"MMP_MODEL_URI": model_uri} if model_uri else {"MMP_RUN_ID": run_id}
    process = subprocess.Popen(
        command,
        cwd=PROJECT_ROOT,
        env={
            **{
                k: v for k, v in env.items() if k not in ("MMP_RUN_ID", "MMP_MODEL_URI")
            },
            **served,
            "KEDRO_ENV": "dev",
            "MMP_HOST": "127.0.0.1",
            "MMP_PORT": str(port),
            "MMP_PROJECT_PATH": str(PROJECT_ROOT),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(
                f"server exited with {process.returncode}:\n{log.read_text()[-3000:]}"
            )
        try:
            if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                return process, url
        except httpx.HTTPError:
            time.sleep(0.5)
    process.terminate()
    pytest.fail(
        f"server not healthy within {START_TIMEOUT}s:\n{log.read_text()[-3000:]}"
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


@pytest.fixture(scope="module")
def served_log(tmp_path_factory) -> Path:
    """Where the ``served`` server writes its stdout and stderr."""
    return tmp_path_factory.mktemp("serving") / "server.log"


@pytest.fixture(scope="module")
def served(dev_trained_runs, dev_env, served_log) -> Iterator[tuple[str, str]]:
    """(base URL, run id) of the uplift artifact served from the DEV stack."""
    run_id = dev_trained_runs["uplift_model_exp3"]
    process, url = start_server(run_id, dict(os.environ), served_log)
    yield url, run_id
    stop(process)


@pytest.fixture(scope="module")
def known_entities(dev_engine: sa.Engine) -> list[dict[str, str]]:
    with dev_engine.connect() as connection:
        frame = pd.read_sql_query(
            sa.text(
                "SELECT user_id, product_id, session_id FROM events "
                "ORDER BY md5(session_id) LIMIT 40"
            ),
            connection,
        )
    return frame.to_dict(orient="records")


@pytest.fixture(scope="module")
def limits() -> ServingLimits:
    """DEV's api_serving.limits, as the server reads them."""
    parameters = dict(config_loader(PROJECT_ROOT, "dev")["parameters"])
    return ServingLimits.from_parameters(parameters)


def test_serving_by_alias_answers_with_the_champions_run(
    dev_trained_runs, dev_mlflow, tmp_path
):
    recipe = "uplift_model_exp3"
    name = f"mmp-{recipe}"
    # The DEV training run was registered on the DEV server's registry.
    registered = dev_mlflow.search_model_versions(
        f"run_id = '{dev_trained_runs[recipe]}'"
    )
    assert [v.name for v in registered] == [name]
    champion = dev_mlflow.get_model_version_by_alias(name, "champion")
    uri = f"models:/{name}@champion"
    log = tmp_path / "server.log"
    process, url = start_server(None, dict(os.environ), log, model_uri=uri)
    try:
        health = httpx.get(f"{url}/health").json()
        metadata = httpx.get(f"{url}/model/metadata").json()
    finally:
        stop(process)
    assert health == {"status": "ok", "run_id": champion.run_id, "model_uri": uri}
    assert metadata["run_id"] == champion.run_id
    assert f"serving run {champion.run_id} ({uri})" in log.read_text()


def test_health_ready_and_model_endpoints(served):
    url, run_id = served
    assert httpx.get(f"{url}/health").json() == {"status": "ok", "run_id": run_id}
    assert httpx.get(f"{url}/ready").json()["status"] == "ready"
    assert httpx.get(f"{url}/model/metadata").json()["run_id"] == run_id
    optimization = httpx.get(f"{url}/model/optimization").json()
    assert optimization["enabled"] is True and "best_params" in optimization
    schema = httpx.get(f"{url}/model/schema").json()
    assert list(schema["request_fields"]) == ["user_id", "product_id", "session_id"]
    assert "uplift_score" in schema["response_fields"]


def test_openapi_describes_the_derived_fields(served, limits):
    url, _ = served
    components = httpx.get(f"{url}/openapi.json").json()["components"]["schemas"]
    request = components["PredictionRequest"]
    assert set(request["properties"]) == {"user_id", "product_id", "session_id"}
    assert set(request["required"]) == {"user_id", "product_id", "session_id"}
    # The loader SQL casts no key to a sized string: each gets max_key_length.
    assert {p["maxLength"] for p in request["properties"].values()} == {
        limits.max_key_length
    }
    assert "uplift_score" in components["PredictionResponse"]["properties"]


def test_predict_and_predict_batch(served, known_entities):
    url, run_id = served
    one = httpx.post(f"{url}/predict", json=known_entities[0]).json()
    assert isinstance(one["uplift_score"], float) and one["run_id"] == run_id
    assert one["unknown_entities"] == []
    many = httpx.post(f"{url}/predict_batch", json=known_entities[:5]).json()
    assert len(many) == 5
    assert many[0]["uplift_score"] == pytest.approx(one["uplift_score"])


@pytest.mark.parametrize(
    ("body", "field", "kind"),
    [
        (
            {"user_id": 1, "product_id": "p0001", "session_id": "s1"},
            "user_id",
            "string_type",
        ),
        ({"user_id": "u00001", "product_id": "p0001"}, "session_id", "missing"),
        (
            {"user_id": "u1", "product_id": "p1", "session_id": "s1", "x": 1},
            "x",
            "extra_forbidden",
        ),
    ],
    ids=["wrong type", "missing key", "extra key"],
)
def test_bad_requests_get_422_naming_the_field(served, body, field, kind):
    url, _ = served
    response = httpx.post(f"{url}/predict", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(e["loc"][-1] == field and e["type"] == kind for e in errors), errors


def test_a_5_mb_key_is_413_naming_the_body_limit(served, known_entities, limits):
    url, _ = served
    body = {**known_entities[0], "user_id": "u" * 5_000_000}
    response = httpx.post(f"{url}/predict", json=body, timeout=30)
    assert response.status_code == 413
    assert response.json() == {
        "detail": "request body is over api_serving.limits.max_body_bytes "
        f"({limits.max_body_bytes} bytes)"
    }


def test_20000_entities_are_refused_naming_a_limit(served, known_entities):
    url, _ = served
    body = [known_entities[i % len(known_entities)] for i in range(20_000)]
    response = httpx.post(f"{url}/predict_batch", json=body, timeout=30)
    # Over the byte limit at these key lengths (413), else over the entity one (422).
    expected = {
        413: "api_serving.limits.max_body_bytes",
        422: "api_serving.limits.max_batch_entities",
    }
    assert response.status_code in expected, response.text[:500]
    assert expected[response.status_code] in response.json()["detail"]


def test_a_batch_over_max_batch_entities_is_422_naming_the_limit_and_count(
    served, known_entities, limits
):
    url, _ = served
    count = limits.max_batch_entities + 1
    body = [known_entities[i % len(known_entities)] for i in range(count)]
    # Under the byte limit, so the entity count is what refuses it.
    assert len(json.dumps(body).encode()) < limits.max_body_bytes
    response = httpx.post(f"{url}/predict_batch", json=body, timeout=30)
    assert response.status_code == 422
    assert response.json() == {
        "detail": f"a batch of {count} entities is over "
        f"api_serving.limits.max_batch_entities ({limits.max_batch_entities})"
    }


@pytest.mark.parametrize("path", ["/predict", "/predict_batch"])
def test_a_key_over_max_key_length_is_422_naming_the_field(
    served, known_entities, limits, path
):
    url, _ = served
    entity = {**known_entities[0], "user_id": "u" * (limits.max_key_length + 1)}
    body = entity if path == "/predict" else [entity]
    response = httpx.post(f"{url}{path}", json=body)
    assert response.status_code == 422
    errors = response.json()["detail"]
    assert any(
        e["loc"][-1] == "user_id"
        and e["type"] == "string_too_long"
        and e["ctx"] == {"max_length": limits.max_key_length}
        for e in errors
    ), errors


def test_a_key_of_max_key_length_is_served(served, known_entities, limits):
    url, _ = served
    body = {**known_entities[0], "user_id": "u" * limits.max_key_length}
    response = httpx.post(f"{url}/predict", json=body)
    assert response.status_code == 200
    assert response.json()["unknown_entities"] == ["user_id"]


def test_malformed_json_gets_422(served):
    url, _ = served
    response = httpx.post(
        f"{url}/predict",
        content=b'{"user_id": ',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["type"] == "json_invalid"


def test_unknown_entity_is_predicted_from_defaults_and_flagged(served, known_entities):
    url, _ = served
    body = {**known_entities[0], "user_id": "no-such-user"}
    response = httpx.post(
        f"{url}/predict", params={"include_features": True}, json=body
    )
    assert response.status_code == 200
    payload = response.json()
    assert payload["unknown_entities"] == ["user_id"]
    assert (
        payload["features"]["age"] is None and payload["features"]["price"] is not None
    )
    assert isinstance(payload["uplift_score"], float)


#: Entities whose latest feature rows both stores hold, and the moment just after the
#: last of them: the online store has each view's latest row materialised, and a
#: point-in-time join at that moment finds the same row within its view's TTL.
SAME_FEATURES_SQL = """
WITH latest AS (
    SELECT
        pairs.user_id,
        pairs.product_id,
        (SELECT max(feature_timestamp) FROM features.user_demographics AS d
         WHERE d.user_id = pairs.user_id) AS demographics_at,
        (SELECT max(feature_timestamp) FROM features.user_purchase_summary AS p
         WHERE p.user_id = pairs.user_id) AS purchases_at,
        (SELECT max(feature_timestamp) FROM features.product_details AS x
         WHERE x.product_id = pairs.product_id) AS product_at
    FROM (SELECT DISTINCT user_id, product_id FROM events) AS pairs
)
SELECT
    user_id,
    product_id,
    GREATEST(demographics_at, purchases_at, product_at) + INTERVAL '1 second'
        AS event_timestamp
FROM latest
WHERE demographics_at IS NOT NULL AND purchases_at IS NOT NULL
  AND product_at IS NOT NULL
  AND GREATEST(demographics_at, purchases_at, product_at) < CAST(:materialised_until AS TIMESTAMP)
  AND GREATEST(demographics_at, purchases_at, product_at) - purchases_at
      < INTERVAL '90 days'
ORDER BY md5(user_id || product_id)
LIMIT 40
"""


def test_serving_equals_batch_for_the_same_entity_and_features(
    served, dev_engine, dev_tracking
):
    """No training/serving skew: for entities whose features both stores hold alike
    by construction (above), every served score equals the batch score.

    Session summaries live one day (TTL) offline but stay in the online store, so the
    entities are asked for with a session id neither store knows.
    """
    url, run_id = served
    with dev_engine.connect() as connection:
        chosen = pd.read_sql_query(
            sa.text(SAME_FEATURES_SQL),
            connection,
            params={"materialised_until": "2025-08-01 00:00:00"},
        )
    assert len(chosen) == 40, "the DEV sample data has 40 such entities"
    spine = chosen.assign(session_id="s-unknown")
    entities = spine[["user_id", "product_id", "session_id"]].to_dict(orient="records")
    served_rows = httpx.post(
        f"{url}/predict_batch", params={"include_features": True}, json=entities
    ).json()
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
    bind_feature_store(feature_store_factory(PROJECT_ROOT, "dev"))
    try:
        batch = model.predict(
            spine, params={"run_mode": "batch", "return_intermediate": True}
        )
    finally:
        unbind_feature_store()

    assert len(served_rows) == len(batch) == 40
    for entity, served_row, (_, batch_row) in zip(
        entities, served_rows, batch.iterrows(), strict=True
    ):
        different = {
            name: (value, batch_row[name])
            for name, value in served_row["features"].items()
            if not same_value(value, batch_row[name])
        }
        assert different == {}, entity
        assert served_row["uplift_score"] == pytest.approx(batch_row["uplift_score"]), (
            entity
        )


def test_redis_down_gives_503_and_recovers(dev_trained_runs, known_entities, tmp_path):
    """A server on a Redis of its own: stop that Redis, then bring it back.

    That Redis has a password, which neither the 503 nor the server's log may show.
    """
    redis_server = shutil.which("redis-server")
    assert redis_server, "redis-server is installed by infra/dev-stack"
    port, password = free_port(), "redis-secret-0xBEEF"
    command = [redis_server, "--bind", "127.0.0.1", "--port", str(port), "--save", ""]
    command += ["--requirepass", password]
    redis_process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
    env = {**os.environ, "REDIS_PORT": str(port), "REDIS_PASSWORD": password}
    log = tmp_path / "server.log"
    server, url = start_server(dev_trained_runs["uplift_model_exp3"], env, log)
    try:
        assert httpx.post(f"{url}/predict", json=known_entities[0]).status_code == 200
        redis_process.terminate()
        redis_process.wait(timeout=10)
        down = httpx.post(f"{url}/predict", json=known_entities[0])
        assert down.status_code == 503 and "Redis" in down.json()["detail"]
        assert httpx.get(f"{url}/ready").status_code == 503
        for secret in (password, os.environ["POSTGRES_PASSWORD"]):
            assert secret not in down.text
        redis_process = subprocess.Popen(command, stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        status = None
        while time.monotonic() < deadline and status != 200:
            time.sleep(0.5)
            status = httpx.post(f"{url}/predict", json=known_entities[0]).status_code
        assert status == 200
        assert httpx.get(f"{url}/ready").status_code == 200
    finally:
        stop(server)
        redis_process.terminate()
        redis_process.wait(timeout=10)
    logged = log.read_text()
    assert "feature store unavailable" in logged  # the outage was logged...
    for secret in (password, os.environ["POSTGRES_PASSWORD"]):
        assert secret not in logged  # ...without a credential


def test_local_env_refuses_to_serve():
    result = run_serving("--env", "local", "--run-id", "any")
    assert result.returncode == 2
    assert "disabled in the 'local' env" in result.stderr
    assert "--env dev" in result.stderr


@pytest.mark.parametrize(
    ("run_id", "expected"),
    [
        ("0" * 32, f"run '{'0' * 32}' does not exist"),
        ("My Run", "'My Run' is not a run id"),
    ],
)
def test_unknown_or_malformed_run_id_is_refused_in_one_line(
    dev_trained_runs, run_id, expected
):
    """A run id the tracking server does not know or accept: exit 2, no traceback."""
    result = run_serving("--env", "dev", "--run-id", run_id)
    assert result.returncode == 2, result.stderr[-2000:]
    assert expected in result.stderr
    assert os.environ["MLFLOW_TRACKING_URI"] in result.stderr
    assert "Traceback" not in result.stderr


def test_unreachable_tracking_server_is_refused_in_seconds():
    """No MLflow server: exit 2 naming it, without MLflow's minutes of retries."""
    env = {**os.environ, "MLFLOW_TRACKING_URI": f"http://127.0.0.1:{free_port()}"}
    result = run_serving("--env", "dev", "--run-id", "0" * 32, env=env)
    assert result.returncode == 2, result.stderr[-2000:]
    assert f"MLflow tracking server at {env['MLFLOW_TRACKING_URI']}" in result.stderr
    assert "is not answering" in result.stderr


def test_worker_processes_answer_like_one(served, known_entities, tmp_path):
    """`--workers 2` (MMP_WORKERS) serves the same predictions from two processes."""
    single_url, run_id = served
    server, url = start_server(
        run_id, {**os.environ, "MMP_WORKERS": "2"}, tmp_path / "server.log"
    )
    children = [
        int(stat.parent.name)
        for stat in Path("/proc").glob("[0-9]*/stat")
        if _parent_pid(stat) == server.pid
    ]
    try:
        assert len(children) >= 2, children
        for entity in known_entities[:10]:
            assert (
                httpx.post(f"{url}/predict", json=entity).json()
                == httpx.post(f"{single_url}/predict", json=entity).json()
            )
    finally:
        stop(server)
        for pid in children:  # a worker still loading when the supervisor was killed
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


def _parent_pid(stat: Path) -> int | None:
    try:
        # /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces.
        return int(stat.read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def test_a_run_that_did_not_finish_is_refused_in_one_line(dev_mlflow):
    """A KILLED run (an interrupted training) is never served: exit 2, its status
    and the reason it ended named."""
    experiment = dev_mlflow.get_experiment_by_name("mmp-kedro-refusals")
    run = dev_mlflow.create_run(
        experiment.experiment_id
        if experiment
        else dev_mlflow.create_experiment("mmp-kedro-refusals")
    )
    dev_mlflow.set_tag(run.info.run_id, "mmp.end_reason", "interrupted by SIGINT")
    dev_mlflow.set_terminated(run.info.run_id, "KILLED")
    result = run_serving("--env", "dev", "--run-id", run.info.run_id)
    assert result.returncode == 2, result.stderr[-2000:]
    assert (
        f"run '{run.info.run_id}' is KILLED (interrupted by SIGINT), not FINISHED"
        in result.stderr
    )
    assert "Traceback" not in result.stderr


def metric_samples(url: str) -> list:
    """The server's ``/metrics``, parsed into samples."""
    response = httpx.get(f"{url}/metrics", timeout=10)
    assert response.status_code == 200
    return [
        sample
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    ]


def metric_value(samples: list, name: str, **labels: str) -> float:
    """The sum of the samples ``name`` whose labels include ``labels`` (0 if none)."""
    return sum(
        s.value
        for s in samples
        if s.name == name and labels.items() <= s.labels.items()
    )


def test_metrics_count_a_prediction_its_feature_reads_and_the_served_run(
    served, known_entities
):
    url, run_id = served
    before = metric_samples(url)
    response = httpx.post(
        f"{url}/predict",
        json={**known_entities[0], "user_id": "no-such-user"},
        headers={"X-Request-ID": "dev-metrics-1"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "dev-metrics-1"
    after = metric_samples(url)

    def added(name: str, **labels: str) -> float:
        return metric_value(after, name, **labels) - metric_value(
            before, name, **labels
        )

    predict = {"endpoint": "/predict", "method": "POST", "status": "200"}
    assert added("mmp_http_requests_total", **predict) == 1
    assert added("mmp_http_request_duration_seconds_count", **predict) == 1
    # This prediction read the online store (the warm-up's reads came before).
    assert added("mmp_feature_store_read_duration_seconds_count") >= 1
    assert metric_value(after, "mmp_feature_store_read_duration_seconds_count") >= 1
    assert added("mmp_unknown_entities_total", entity="user_id") == 1
    assert added("mmp_unknown_entities_total", entity="session_id") == 0
    assert (
        metric_value(after, "mmp_served_model_info", run_id=run_id, task_type="causal")
        == 1
    )


#: What libraries print at start-up that a user can do nothing about, and which
#: ``mmp_kedro.services.third_party_noise`` filters: MLflow's artifact download bars,
#: OmegaConf's and pydantic's deprecation warnings.
START_UP_NOISE = re.compile(
    r"Downloading artifacts|\d+%\||Warning:|deprecated|Traceback", re.IGNORECASE
)


def test_start_up_log_is_free_of_library_noise(served, served_log):
    url, run_id = served
    lines = served_log.read_text().splitlines()
    # Up to the first access-log line: start_server's first /health.
    start_up = lines[
        : next(i for i, line in enumerate(lines) if "serving.access" in line)
    ]
    assert f"serving run {run_id} (causal) in env 'dev'" in "\n".join(start_up)
    assert [line for line in start_up if START_UP_NOISE.search(line)] == []


#: Bounds of the SIGTERM test's load: per client, and for the whole test.
MAX_LOAD_REQUESTS = 20_000
LOAD_SECONDS = 90


@dataclass
class LoadClient:
    """A client thread sending ``/predict`` on one keep-alive connection until it is
    told to stop, the server goes away or its budget runs out."""

    url: str
    entity: dict[str, str]
    name: str
    #: (request id, status, whether the response said ``Connection: close``)
    responses: list[tuple[str, int, bool]] = field(default_factory=list)
    #: (request id, error type) of a request that got no response
    errors: list[tuple[str, str]] = field(default_factory=list)

    def run(self, halt: threading.Event, deadline: float) -> None:
        with httpx.Client(base_url=self.url, timeout=10) as client:
            for n in range(MAX_LOAD_REQUESTS):
                if halt.is_set() or time.monotonic() > deadline:
                    return
                request_id = f"{self.name}-{n}"
                try:
                    response = client.post(
                        "/predict",
                        json=self.entity,
                        headers={"X-Request-ID": request_id},
                    )
                except httpx.TransportError as err:
                    self.errors.append((request_id, type(err).__name__))
                    return  # the server is going away: at most one error per client
                self.responses.append(
                    (
                        request_id,
                        response.status_code,
                        response.headers.get("connection") == "close",
                    )
                )


def send_part_of_a_request(
    port: int, entity: dict[str, str], request_id: str
) -> tuple[socket.socket, bytes]:
    """A ``/predict`` whose headers and half its body are sent: the server has
    started handling it and waits for the rest, which is returned unsent."""
    body = json.dumps(entity).encode()
    head = (
        "POST /predict HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        f"X-Request-ID: {request_id}\r\n\r\n"
    ).encode()
    connection = socket.create_connection(("127.0.0.1", port), timeout=10)
    half = len(body) // 2
    connection.sendall(head + body[:half])
    return connection, body[half:]


def read_response(connection: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of the one response on ``connection``, read until
    the server closes it (bounded by the socket's timeout)."""
    data = b""
    while chunk := connection.recv(65536):
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, value in (line.split(":", 1) for line in header_lines)
    }
    return int(status_line.split()[1]), headers, body


def refuses_connections(port: int, timeout: float) -> bool:
    """Whether, within ``timeout`` seconds, a TCP connect to ``port`` is refused."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except ConnectionRefusedError:
            return True
        time.sleep(0.02)
    return False


def access_records(log: Path) -> dict[str, dict]:
    """The server's access-log records (``serving.access``), by request id."""
    records = {}
    for line in log.read_text().splitlines():
        _, marker, payload = line.partition("serving.access: ")
        if marker:
            record = json.loads(payload)
            records[record["request_id"]] = record
    return records


def test_sigterm_under_load_answers_every_accepted_request_and_exits_0(
    dev_trained_runs, known_entities, tmp_path
):
    """SIGTERM mid-load: the server stops accepting connections, answers every
    request it had accepted, and exits 0.

    Four clients send ``/predict`` continuously on keep-alive connections. One more
    request is in flight by construction: its headers and half its body are sent
    before the signal, the rest only once new connections are refused (shutdown has
    begun), so it is answered after the listener closed, with ``Connection: close``.

    A failure is a request the server accepted and did not answer 200. Which ones it
    accepted, its access log says: ``serving.access`` has a line for every request
    the app handled, written in a ``finally`` (also when it failed or was cancelled
    at the graceful timeout). So a failure is a non-200 response, a logged request
    whose client got no response, or a logged status other than 200.

    A client error for a request the server never logged is not a failure: the
    connection was refused (the listener is closed; the client would try another
    replica), or the request was still unread in the socket when uvicorn closed the
    connections it held idle at shutdown. HTTP/1.1 lets a server close an idle
    persistent connection at any time, and clients must be ready to retry a request
    on one (RFC 9112, section 9.3.1). Each client stops at its first error, so there
    are at most four of those.
    """
    log = tmp_path / "server.log"
    env = {**os.environ, "MMP_GRACEFUL_SECONDS": "20"}
    server, url = start_server(dev_trained_runs["uplift_model_exp3"], env, log)
    port = int(url.rsplit(":", 1)[1])
    clients = [LoadClient(url, known_entities[i], f"load{i}") for i in range(4)]
    halt = threading.Event()
    deadline = time.monotonic() + LOAD_SECONDS
    threads = [
        threading.Thread(target=client.run, args=(halt, deadline), daemon=True)
        for client in clients
    ]
    in_flight = None
    try:
        for thread in threads:
            thread.start()
        # Under load first, so that the signal lands while requests are answered.
        while sum(len(c.responses) for c in clients) < 40:
            assert time.monotonic() < deadline, "the load never got going"
            assert all(not c.errors for c in clients), [c.errors for c in clients]
            time.sleep(0.05)
        in_flight, rest = send_part_of_a_request(port, known_entities[4], "in-flight")
        time.sleep(0.5)  # its headers are read: the app is waiting for its body
        server.send_signal(signal.SIGTERM)
        assert refuses_connections(port, timeout=10), "still accepting 10 s after"
        in_flight.sendall(rest)
        status, headers, body = read_response(in_flight)
        returncode = server.wait(timeout=40)
    finally:
        halt.set()
        for thread in threads:
            thread.join(timeout=15)
        if in_flight is not None:
            in_flight.close()
        if server.poll() is None:
            stop(server)
    output = log.read_text()

    assert returncode == 0, output[-3000:]
    assert (status, headers.get("connection")) == (200, "close"), body[:500]
    assert isinstance(json.loads(body)["uplift_score"], float)
    logged = access_records(log)
    assert logged["in-flight"]["status"] == 200
    answered = [response for c in clients for response in c.responses]
    errors = [error for c in clients for error in c.errors]
    assert len(answered) >= 40 and all(not t.is_alive() for t in threads)
    failures = {
        "answered other than 200": [r for r in answered if r[1] != 200],
        "accepted, then no response": [e for e in errors if e[0] in logged],
        "logged other than 200": {
            i: r["status"] for i, r in logged.items() if r["status"] != 200
        },
    }
    assert failures == {
        "answered other than 200": [],
        "accepted, then no response": [],
        "logged other than 200": {},
    }, output[-3000:]
    assert len(errors) <= len(clients)  # never accepted: see the docstring
    assert not re.search(r"\bERROR\b|Traceback", output), output[-3000:]
