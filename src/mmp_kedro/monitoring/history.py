"""A recipe's past runs in the MLflow experiment."""

from __future__ import annotations

from typing import Any

import mlflow

from mmp_kedro.recipe import ResolvedRecipe

#: Runs read when a recipe name cannot be written as a filter literal.
_SCAN_LIMIT = 10_000


def best_previous_run(run: mlflow.ActiveRun, recipe: ResolvedRecipe) -> Any | None:
    """The finished run of the same recipe, in this run's experiment, best on its
    tuning metric (None when there is none with that metric)."""
    metric = recipe.spec.tuning_metric
    order = "DESC" if recipe.spec.tuning_direction == "maximize" else "ASC"
    literal = filter_literal(recipe.name)
    conditions = [
        "attributes.status = 'FINISHED'",
        f"attributes.run_id != '{run.info.run_id}'",
    ]
    if literal is not None:
        conditions.insert(0, f"tags.recipe = {literal}")
    candidates = mlflow.search_runs(
        experiment_ids=[run.info.experiment_id],
        filter_string=" and ".join(conditions),
        order_by=[f"metrics.{metric} {order}"],
        max_results=1 if literal is not None else _SCAN_LIMIT,
        output_format="list",
    )
    same_recipe = [c for c in candidates if c.data.tags.get("recipe") == recipe.name]
    if same_recipe and metric in same_recipe[0].data.metrics:
        return same_recipe[0]
    return None


def filter_literal(value: str) -> str | None:
    """``value`` as a string literal of MLflow's search grammar, which has no escape
    character: quoted with whichever quote it does not contain (None if both)."""
    if "'" not in value:
        return f"'{value}'"
    if '"' not in value:
        return f'"{value}"'
    return None
