"""Evaluate nodes: score a trained run on a new labelled window, by run id only.

The run's own augmenter, preprocessor and model score the rows its loader SQL returns
for this run's context parameters, exactly as its test split was scored in training
(features joined point-in-time, nothing refitted). Nothing comes from ``recipes/``.
"""

from __future__ import annotations

import logging
from typing import Any

import mlflow
import pandas as pd
import yaml

from mmp_kedro.modeling.training import FittedPipeline, score_pipeline
from mmp_kedro.pipelines.augment.nodes import augment_features
from mmp_kedro.pipelines.batch_inference.nodes import read_run_artifact
from mmp_kedro.pipelines.train.pipeline import MODEL_ARTIFACT_PATH
from mmp_kedro.recipe.schema import Recipe
from mmp_kedro.sql import bind_parameter_names

log = logging.getLogger(__name__)

RECIPE_ARTIFACT = "recipe_yaml_snapshot.yaml"


def fetch_recipe_snapshot(run_id: str) -> Recipe:
    """The recipe the run was trained with (its ``recipe_yaml_snapshot``)."""
    return Recipe.model_validate(
        yaml.safe_load(read_run_artifact(run_id, RECIPE_ARTIFACT))
    )


def evaluate_run(
    spine: pd.DataFrame,
    recipe: Recipe,
    run_id: str,
    loader_sql: str,
    parameters: dict[str, Any],
) -> dict[str, Any]:
    """The run's task metrics on ``spine``, with what they were computed from.

    Raises:
        ValueError: the rows lack the recipe's target or treatment column.
    """
    missing = [c for c in recipe.data_interface.label_columns if c not in spine.columns]
    if missing:
        raise ValueError(
            f"evaluating run '{run_id}' needs the label column(s) {missing} in the rows "
            f"of its loader_sql_snapshot; they have {list(spine.columns)}"
        )
    artifact = mlflow.pyfunc.load_model(f"runs:/{run_id}/{MODEL_ARTIFACT_PATH}")
    catalog = artifact.unwrap_python_model().loaded_catalog
    augmented = augment_features(spine, catalog.load("augmenter_config"), "batch")
    fitted = FittedPipeline(catalog.load("preprocessor"), catalog.load("model"))
    metrics = score_pipeline(fitted, augmented, recipe)
    log.info(
        "run %s on %d rows: %s",
        run_id,
        len(spine),
        {name: round(value, 4) for name, value in metrics.items()},
    )
    return {
        "run_id": run_id,
        "task_type": recipe.data_interface.task_type,
        "rows": len(spine),
        "bound_parameters": {
            name: parameters[name] for name in bind_parameter_names(loader_sql)
        },
        "metrics": {name: float(value) for name, value in metrics.items()},
    }
