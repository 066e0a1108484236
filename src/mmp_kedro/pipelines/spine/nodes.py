"""Spine nodes: the recipe's loader SQL on the env's engine."""

from __future__ import annotations

from typing import Any

import pandas as pd

from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.spine import SQLQueryRunner, run_loader_sql


def load_training_spine(
    spine_loader: SQLQueryRunner, recipe: ResolvedRecipe, parameters: dict[str, Any]
) -> pd.DataFrame:
    """The recipe's spine: its loader SQL run with the run's context parameters."""
    return run_loader_sql(
        spine_loader, recipe.loader_sql, parameters, recipe.spec.loader.source_uri
    )
