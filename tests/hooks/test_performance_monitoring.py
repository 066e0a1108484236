"""``PerformanceMonitoringHook``: a run's test metrics against the env's baseline and
the recipe's best previous run, as MLflow tags; a broken config refused up front."""

from __future__ import annotations

import logging

import mlflow
import pytest

from mmp_kedro.hooks.performance_monitoring import PerformanceMonitoringHook
from mmp_kedro.pipelines.batch_inference import create_pipeline as batch_inference
from mmp_kedro.pipelines.train import create_pipeline

RECIPE = "conversion_classifier"


def test_verdicts_against_baseline_and_best_previous_run(
    kedro_context, tracking_store, caplog
):
    catalog = kedro_context(recipe=RECIPE).catalog
    with mlflow.start_run(tags={"recipe": RECIPE}) as previous:
        mlflow.log_metrics({"roc_auc": 0.60, "accuracy": 0.65})
    hook = PerformanceMonitoringHook()
    with mlflow.start_run(tags={"recipe": RECIPE}) as run:
        mlflow.log_metrics({"roc_auc": 0.80, "accuracy": 0.50})
        hook.before_pipeline_run({"env": "local"}, create_pipeline(), catalog)
        with caplog.at_level(logging.INFO, logger="mmp_kedro"):
            hook.after_pipeline_run(catalog)

    tags = tracking_store.get_run(run.info.run_id).data.tags
    # conf/base/parameters_monitoring.yml: roc_auc 0.70 and accuracy 0.70.
    assert tags["monitoring.vs_baseline"] == "degraded"  # accuracy 0.50
    assert tags["monitoring.vs_baseline.roc_auc"].endswith("improved")
    assert tags["monitoring.vs_previous_best"] == "degraded"
    assert tags["monitoring.previous_best_run_id"] == previous.info.run_id
    (record,) = [r for r in caplog.records if "performance of" in r.getMessage()]
    assert record.levelno == logging.WARNING


def test_a_malformed_config_is_refused_before_the_run(kedro_context, tracking_store):
    catalog = kedro_context(
        recipe=RECIPE,
        performance_monitoring={"enabled": True, "alert_threshold": {}},
    ).catalog
    with pytest.raises(ValueError) as raised:
        PerformanceMonitoringHook().before_pipeline_run(
            {"env": "local"}, create_pipeline(), catalog
        )
    assert "parameters of env 'local': performance_monitoring.alert_threshold" in str(
        raised.value
    )


def test_pipelines_without_a_recipe_are_not_monitored(kedro_context, tracking_store):
    catalog = kedro_context().catalog
    hook = PerformanceMonitoringHook()
    with mlflow.start_run() as run:
        hook.before_pipeline_run({"env": "local"}, batch_inference(), catalog)
        hook.after_pipeline_run(catalog)
    tags = tracking_store.get_run(run.info.run_id).data.tags
    assert not any(tag.startswith("monitoring.") for tag in tags)
