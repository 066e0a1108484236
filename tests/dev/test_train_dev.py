"""`kedro run --env dev --pipelines train` on the DEV stack, end to end.

Loader SQL on PostgreSQL, Feast with its PostgreSQL offline store and SQL registry,
Optuna studies in PostgreSQL, and the run tracked on the DEV MLflow server with its
artifacts uploaded over HTTP (``--serve-artifacts``). Nothing the run records may
carry the stack's address or secrets.
"""

from __future__ import annotations

import re
from pathlib import Path

import mlflow
import pytest
from project_helpers import EXAMPLE_RECIPES, RUN_ARTIFACTS

pytestmark = pytest.mark.e2e

#: Some of each DEV recipe's test metrics (every example recipe, one per task).
TASK_METRICS = {
    "uplift_model_exp3": {"auuc", "qini", "ate"},
    "conversion_classifier": {"roc_auc", "accuracy", "log_loss"},
    "order_value_regression": {"rmse", "mae", "r2"},
    "session_segments": {"silhouette", "calinski_harabasz", "davies_bouldin"},
}
#: How far apart (in bytes) a host and a port may be to count as "an address".
NEAR = 40


def _near(host: str, port: str) -> re.Pattern[bytes]:
    """``host`` and ``port`` (a whole number) within ``NEAR`` bytes, in either order."""
    host_re = re.escape(host)
    port_re = rf"(?<!\d){re.escape(port)}(?!\d)"
    gap = rf".{{0,{NEAR}}}?"
    either = rf"{host_re}{gap}{port_re}|{port_re}{gap}{host_re}"
    return re.compile(either.encode(), re.DOTALL)


def leak_patterns(dev_env: dict[str, str]) -> dict[str, re.Pattern[bytes]]:
    """What must never be recorded: secrets and the stack's addresses."""
    patterns = {
        "POSTGRES_PASSWORD": re.compile(
            re.escape(dev_env["POSTGRES_PASSWORD"].encode())
        ),
        "POSTGRES_HOST:POSTGRES_PORT": re.compile(
            re.escape(f"{dev_env['POSTGRES_HOST']}:{dev_env['POSTGRES_PORT']}".encode())
        ),
        "POSTGRES_PORT next to POSTGRES_HOST": _near(
            dev_env["POSTGRES_HOST"], dev_env["POSTGRES_PORT"]
        ),
        "REDIS_HOST:REDIS_PORT": re.compile(
            re.escape(f"{dev_env['REDIS_HOST']}:{dev_env['REDIS_PORT']}".encode())
        ),
        "REDIS_PORT next to REDIS_HOST": _near(
            dev_env["REDIS_HOST"], dev_env["REDIS_PORT"]
        ),
        "MLFLOW_TRACKING_URI": re.compile(
            re.escape(dev_env["MLFLOW_TRACKING_URI"].rstrip("/").encode())
        ),
        "MLFLOW_PORT next to MLFLOW_HOST": _near(
            dev_env["MLFLOW_HOST"], dev_env["MLFLOW_PORT"]
        ),
    }
    if dev_env.get("REDIS_PASSWORD"):
        patterns["REDIS_PASSWORD"] = re.compile(
            re.escape(dev_env["REDIS_PASSWORD"].encode())
        )
    return patterns


def find_leaks(data: bytes, patterns: dict[str, re.Pattern[bytes]]) -> list[str]:
    """Names of the patterns found in ``data`` (the matched secret is never shown)."""
    return [name for name, pattern in patterns.items() if pattern.search(data)]


@pytest.fixture(scope="module")
def downloaded(
    dev_trained_runs: dict[str, str],
    dev_env: dict[str, str],
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, Path]:
    """Every artifact of each DEV run (run artifacts and the logged model), on disk."""
    folders = {}
    for recipe, run_id in dev_trained_runs.items():
        destination = tmp_path_factory.mktemp(f"artifacts_{recipe}")
        mlflow.artifacts.download_artifacts(
            run_id=run_id,
            dst_path=str(destination / "run"),
            tracking_uri=dev_env["MLFLOW_TRACKING_URI"],
        )
        # MLflow 3 keeps the logged model outside the run's artifact root.
        mlflow.artifacts.download_artifacts(
            artifact_uri=f"runs:/{run_id}/model",
            dst_path=str(destination / "model"),
            tracking_uri=dev_env["MLFLOW_TRACKING_URI"],
        )
        folders[recipe] = destination
    return folders


def test_every_example_recipe_trains_on_dev(dev_trained_runs: dict[str, str]) -> None:
    assert set(dev_trained_runs) == set(EXAMPLE_RECIPES) == set(TASK_METRICS)


def test_self_check_leak_patterns_find_every_secret(dev_env: dict[str, str]) -> None:
    """The leak patterns do catch the forms a leaked address or secret takes."""
    patterns = leak_patterns(dev_env)
    host, port = dev_env["POSTGRES_HOST"], dev_env["POSTGRES_PORT"]
    samples = {
        "POSTGRES_PASSWORD": f"x{dev_env['POSTGRES_PASSWORD']}y".encode(),
        "POSTGRES_HOST:POSTGRES_PORT": f"postgresql://u@{host}:{port}/db".encode(),
        "POSTGRES_PORT next to POSTGRES_HOST": (
            f'{{"host": "{host}", "port": {port}}}'.encode()
        ),
        "REDIS_PORT next to REDIS_HOST": (
            f"{dev_env['REDIS_HOST']},port={dev_env['REDIS_PORT']}".encode()
        ),
        "MLFLOW_PORT next to MLFLOW_HOST": (
            f"{dev_env['MLFLOW_HOST']} {dev_env['MLFLOW_PORT']}".encode()
        ),
    }
    for name, sample in samples.items():
        assert name in find_leaks(sample, patterns), name
    assert not find_leaks(b'{"n_estimators": 120, "auuc": 0.0414}', patterns)


@pytest.mark.parametrize("recipe", sorted(TASK_METRICS))
def test_dev_run_finished_on_the_server_with_http_artifacts(
    recipe: str,
    dev_trained_runs: dict[str, str],
    dev_mlflow: mlflow.MlflowClient,
    dev_tracking: str,
) -> None:
    """The run is FINISHED on the DEV server; artifacts and model went over HTTP."""
    run = dev_mlflow.get_run(dev_trained_runs[recipe])
    assert run.info.status == "FINISHED"
    assert run.data.tags["env"] == "dev"
    assert run.data.tags["recipe"] == recipe
    assert run.info.artifact_uri.startswith("mlflow-artifacts:"), run.info.artifact_uri
    listed = {a.path for a in dev_mlflow.list_artifacts(run.info.run_id)}
    assert RUN_ARTIFACTS <= listed, sorted(listed)

    model_info = mlflow.models.get_model_info(f"runs:/{run.info.run_id}/model")
    logged = dev_mlflow.get_logged_model(model_info.model_id)
    assert logged.source_run_id == run.info.run_id
    assert logged.artifact_location.startswith("mlflow-artifacts:"), (
        logged.artifact_location
    )
    model = mlflow.pyfunc.load_model(f"runs:/{run.info.run_id}/model")
    assert model.metadata.run_id == run.info.run_id


@pytest.mark.parametrize("recipe", sorted(TASK_METRICS))
def test_dev_run_logged_its_test_metrics(
    recipe: str, dev_trained_runs: dict[str, str], dev_mlflow: mlflow.MlflowClient
) -> None:
    """The task's held-out metrics, each a number; a classifier better than chance."""
    metrics = dev_mlflow.get_run(dev_trained_runs[recipe]).data.metrics
    assert TASK_METRICS[recipe] <= set(metrics), sorted(metrics)
    assert all(metrics[name] == metrics[name] for name in TASK_METRICS[recipe])  # NaN
    if recipe == "conversion_classifier":
        assert 0.5 < metrics["roc_auc"] <= 1.0


@pytest.mark.parametrize("recipe", sorted(TASK_METRICS))
def test_no_artifact_file_holds_an_address_or_secret(
    recipe: str, downloaded: dict[str, Path], dev_env: dict[str, str]
) -> None:
    """No downloaded file, text or binary, holds a password, host:port or the URI."""
    patterns = leak_patterns(dev_env)
    files = [path for path in downloaded[recipe].rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert RUN_ARTIFACTS <= names and "MLmodel" in names, sorted(names)
    assert any(path.suffix in {".pkl", ".pickle"} for path in files), sorted(names)
    leaks = {
        str(path.relative_to(downloaded[recipe])): found
        for path in files
        if (found := find_leaks(path.read_bytes(), patterns))
    }
    assert not leaks, f"artifacts of {recipe} leak the DEV stack: {leaks}"


@pytest.mark.parametrize("recipe", sorted(TASK_METRICS))
def test_no_param_or_tag_holds_an_address_or_secret(
    recipe: str,
    dev_trained_runs: dict[str, str],
    dev_mlflow: mlflow.MlflowClient,
    dev_env: dict[str, str],
) -> None:
    """Neither the MLflow params nor the tags of the run name the stack's addresses."""
    run = dev_mlflow.get_run(dev_trained_runs[recipe])
    patterns = leak_patterns(dev_env)
    assert run.data.params, "the run logged no params"
    leaks = {
        f"{kind}:{key}": found
        for kind, values in (("param", run.data.params), ("tag", run.data.tags))
        for key, value in values.items()
        if (found := find_leaks(f"{key}={value}".encode(), patterns))
    }
    assert not leaks, f"params/tags of {recipe} leak the DEV stack: {leaks}"
