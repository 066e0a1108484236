"""Evaluate nodes: score a trained run on a new labelled window, by run id only.

The run's own augmenter, preprocessor and model score the rows its loader SQL returns
for this run's context parameters, exactly as its test split was scored in training
(features joined point-in-time, nothing refitted). Nothing comes from ``recipes/``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

import pandas as pd

from mmp_kedro.artifact import contract
from mmp_kedro.feature_store.augmenter import augment
from mmp_kedro.modeling.fitting import FittedPipeline, model_inputs, score_pipeline
from mmp_kedro.recipe.schema import Recipe
from mmp_kedro.spine import bind_parameter_names

log = logging.getLogger(__name__)


def fetch_recipe_snapshot(run_id: str) -> Recipe:
    """The recipe the run was trained with (its ``recipe_yaml_snapshot``)."""
    return contract.read_recipe_snapshot(run_id)


def evaluate_run(
    spine: pd.DataFrame,
    recipe: Recipe,
    run_id: str,
    loader_sql: str,
    parameters: dict[str, Any],
    min_rows: int,
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """The run's task metrics on ``spine``, with what they were computed from; and
    the rows with their joined features and the run's predictions on them (which
    the window's drift is measured on).

    A metric the rows leave undefined (an uplift on one treatment group, say) is
    ``None``, so the report is strict JSON. Fewer rows than ``min_rows`` (the env's
    ``evaluation.min_rows``) are scored but warned about, in the log and the report.

    Raises:
        ValueError: the rows lack the recipe's target or treatment column.
    """
    missing = [c for c in recipe.data_interface.label_columns if c not in spine.columns]
    if missing:
        raise ValueError(
            f"evaluating run '{run_id}' needs the label column(s) {missing} in the rows "
            f"of its loader_sql_snapshot; they have {list(spine.columns)}"
        )
    fitted = contract.fitted_inputs(contract.load_model(run_id))
    augmented = augment(spine, fitted.augmenter_config, "batch")
    pipeline = FittedPipeline(fitted.preprocessor, fitted.model)
    metrics = score_pipeline(pipeline, augmented, recipe)
    predictions = fitted.model.predict_frame(
        model_inputs(pipeline, augmented, recipe)[0]
    )
    defined = {name: _finite_or_none(value) for name, value in metrics.items()}
    log.info("run %s on %d rows: %s", run_id, len(spine), defined)
    warnings = []
    if len(spine) < min_rows:
        warnings.append(
            f"only {len(spine)} rows in the window, below evaluation.min_rows="
            f"{min_rows}: these metrics are noisy; widen the window"
        )
        log.warning("run %s: %s", run_id, warnings[-1])
    report = {
        "run_id": run_id,
        "task_type": recipe.data_interface.task_type,
        "rows": len(spine),
        "bound_parameters": {
            name: parameters[name] for name in bind_parameter_names(loader_sql)
        },
        "metrics": defined,
        "warnings": warnings,
    }
    return report, augmented, predictions


def _finite_or_none(value: float) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None
