"""Run-spine nodes: a trained run's loader SQL snapshot, run for this run's window.

Everything comes from the MLflow run, nothing from ``recipes/``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.spine import SQLQueryRunner, run_loader_sql


def require_run_id(run_id: str | None) -> str:
    """The run id to work from: given, and a FINISHED run on the tracking server;
    otherwise a message saying how to pass one, or what is wrong with the run."""
    if not run_id or not str(run_id).strip():
        raise ValueError(
            "batch_inference and evaluate work from a trained run: pass its MLflow "
            "run id, `kedro run --pipelines batch_inference --params "
            "run_id=<mlflow run id>` (or `--pipelines evaluate`)"
        )
    run_id = str(run_id).strip()
    contract.require_finished_run(run_id)
    return run_id


def fetch_loader_sql(run_id: str) -> str:
    """The loader SQL the run was trained with (its ``loader_sql_snapshot``)."""
    return contract.read_run_text(run_id, contract.LOADER_SQL_SNAPSHOT)


def load_batch_spine(
    spine_loader: SQLQueryRunner, loader_sql: str, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The snapshot's spine with this run's context parameters bound."""
    return run_loader_sql(spine_loader, loader_sql, parameters, "loader_sql_snapshot")
