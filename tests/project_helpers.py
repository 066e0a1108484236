"""Helpers for tests that run the real project: a copy, its data, `kedro run`, MLflow."""

from __future__ import annotations

import math
import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_EVENTS = 6000
EXAMPLE_RECIPES = (
    "uplift_model_exp3",
    "conversion_classifier",
    "order_value_regression",
    "session_segments",
)

#: The features the example recipes join, in the order the augmenter returns them.
SAMPLE_FEATURES = (
    "age",
    "country_code",
    "ltv",
    "total_purchase_count",
    "price",
    "category",
    "brand",
    "time_on_page_seconds",
    "click_count",
)

#: What a training run logs besides the model (the wrapped-artifact contract).
RUN_ARTIFACTS = {
    "loader_sql_snapshot.sql",
    "augmenter_config_snapshot.yaml",
    "recipe_yaml_snapshot.yaml",
    "hyperparameter_optimization.json",
    "training_methodology.json",
    "model_metadata.json",
    "drift_reference.json",
}

START_THE_STACK = (
    "start the DEV stack and load its settings first: "
    "`infra/dev-stack up && set -a && . ./.env && set +a` (or run `make test`)"
)

#: Faster infrastructure constraints for tests (the recipes' logic is unchanged).
#: Tuning trials of the example recipes in the shared LOCAL copy (they ship 10-20):
#: enough for pruning and "best so far" to show, few enough for CI.
TEST_TRIALS = 6

TEST_TRAINING = {
    "training": {
        "test_ratio": 0.25,
        "cv_folds": 3,
        "random_state": 42,
        "validation": {
            "split": "random",
            "group_col": None,
            "calibration": {"method": "none", "ratio": 0.2},
        },
    },
    "tuning": {
        "engine": "optuna",
        "timeout_seconds": 600,
        "n_jobs": 1,
        "workers": 1,
        "study_name": None,
        "pruning": {
            "enabled": True,
            "algorithm": "MedianPruner",
            "n_startup_trials": 2,
            "n_warmup_steps": 0,
        },
    },
}


def copy_project(destination: Path, source: Path = PROJECT_ROOT) -> Path:
    """A checkout's config, recipes and metadata (no data, no runs) in ``destination``
    (this project's by default)."""
    for name in ("conf", "recipes"):
        shutil.copytree(source / name, destination / name)
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy2(source / name, destination / name)
    # Kedro wants a source dir inside the project; the installed package is what runs.
    (destination / "src").mkdir()
    for layer in (
        "01_raw",
        "02_intermediate",
        "03_primary",
        "05_model_input",
        "06_models",
        "07_model_output",
        "08_reporting",
    ):
        (destination / "data" / layer).mkdir(parents=True, exist_ok=True)
    return destination


def use_test_trials(project: Path) -> None:
    """The example recipes of ``project`` tuned for ``TEST_TRIALS`` trials (the text
    edited in place, comments kept)."""
    for path in (project / "recipes").glob("*.yaml"):
        text = re.sub(
            r"(?m)^(  n_trials: )\d+", rf"\g<1>{TEST_TRIALS}", path.read_text()
        )
        path.write_text(text)


def prepare_local_data(project: Path, n_events: int = SAMPLE_EVENTS) -> None:
    """Sample data and the LOCAL Feast registry + online store for ``project``."""
    from sample_data import write_sample_data

    from mmp_kedro.feature_store.__main__ import apply

    write_sample_data(project / "data" / "01_raw", n_events=n_events)
    apply(project, "local", materialize=True)


def _kedro_env() -> dict[str, str]:
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "1"}
    env.pop("MLFLOW_TRACKING_URI", None)
    return env


def kedro(project: Path, *args: str, timeout: int = 900) -> subprocess.CompletedProcess:
    """``kedro ...`` in ``project`` as a user would type it."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "kedro"), *args],
        cwd=project,
        env=_kedro_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_kedro(
    project: Path, *args: str, timeout: int = 900
) -> subprocess.CompletedProcess:
    """``kedro run ...`` in ``project`` as a user would type it."""
    return kedro(project, "run", *args, timeout=timeout)


def start_kedro(project: Path, *args: str) -> subprocess.Popen:
    """``kedro run ...`` in ``project``, started and not waited for; its output
    (stderr merged) is a text pipe on ``stdout``."""
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "kedro"), "run", *args],
        cwd=project,
        env=_kedro_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def run_serving(
    *args: str, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess:
    """``python -m serving ...`` from the project root, for start-up refusals (a
    refusal exits long before ``timeout``: MLflow's own retries would take minutes)."""
    return subprocess.run(
        [sys.executable, "-m", "serving", *args],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def mlflow_client(project: Path):
    """An MLflow client on the project copy's LOCAL tracking store."""
    import mlflow

    return mlflow.MlflowClient(tracking_uri=f"sqlite:///{project / 'mlruns.db'}")


def runs_of_recipe(project: Path, recipe: str) -> list:
    """MLflow runs tagged with ``recipe``, newest first."""
    client = mlflow_client(project)
    experiment = client.get_experiment_by_name("mmp-kedro")
    if experiment is None:
        return []
    return client.search_runs(
        [experiment.experiment_id],
        filter_string=f"tags.recipe = '{recipe}'",
        order_by=["attributes.start_time DESC"],
    )


def all_run_ids(project: Path) -> set[str]:
    """Every run id in the project's LOCAL MLflow store, whatever its tags: a run
    opened and failed before any tag was set counts too."""
    if not (project / "mlruns.db").exists():
        return set()
    client = mlflow_client(project)
    experiments = [e.experiment_id for e in client.search_experiments()]
    if not experiments:
        return set()
    return {r.info.run_id for r in client.search_runs(experiments, max_results=50_000)}


def is_missing(value: Any) -> bool:
    """None, pd.NA and NaN all mean "no feature value"."""
    return (
        value is None
        or value is pd.NA
        or (isinstance(value, float) and math.isnan(value))
    )


def same_value(actual: Any, wanted: Any) -> bool:
    """Equal, with all flavours of missing equal to each other, numbers approximately."""
    if is_missing(actual) or is_missing(wanted):
        return is_missing(actual) and is_missing(wanted)
    if isinstance(wanted, str) or isinstance(actual, str):
        return str(actual) == str(wanted)
    return math.isclose(float(actual), float(wanted), rel_tol=1e-9, abs_tol=1e-9)


def plain_values(column: pd.Series) -> list[Any]:
    """Python values of a column, pandas/NumPy missing markers kept recognisable."""
    return [
        None if is_missing(v) else (v.item() if isinstance(v, np.generic) else v)
        for v in column.astype(object).tolist()
    ]


def require_dev_stack(*names: str) -> dict[str, str]:
    """``os.environ`` when it holds the DEV stack's ``names``; else the test fails."""
    import pytest

    missing = [name for name in names if not os.environ.get(name)]
    if missing:
        pytest.fail(f"this test needs {missing} from the DEV stack: {START_THE_STACK}")
    return dict(os.environ)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def project_runs(client: Any, project: Path, recipe: str, since_ms: int = 0) -> list:
    """Runs of ``recipe`` made from ``project`` on ``client``'s server, newest first."""
    experiment = client.get_experiment_by_name("mmp-kedro")
    if experiment is None:
        return []
    return client.search_runs(
        [experiment.experiment_id],
        filter_string=(
            f"tags.recipe = '{recipe}' AND tags.project_path = '{project}' "
            f"AND attributes.start_time >= {since_ms}"
        ),
        order_by=["attributes.start_time DESC"],
    )


def view_join_key(contract: dict[str, Any], view: str) -> str:
    """The join key of a feature view's single entity in ``feature_store.yml``."""
    (entity,) = contract["feature_views"][view]["entities"]
    return contract["entities"][entity]["join_key"]


#: A loader-SQL result of every column type a spine has, for DuckDB and PostgreSQL
#: alike (with a value that would change the statement if it were spliced).
TYPED_SQL = """
SELECT * FROM (VALUES
 (1, CAST(NULL AS BIGINT), 1.5, 'a', TIMESTAMP '2025-01-01 10:00:00',
  TIMESTAMPTZ '2025-01-01 10:00:00+00', DATE '2025-01-02', TRUE,
  CAST(1.25 AS NUMERIC(10, 2)), CAST(NULL AS VARCHAR), CAST(3 AS SMALLINT), CAST(0.5 AS REAL)),
 (2, CAST(5 AS BIGINT), NULL, NULL, TIMESTAMP '2025-01-02 10:00:00',
  TIMESTAMPTZ '2025-01-02 10:00:00+00', DATE '2025-01-03', FALSE,
  CAST(2.5 AS NUMERIC(10, 2)), 'x', CAST(4 AS SMALLINT), CAST(NULL AS REAL))
) AS t(id, maybe, amount, name, seen, seen_utc, day, flag, price, note, small, ratio)
WHERE id >= :lowest AND name IS DISTINCT FROM :name
"""
TYPED_PARAMETERS = {"lowest": 0, "name": "a' OR '1'='1"}
