"""Fixtures for the DEV tests: the running DEV stack (PostgreSQL, Redis, MLflow server).

``make test`` starts the stack (``infra/dev-stack up``) and exports ``.env`` before
pytest, so the stack's addresses and secrets are in ``os.environ``. Nothing here
starts or stops a service: a missing variable fails the test with what to do.

``dev_trained_runs`` trains the example recipes with ``kedro run --env dev`` in the
LOCAL project copy; the runs are tracked on the DEV MLflow server, never in the
copy's ``mlruns.db``, and are found by the copy's path (kedro-mlflow's
``project_path`` tag), so runs made by anyone else on the server are never picked.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import urlsplit

import mlflow
import pytest
import sqlalchemy as sa
from project_helpers import (
    EXAMPLE_RECIPES,
    START_THE_STACK,
    project_runs,
    require_dev_stack,
)

#: Every example recipe, one per task, is trained on DEV too.
DEV_RECIPES = EXAMPLE_RECIPES

#: The stack's variables (see .env.example); REDIS_PASSWORD may be empty.
DEV_VARIABLES = (
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "REDIS_HOST",
    "REDIS_PORT",
    "REDIS_PASSWORD",
    "MLFLOW_HOST",
    "MLFLOW_PORT",
    "MLFLOW_TRACKING_URI",
    "FEAST_PROJECT",
    "FEAST_REGISTRY_DB",
    "OPTUNA_DB",
)
REQUIRED = (
    "POSTGRES_PASSWORD",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "POSTGRES_USER",
    "REDIS_HOST",
    "REDIS_PORT",
    "MLFLOW_TRACKING_URI",
)
KEDRO_TIMEOUT = 900


@pytest.fixture(scope="session")
def dev_env() -> dict[str, str]:
    """The DEV stack's variables from ``os.environ``; fails when they are not loaded."""
    environment = require_dev_stack(*REQUIRED)
    values = {name: environment.get(name, "") for name in DEV_VARIABLES}
    tracking = urlsplit(values["MLFLOW_TRACKING_URI"])
    values["MLFLOW_HOST"] = values["MLFLOW_HOST"] or tracking.hostname or ""
    values["MLFLOW_PORT"] = values["MLFLOW_PORT"] or str(tracking.port or "")
    values["OPTUNA_DB"] = values["OPTUNA_DB"] or "optuna"
    return values


def postgres_url(dev_env: dict[str, str], database: str) -> sa.URL:
    """A ``postgresql+psycopg`` URL to ``database`` on the DEV server."""
    return sa.URL.create(
        "postgresql+psycopg",
        username=dev_env["POSTGRES_USER"],
        password=dev_env["POSTGRES_PASSWORD"],
        host=dev_env["POSTGRES_HOST"],
        port=int(dev_env["POSTGRES_PORT"]),
        database=database,
    )


@pytest.fixture(scope="session")
def dev_engine(dev_env: dict[str, str]) -> Iterator[sa.Engine]:
    """A SQLAlchemy engine on the DEV ``POSTGRES_DB`` (events, features.*, outputs)."""
    engine = sa.create_engine(postgres_url(dev_env, dev_env["POSTGRES_DB"]))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except sa.exc.OperationalError as err:
        engine.dispose()
        pytest.fail(
            f"DEV PostgreSQL is not answering ({type(err).__name__}): {START_THE_STACK}"
        )
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def dev_mlflow(dev_env: dict[str, str]) -> mlflow.MlflowClient:
    """An MLflow client on the DEV tracking server."""
    return mlflow.MlflowClient(tracking_uri=dev_env["MLFLOW_TRACKING_URI"])


@pytest.fixture
def dev_tracking(dev_env: dict[str, str]) -> Iterator[str]:
    """The process-wide MLflow tracking URI set to the DEV server for one test.

    ``mlflow.pyfunc.load_model("runs:/...")`` and ``mlflow.artifacts`` read the global
    URI; LOCAL tests set it to their SQLite store, so it is restored afterwards.
    """
    previous = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(dev_env["MLFLOW_TRACKING_URI"])
    try:
        yield dev_env["MLFLOW_TRACKING_URI"]
    finally:
        mlflow.set_tracking_uri(previous)


def kedro_run(
    project: Path,
    *args: str,
    env: dict[str, str] | None = None,
    timeout: int = KEDRO_TIMEOUT,
) -> subprocess.CompletedProcess:
    """``kedro run ...`` in ``project`` with ``env`` (default: this process's)."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), "run", *args],
        check=False,
        cwd=project,
        env={**(os.environ if env is None else env), "KEDRO_DISABLE_TELEMETRY": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="session")
def dev_kedro(
    local_project: Path, dev_env: dict[str, str]
) -> Callable[..., subprocess.CompletedProcess]:
    """``kedro run --env dev ...`` in the project copy, with the stack's environment."""

    def run(
        *args: str, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess:
        return kedro_run(local_project, "--env", "dev", *args, env=env)

    return run


@pytest.fixture(scope="session")
def dev_trained_runs(
    local_project: Path,
    trained_runs: dict[str, str],
    dev_mlflow: mlflow.MlflowClient,
    dev_kedro: Callable[..., subprocess.CompletedProcess],
) -> dict[str, str]:
    """Each DEV example recipe trained once on the DEV stack: recipe -> run id.

    The runs live on the DEV MLflow server; none of them is in the copy's LOCAL
    ``mlruns.db``, which ``trained_runs`` (the same recipes on LOCAL) has filled.
    """
    run_ids: dict[str, str] = {}
    for recipe in DEV_RECIPES:
        started_ms = int(time.time() * 1000) - 1000
        result = dev_kedro("--pipelines", "train", "--params", f"recipe={recipe}")
        assert result.returncode == 0, (
            f"DEV train of {recipe} failed:\n{result.stderr[-4000:]}"
        )
        runs = project_runs(dev_mlflow, local_project, recipe, started_ms)
        assert runs, f"no run of {recipe} from {local_project} on the DEV server"
        run_ids[recipe] = runs[0].info.run_id
    local = mlflow.MlflowClient(tracking_uri=f"sqlite:///{local_project / 'mlruns.db'}")
    assert {local.get_run(run_id).info.status for run_id in trained_runs.values()} == {
        "FINISHED"
    }
    for run_id in run_ids.values():
        with pytest.raises(mlflow.exceptions.MlflowException):
            local.get_run(run_id)
    return run_ids
