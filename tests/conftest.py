"""Shared fixtures: a throw-away copy of the project with small sample data.

End-to-end tests run the real thing (``kedro run`` in a subprocess, DuckDB, embedded
Feast, MLflow on SQLite) inside a copy, so the working tree is never touched.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import mlflow
import pytest
import yaml
from mlflow.tracking import _model_registry, _tracking_service, fluent
from project_helpers import (
    EXAMPLE_RECIPES,
    TEST_TRAINING,
    copy_project,
    prepare_local_data,
    require_dev_stack,
    run_kedro,
    runs_of_recipe,
    use_test_trials,
)


@pytest.fixture(autouse=True)
def _mlflow_tracking_uri_restored() -> Iterator[None]:
    """A test that sets MLflow's process-wide tracking URI leaves it as it found it:
    ``mlflow.set_tracking_uri`` also sets ``MLFLOW_TRACKING_URI``, which later tests
    (and the DEV stack's ``stack_env``) would read."""
    saved = _tracking_service.utils._tracking_uri
    saved_variable = os.environ.get("MLFLOW_TRACKING_URI")
    yield
    _tracking_service.utils._tracking_uri = saved
    if saved_variable is None:
        os.environ.pop("MLFLOW_TRACKING_URI", None)
    else:
        os.environ["MLFLOW_TRACKING_URI"] = saved_variable


@pytest.fixture(scope="session")
def local_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A LOCAL project copy with sample data, shared by the end-to-end tests."""
    project = copy_project(tmp_path_factory.mktemp("project"))
    (project / "conf" / "local" / "parameters_training.yml").write_text(
        yaml.safe_dump(TEST_TRAINING)
    )
    use_test_trials(project)
    prepare_local_data(project)
    return project


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """This process's environment, which must hold the DEV stack's ``.env``."""
    return require_dev_stack(
        "POSTGRES_PASSWORD",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_USER",
        "POSTGRES_DB",
        "REDIS_HOST",
        "REDIS_PORT",
        "MLFLOW_TRACKING_URI",
    )


@pytest.fixture
def write_recipe(local_project: Path) -> Callable[[str, dict], str]:
    """Write a recipe dict into the project copy; returns its name."""

    def write(name: str, recipe: dict) -> str:
        (local_project / "recipes" / f"{name}.yaml").write_text(yaml.safe_dump(recipe))
        return name

    return write


@pytest.fixture(scope="session")
def trained_runs(local_project: Path) -> dict[str, str]:
    """Each example recipe trained once with `kedro run` on LOCAL: recipe -> run id."""
    run_ids = {}
    for recipe in EXAMPLE_RECIPES:
        result = run_kedro(
            local_project, "--pipelines", "train", "--params", f"recipe={recipe}"
        )
        assert result.returncode == 0, (
            f"train {recipe} failed:\n{result.stderr[-4000:]}"
        )
        # Kept for the tests of what the run log tells a user.
        (local_project / f"train_{recipe}.log").write_text(
            result.stdout + result.stderr
        )
        run_ids[recipe] = runs_of_recipe(local_project, recipe)[0].info.run_id
    return run_ids


@pytest.fixture
def tracking_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[mlflow.MlflowClient]:
    """A throw-away SQLite MLflow store as this process's tracking URI and its
    experiment; the process's MLflow state is restored afterwards."""
    for module, name in (
        (_tracking_service.utils, "_tracking_uri"),
        (_model_registry.utils, "_registry_uri"),
        (fluent, "_active_experiment_id"),
    ):
        monkeypatch.setattr(module, name, getattr(module, name))
    for variable in ("MLFLOW_TRACKING_URI", "MLFLOW_EXPERIMENT_ID"):
        # set, then removed: monkeypatch restores the original state, absent or not
        monkeypatch.setenv(variable, os.environ.get(variable, ""))
        monkeypatch.delenv(variable)
    uri = f"sqlite:///{tmp_path / 'mlruns.db'}"
    mlflow.set_tracking_uri(uri)
    mlflow.set_experiment("tests")
    yield mlflow.MlflowClient(tracking_uri=uri)
    while mlflow.active_run() is not None:
        mlflow.end_run()
