"""``api_serving.limits``: the body size middleware, the batch size, the conf model.

The middleware and the batch body run in a tiny FastAPI app, so no artifact or
DEV stack is needed.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from fastapi import FastAPI, Request
from fastapi.testclient import TestClient
from project_helpers import PROJECT_ROOT
from pydantic import BaseModel
from starlette.types import Receive, Scope, Send

from mmp_kedro.config.loader import config_loader
from serving.app import ServingRefusedError, ServingSettings, check_serving_allowed
from serving.limits import BodySizeLimit, LimitsError, ServingLimits, batch_body

LIMIT = 1000
TOO_LARGE = {
    "detail": f"request body is over api_serving.limits.max_body_bytes ({LIMIT} bytes)"
}
VALID = {"max_body_bytes": 1048576, "max_batch_entities": 1000, "max_key_length": 256}


class Entity(BaseModel):
    key: str


Batch = batch_body(Entity, 2)


@pytest.fixture
def client() -> TestClient:
    """An app whose POST /echo reads the whole body; /batch takes at most 2 entities."""
    app = FastAPI()
    app.state.bodies_read = 0

    @app.post("/echo")
    async def echo(request: Request) -> dict[str, int]:
        body = await request.body()
        app.state.bodies_read += 1
        return {"received": len(body)}

    @app.post("/batch")
    async def batch(body: Batch) -> dict[str, int]:  # type: ignore[valid-type]
        return {"entities": len(body)}

    app.add_middleware(BodySizeLimit, max_body_bytes=LIMIT)
    return TestClient(app)


def chunks(*sizes: int):
    """A body httpx sends chunked: without Content-Length."""
    return (b"x" * size for size in sizes)


def test_body_over_the_limit_by_content_length_is_413_before_the_app_reads_it(
    client,
):
    response = client.post("/echo", content=b"x" * (LIMIT + 1))
    assert response.request.headers["content-length"] == str(LIMIT + 1)
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert client.app.state.bodies_read == 0


def test_chunked_body_growing_over_the_limit_is_413(client):
    response = client.post("/echo", content=chunks(600, 600))
    assert "content-length" not in response.request.headers
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 413
    assert response.json() == TOO_LARGE
    assert client.app.state.bodies_read == 0


async def plain_asgi_app(scope: Scope, receive: Receive, send: Send) -> None:
    """Reads the whole body and lets any error through (no FastAPI to answer it)."""
    more_body = True
    while more_body:
        more_body = (await receive()).get("more_body", False)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"read"})


def test_chunked_body_over_the_limit_is_413_in_an_app_that_lets_it_through():
    client = TestClient(BodySizeLimit(plain_asgi_app, max_body_bytes=LIMIT))
    response = client.post("/", content=chunks(600, 600))
    assert response.status_code == 413
    assert response.json() == TOO_LARGE


@pytest.mark.parametrize(
    "content", [b"x" * LIMIT, chunks(600, LIMIT - 600)], ids=["sized", "chunked"]
)
def test_body_at_the_limit_passes_through(client, content):
    response = client.post("/echo", content=content)
    assert response.status_code == 200
    assert response.json() == {"received": LIMIT}


def test_batch_over_max_entities_is_422_naming_the_limit_and_the_count(client):
    response = client.post("/batch", json=[{"key": "a"}] * 3)
    assert response.status_code == 422
    assert response.json() == {
        "detail": "a batch of 3 entities is over "
        "api_serving.limits.max_batch_entities (2)"
    }


def test_batch_count_is_checked_before_any_entity_is_validated(client):
    response = client.post("/batch", json=[{"key": 1}] * 3)
    assert response.status_code == 422
    assert "max_batch_entities" in response.json()["detail"]


def test_batch_at_max_entities_passes_and_is_documented(client):
    response = client.post("/batch", json=[{"key": "a"}] * 2)
    assert response.status_code == 200 and response.json() == {"entities": 2}
    body = client.app.openapi()["paths"]["/batch"]["post"]["requestBody"]
    assert body["content"]["application/json"]["schema"]["maxItems"] == 2


def test_limits_read_from_parameters():
    limits = ServingLimits.from_parameters({"api_serving": {"limits": VALID}})
    assert limits.model_dump() == VALID


@pytest.mark.parametrize(
    ("limits", "expected"),
    [
        (
            {**VALID, "max_body_bytes": 0},
            "api_serving.limits.max_body_bytes must be a positive whole number, got 0",
        ),
        (
            {**VALID, "max_batch_entities": "1000"},
            "api_serving.limits.max_batch_entities must be a positive whole number, "
            "got '1000'",
        ),
        (
            {**VALID, "max_key_length": 2.5},
            "api_serving.limits.max_key_length must be a positive whole number",
        ),
        (
            {**VALID, "max_key_length": True},
            "api_serving.limits.max_key_length must be a positive whole number",
        ),
        (
            {k: v for k, v in VALID.items() if k != "max_key_length"},
            "api_serving.limits.max_key_length is missing",
        ),
        ({**VALID, "max_keys": 3}, "api_serving.limits.max_keys is not a limit"),
        (None, "api_serving.limits.max_body_bytes is missing"),
        ([1], "api_serving.limits must be a mapping"),
    ],
    ids=["zero", "string", "float", "bool", "missing", "unknown", "absent", "list"],
)
def test_bad_limits_are_refused_naming_the_key(limits, expected):
    with pytest.raises(LimitsError, match="^" + expected.replace("(", r"\(")):
        ServingLimits.from_parameters({"api_serving": {"limits": limits}})


def test_bad_limit_refuses_serving_at_start_up_naming_the_key(tmp_path: Path):
    parameters = {
        "api_serving": {"enabled": True, "limits": {**VALID, "max_key_length": -1}}
    }
    (tmp_path / "conf" / "base").mkdir(parents=True)
    (tmp_path / "conf" / "base" / "parameters.yml").write_text(
        yaml.safe_dump(parameters)
    )
    (tmp_path / "conf" / "test").mkdir()
    settings = ServingSettings(env="test", run_id="0" * 32, project_path=tmp_path)
    with pytest.raises(ServingRefusedError) as refused:
        check_serving_allowed(settings, config_loader(tmp_path, "test"))
    assert "env 'test'" in str(refused.value)
    assert (
        "api_serving.limits.max_key_length must be a positive whole number, got -1"
        in str(refused.value)
    )


@pytest.mark.parametrize("env", ["dev", "prod"])
def test_shipped_limits_validate(env):
    settings = ServingSettings(env=env, run_id="0" * 32, project_path=PROJECT_ROOT)
    parameters = check_serving_allowed(settings, config_loader(PROJECT_ROOT, env))
    assert isinstance(ServingLimits.from_parameters(parameters), ServingLimits)
