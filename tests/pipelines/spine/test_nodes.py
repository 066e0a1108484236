"""``load_training_spine``: a spine repeating entity keys and event times is refused
unless the recipe says duplicates are meant."""

from __future__ import annotations

import dataclasses

import pytest
import sqlalchemy as sa
from project_helpers import PROJECT_ROOT

from mmp_kedro.modeling.training_data import TrainingDataError
from mmp_kedro.pipelines.spine.nodes import load_training_spine
from mmp_kedro.recipe import load_recipe
from mmp_kedro.spine import SQLQueryRunner

TWICE = """
SELECT user_id, product_id, session_id, event_timestamp, grp, outcome FROM (VALUES
    ('u1', 'p1', 's1', TIMESTAMP '2025-03-01 10:00:00', 'treatment', 1),
    ('u2', 'p1', 's2', TIMESTAMP '2025-03-01 11:00:00', 'control', 0)
) AS e(user_id, product_id, session_id, event_timestamp, grp, outcome),
(VALUES (1), (2)) AS copies(n)
"""


def uplift_recipe(allow: bool = False):
    recipe = load_recipe("uplift_model_exp3", PROJECT_ROOT / "recipes")
    loader = recipe.spec.loader.model_copy(update={"allow_duplicate_rows": allow})
    spec = recipe.spec.model_copy(update={"loader": loader})
    return dataclasses.replace(recipe, spec=spec, loader_sql=TWICE)


def runner() -> SQLQueryRunner:
    return SQLQueryRunner(sa.create_engine("duckdb:///:memory:"), [])


def test_every_row_twice_is_refused_with_a_count_and_an_example():
    with pytest.raises(TrainingDataError) as raised:
        load_training_spine(runner(), uplift_recipe(), {})
    message = str(raised.value)
    assert message.startswith("recipes/uplift_model_exp3.yaml: ")
    assert "returned 2 of 4 rows that repeat another row's entity keys" in message
    assert "'user_id': 'u" in message
    assert "loader.allow_duplicate_rows: true" in message


def test_duplicates_a_recipe_allows_are_kept():
    assert len(load_training_spine(runner(), uplift_recipe(allow=True), {})) == 4
