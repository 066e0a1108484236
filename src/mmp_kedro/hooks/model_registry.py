"""Registers a FINISHED training run's model and moves its recipe's aliases."""

from __future__ import annotations

import logging
import time

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from mlflow.exceptions import MlflowException

from mmp_kedro.artifact import registry
from mmp_kedro.config.loader import DEFAULT_ENV
from mmp_kedro.monitoring import performance
from mmp_kedro.recipe import ResolvedRecipe

log = logging.getLogger(__name__)


class ModelRegistryHook:
    """A version of the recipe's registered model per FINISHED training run,
    ``challenger`` always and ``champion`` on evidence (``artifact.registry``).

    The config is validated before kedro-mlflow opens a run, so a typo in it leaves
    no run behind. Registration runs ``trylast``, once kedro-mlflow has logged the
    model and ended the run: a failed run never reaches ``after_pipeline_run`` and a
    run that did not end FINISHED is skipped, so neither registers anything.
    """

    def __init__(self) -> None:
        self._config: registry.RegistryConfig | None = None
        self._thresholds = performance.AlertThresholds()
        self._started_ms = 0

    @hook_impl(tryfirst=True)  # before kedro-mlflow opens the run
    def before_pipeline_run(
        self, run_params: dict, pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        self._config = None
        if "recipe" not in pipeline.inputs():
            return
        source = f"parameters of env '{run_params.get('env') or DEFAULT_ENV}'"
        config = registry.parse_config(_params(catalog, registry.CONF_KEY), source)
        # The improvement threshold of performance monitoring decides promotions.
        monitoring = performance.parse_config(
            _params(catalog, performance.CONF_KEY), source
        )
        self._thresholds = monitoring.alert_thresholds
        self._config = config if config.enabled else None
        self._started_ms = int(time.time() * 1000)

    @hook_impl(trylast=True)  # after kedro-mlflow logged the model and ended the run
    def after_pipeline_run(self, catalog: DataCatalog) -> None:
        if self._config is None:
            return
        last = mlflow.last_active_run()
        if last is None:
            return
        # Read again: a run still on MLflow's stack (kedro-mlflow may have pushed it
        # twice) comes back with the status it had when it was opened.
        run = mlflow.MlflowClient().get_run(last.info.run_id)
        # The run kedro-mlflow opened for this pipeline, never an older one.
        if run.info.start_time < self._started_ms:
            return
        if run.info.status != "FINISHED":
            log.warning(
                "model registry: run %s ended %s: no model version registered",
                run.info.run_id,
                run.info.status,
            )
            return
        recipe: ResolvedRecipe = catalog.load("recipe")
        name = self._config.model_name(recipe.name)
        try:
            registration = registry.register_run(
                run.info.run_id, name, recipe.spec.tuning_metric, self._thresholds
            )
        except (MlflowException, ValueError) as err:
            # The run itself is complete: say so, and that only the version is missing.
            raise RuntimeError(
                f"run {run.info.run_id} FINISHED, but its model could not be "
                f"registered as a version of '{name}': {err}"
            ) from err
        log.info("model registry: %s", registration.describe())


def _params(catalog: DataCatalog, key: str) -> dict | None:
    name = f"params:{key}"
    return catalog.load(name) if name in catalog else None
