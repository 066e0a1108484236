"""``best_previous_run`` finds a recipe's best finished run, whatever its name holds:
best in its tuning metric's direction, among finished runs that logged that metric."""

from __future__ import annotations

from types import SimpleNamespace

import mlflow
import pytest

from mmp_kedro.monitoring.history import best_previous_run, filter_literal


def recipe_named(
    name: str, metric: str = "roc_auc", direction: str = "maximize"
) -> SimpleNamespace:
    """What ``best_previous_run`` reads of a ``ResolvedRecipe``."""
    spec = SimpleNamespace(tuning_metric=metric, tuning_direction=direction)
    return SimpleNamespace(name=name, spec=spec)


def past_run(
    client: mlflow.MlflowClient,
    recipe: str,
    metrics: dict[str, float],
    status: str | None = "FINISHED",
) -> str:
    """A run of ``recipe`` in the current experiment that logged ``metrics`` and
    ended with ``status`` (None: still RUNNING); its id."""
    experiment = client.get_experiment_by_name("tests").experiment_id
    run_id = client.create_run(experiment, tags={"recipe": recipe}).info.run_id
    for name, value in metrics.items():
        client.log_metric(run_id, name, value)
    if status is not None:
        client.set_terminated(run_id, status)
    return run_id


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


def test_a_run_that_did_not_finish_is_never_the_previous_best(tracking_store):
    finished = past_run(tracking_store, "r", {"roc_auc": 0.7})
    for status in ("FAILED", "KILLED", None):
        past_run(tracking_store, "r", {"roc_auc": 0.95}, status)
    with mlflow.start_run(tags={"recipe": "r"}) as current:
        found = best_previous_run(current, recipe_named("r"))
    assert found is not None and found.info.run_id == finished


def test_only_failed_runs_before_is_no_previous_run(tracking_store):
    past_run(tracking_store, "r", {"roc_auc": 0.95}, "FAILED")
    with mlflow.start_run(tags={"recipe": "r"}) as current:
        assert best_previous_run(current, recipe_named("r")) is None


@pytest.mark.parametrize("name", ["order_value", """both ' and " """])
def test_a_minimized_metric_picks_the_lowest(tracking_store, name):
    runs = {
        score: past_run(tracking_store, name, {"rmse": score, "r2": 1 - score})
        for score in (3.0, 1.5, 2.0)
    }
    with mlflow.start_run(tags={"recipe": name}) as current:
        found = best_previous_run(current, recipe_named(name, "rmse", "minimize"))
    assert found is not None and found.info.run_id == runs[1.5]


def test_runs_without_the_tuning_metric_are_passed_over(tracking_store):
    with mlflow.start_run(tags={"recipe": "r"}) as current:
        past_run(tracking_store, "r", {"accuracy": 0.9})
        assert best_previous_run(current, recipe_named("r")) is None
        scored = past_run(tracking_store, "r", {"roc_auc": 0.5})
        found = best_previous_run(current, recipe_named("r"))
    assert found is not None and found.info.run_id == scored


def test_filter_literals_use_the_quote_the_value_lacks():
    assert filter_literal("it's") == '"it\'s"'
    assert filter_literal('say "hi"') == "'say \"hi\"'"
    assert filter_literal("""' and \"""") is None
