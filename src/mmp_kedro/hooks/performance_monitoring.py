"""Compares a training run's test metrics with the baseline and the best past run."""

from __future__ import annotations

import logging

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline

from mmp_kedro.config.loader import DEFAULT_ENV
from mmp_kedro.monitoring.history import best_previous_run
from mmp_kedro.monitoring.performance import (
    CONF_KEY,
    MonitoringConfig,
    compare,
    monitoring_tags,
    overall_verdict,
    parse_config,
    summary_line,
)
from mmp_kedro.recipe import ResolvedRecipe
from mmp_kedro.recipe.schema import TASK_METRICS

log = logging.getLogger(__name__)


class PerformanceMonitoringHook:
    """Verdicts as MLflow tags (``monitoring.*``) and one log line, a warning when
    something degraded.

    The config is validated before kedro-mlflow opens a run, so a typo in it leaves
    no run behind; the comparison runs before kedro-mlflow ends the run.
    """

    def __init__(self) -> None:
        self._config: MonitoringConfig | None = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict, pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        self._config = None
        if "recipe" not in pipeline.inputs() or f"params:{CONF_KEY}" not in catalog:
            return
        self._config = parse_config(
            catalog.load(f"params:{CONF_KEY}"),
            source=f"parameters of env '{run_params.get('env') or DEFAULT_ENV}'",
        )

    @hook_impl(tryfirst=True)
    def after_pipeline_run(self, catalog: DataCatalog) -> None:
        run = mlflow.active_run()
        if self._config is None or not self._config.enabled or run is None:
            return
        recipe: ResolvedRecipe = catalog.load("recipe")
        metrics = mlflow.get_run(run.info.run_id).data.metrics
        thresholds = self._config.alert_thresholds
        vs_baseline = compare(
            metrics, self._config.baseline_for(recipe.name), thresholds
        )
        previous = best_previous_run(run, recipe)
        task_metrics = TASK_METRICS[recipe.spec.data_interface.task_type]
        vs_previous = (
            compare(
                metrics,
                {m: v for m, v in previous.data.metrics.items() if m in task_metrics},
                thresholds,
            )
            if previous
            else []
        )
        previous_id = previous.info.run_id if previous else None
        mlflow.set_tags(monitoring_tags(vs_baseline, vs_previous, previous_id))
        line = summary_line(recipe.name, vs_baseline, vs_previous, previous_id)
        degraded = "degraded" in (
            overall_verdict(vs_baseline),
            overall_verdict(vs_previous),
        )
        log.log(logging.WARNING if degraded else logging.INFO, line)
