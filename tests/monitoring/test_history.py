"""``best_previous_run`` finds a recipe's best finished run, whatever its name holds."""

from __future__ import annotations

from types import SimpleNamespace

import mlflow
import pytest

from mmp_kedro.monitoring.history import best_previous_run, filter_literal


def recipe_named(name: str) -> SimpleNamespace:
    """What ``best_previous_run`` reads of a ``ResolvedRecipe``."""
    spec = SimpleNamespace(tuning_metric="roc_auc", tuning_direction="maximize")
    return SimpleNamespace(name=name, spec=spec)


@pytest.mark.parametrize(
    "name", ["it's ré cipe", 'say "hi"', "plain_recipe", """both ' and " """]
)
def test_the_best_finished_run_of_the_same_recipe(tracking_store, name):
    runs = {}
    for label, score in (("worse", 0.6), ("best", 0.8), ("other recipe", 0.9)):
        recipe = name if label != "other recipe" else "another"
        with mlflow.start_run(tags={"recipe": recipe}) as run:
            mlflow.log_metric("roc_auc", score)
        runs[label] = run.info.run_id
    with mlflow.start_run(tags={"recipe": name}) as current:
        mlflow.log_metric("roc_auc", 0.99)
        found = best_previous_run(current, recipe_named(name))
    assert found is not None and found.info.run_id == runs["best"]


def test_a_recipe_without_a_previous_run(tracking_store):
    with mlflow.start_run(tags={"recipe": "it's new"}) as current:
        assert best_previous_run(current, recipe_named("it's new")) is None


def test_filter_literals_use_the_quote_the_value_lacks():
    assert filter_literal("it's") == '"it\'s"'
    assert filter_literal('say "hi"') == "'say \"hi\"'"
    assert filter_literal("""' and \"""") is None
