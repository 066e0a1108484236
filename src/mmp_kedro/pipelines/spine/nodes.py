"""Spine nodes: the recipe's loader SQL on the env's engine."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.modeling.training_data import TrainingDataError, duplicate_rows
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.spine import SQLQueryRunner, run_loader_sql


def load_training_spine(
    spine_loader: SQLQueryRunner, recipe: ResolvedRecipe, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The recipe's spine: its loader SQL run with the run's context parameters.

    Raises:
        TrainingDataError: rows repeat another row's entity keys and event_timestamp
            (they would straddle the train/test split) and the recipe does not say
            they are meant.
    """
    source = recipe.spec.loader.source_uri
    spine = run_loader_sql(spine_loader, recipe.loader_sql, parameters, source)
    count, example = duplicate_rows(spine, recipe.spec)
    if count and not recipe.spec.loader.allow_duplicate_rows:
        raise TrainingDataError(
            f"{recipe.path}: {source} returned {count} of {len(spine)} rows that "
            f"repeat another row's entity keys and event_timestamp, e.g. {example}: "
            "they would land on both sides of the train/test split. Remove them in "
            "the SQL (SELECT DISTINCT, or a tighter join), or set "
            "loader.allow_duplicate_rows: true if they are meant"
        )
    return spine
