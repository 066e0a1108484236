"""A recipe's past runs in the MLflow experiment."""

from __future__ import annotations

from typing import Any

import mlflow

from mmp_kedro.recipe import ResolvedRecipe


def best_previous_run(run: mlflow.ActiveRun, recipe: ResolvedRecipe) -> Any | None:
    """The finished run of the same recipe, in this run's experiment, best on its
    tuning metric (None when there is none with that metric)."""
    metric = recipe.spec.tuning_metric
    order = "DESC" if recipe.spec.tuning_direction == "maximize" else "ASC"
    name = recipe.name.replace("'", "\\'")
    candidates = mlflow.search_runs(
        experiment_ids=[run.info.experiment_id],
        filter_string=(
            f"tags.recipe = '{name}' and attributes.status = 'FINISHED' "
            f"and attributes.run_id != '{run.info.run_id}'"
        ),
        order_by=[f"metrics.{metric} {order}"],
        max_results=1,
        output_format="list",
    )
    if candidates and metric in candidates[0].data.metrics:
        return candidates[0]
    return None
