"""Run-spine nodes: a trained run's loader SQL snapshot, run for this run's window.

Everything comes from the MLflow run (named by its id or by a registered version),
nothing from ``recipes/``.
"""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from mmp_kedro.artifact import contract, registry
from mmp_kedro.config.scoring import BatchScoringParams
from mmp_kedro.spine import SpineChunks, SQLQueryRunner, run_loader_sql

log = logging.getLogger(__name__)


def require_run_id(run_id: str | None, model_uri: str | None = None) -> str:
    """The run id to work from: ``run_id``, or the run of the registered version
    ``model_uri`` names (resolved here, once), and a FINISHED run on the tracking
    server; otherwise a message saying how to pass one, or what is wrong."""
    run_id, model_uri = _given(run_id), _given(model_uri)
    if run_id and model_uri:
        raise ValueError(
            f"pass either run_id ({run_id}) or model_uri ({model_uri}), not both: "
            "each names the trained run to work from"
        )
    if model_uri:
        try:
            resolved = registry.resolve_model_uri(model_uri)
        except ValueError as err:
            raise ValueError(f"model_uri: {err}") from None
        log.info("model_uri %s", resolved.describe())
        run_id = resolved.run_id
    if not run_id:
        raise ValueError(
            "batch_inference and evaluate work from a trained run: pass its MLflow "
            "run id, `kedro run --pipelines batch_inference --params "
            "run_id=<mlflow run id>` (or `--pipelines evaluate`), or a registered "
            "version, `--params model_uri=models:/<name>@champion`"
        )
    contract.require_finished_run(run_id)
    log.info("working from run %s", run_id)
    return run_id


def _given(value: str | None) -> str | None:
    """``value`` stripped, None when unset or blank."""
    text = str(value).strip() if value is not None else ""
    return text or None


def fetch_loader_sql(run_id: str) -> str:
    """The loader SQL the run was trained with (its ``loader_sql_snapshot``)."""
    return contract.read_run_text(run_id, contract.LOADER_SQL_SNAPSHOT)


def load_batch_spine(
    spine_loader: SQLQueryRunner, loader_sql: str, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The snapshot's spine with this run's context parameters bound."""
    return run_loader_sql(spine_loader, loader_sql, parameters, "loader_sql_snapshot")


def load_spine_chunks(
    spine_loader: SQLQueryRunner,
    loader_sql: str,
    parameters: dict[str, Any],
    batch_scoring: BatchScoringParams,
) -> SpineChunks:
    """The snapshot's spine for this run's context parameters, read
    ``batch_scoring.chunk_rows`` rows at a time as it is consumed."""
    return SpineChunks(
        spine_loader,
        loader_sql,
        parameters,
        "loader_sql_snapshot",
        batch_scoring.chunk_rows,
    )
