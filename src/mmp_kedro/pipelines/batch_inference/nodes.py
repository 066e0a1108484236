"""Batch-inference nodes: everything comes from the MLflow run, nothing from recipes/."""

from __future__ import annotations

import logging
from typing import Any

import mlflow
import pandas as pd
from mlflow.exceptions import MlflowException

from mmp_kedro.datasets import SQLQueryRunner
from mmp_kedro.modeling.estimator import PREDICTION_COLUMNS
from mmp_kedro.pipelines.spine.nodes import run_loader_sql
from mmp_kedro.pipelines.train.pipeline import MODEL_ARTIFACT_PATH
from mmp_kedro.preflight import redacted_text, redacted_url

log = logging.getLogger(__name__)

LOADER_SQL_ARTIFACT = "loader_sql_snapshot.sql"


def require_run_id(run_id: str | None) -> str:
    """The run id to predict with, or a message saying how to pass one."""
    if not run_id or not str(run_id).strip():
        raise ValueError(
            "batch_inference needs the trained run: "
            "`kedro run --pipeline batch_inference --params run_id=<mlflow run id>`"
        )
    return str(run_id).strip()


def fetch_loader_sql(run_id: str) -> str:
    """The loader SQL the run was trained with (its ``loader_sql_snapshot``)."""
    return read_run_artifact(run_id, LOADER_SQL_ARTIFACT)


def read_run_artifact(run_id: str, name: str) -> str:
    """The text of the run's artifact ``name``, or a message saying what is wrong."""
    try:
        path = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path=name)
    except MlflowException as err:
        raise ValueError(
            f"run '{run_id}' has no {name} in the MLflow tracking server "
            f"at {redacted_url(mlflow.get_tracking_uri())!r}: is it a run of `kedro run "
            f"--pipeline train` in this env? ({redacted_text(err.message)})"
        ) from None
    with open(path, encoding="utf-8") as handle:
        return handle.read()


def load_batch_spine(
    spine_loader: SQLQueryRunner, loader_sql: str, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The snapshot's spine with this run's context parameters bound."""
    return run_loader_sql(spine_loader, loader_sql, parameters, "loader_sql_snapshot")


def predict_batch(
    spine: pd.DataFrame, run_id: str
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Predictions (spine + prediction columns) and intermediates (joined features).

    Runs the wrapped artifact with ``run_mode=batch, return_intermediate=True``.
    """
    model = mlflow.pyfunc.load_model(f"runs:/{run_id}/{MODEL_ARTIFACT_PATH}")
    output = model.predict(
        spine, params={"run_mode": "batch", "return_intermediate": True}
    )
    # The artifact's own task says which columns it added (another task's names may
    # be spine columns here, and "prediction" belongs to two tasks).
    task = model.unwrap_python_model().loaded_catalog.load("model").task_type
    prediction_columns = PREDICTION_COLUMNS[task]
    spine_columns = [c for c in spine.columns if c in output.columns]
    predictions = output[spine_columns + prediction_columns].assign(model_run_id=run_id)
    intermediates = output.drop(columns=prediction_columns).assign(model_run_id=run_id)
    log.info("batch inference: %d rows predicted with run %s", len(predictions), run_id)
    return predictions, intermediates
