"""Project hooks: bind the env's feature store, validate the recipe, shape the MLflow run.

Order matters: recipe validation runs ``tryfirst`` in ``before_pipeline_run``, before
kedro-mlflow opens a run there, so a broken recipe leaves no MLflow run at all.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import mlflow
from kedro.config import MissingConfigException
from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from kedro.pipeline.node import Node

from mmp_kedro.feature_store import bind_feature_store, get_feature_store
from mmp_kedro.feature_store.project import feature_store_factory
from mmp_kedro.gc_tuning import freeze_loaded, restore_defaults
from mmp_kedro.mlflow_model import build_signature
from mmp_kedro.monitoring import (
    CONF_KEY,
    MonitoringConfig,
    compare,
    monitoring_tags,
    overall_verdict,
    parse_config,
    summary_line,
)
from mmp_kedro.pipelines.augment.nodes import feature_store_disabled
from mmp_kedro.preflight import (
    check_catalog_services,
    check_credentials_resolve,
    check_mlflow_server,
)
from mmp_kedro.recipe import RecipeError, ResolvedRecipe, load_recipe
from mmp_kedro.recipe.schema import TASK_METRICS

log = logging.getLogger(__name__)


class FeatureStoreHook:
    """Binds the env's feature store for everything this session runs."""

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        bind_feature_store(
            feature_store_factory(Path(context.project_path), context.env)
        )


class PreflightHook:
    """Checks the MLflow server before kedro-mlflow talks to it (and hangs retrying)."""

    @hook_impl(tryfirst=True)
    def after_context_created(self, context: KedroContext) -> None:
        check_credentials_resolve(context.config_loader)
        try:
            server = context.config_loader["mlflow"].get("server") or {}
        except MissingConfigException:
            return
        check_mlflow_server(server.get("mlflow_tracking_uri"))


class GcFreezeHook:
    """Once the run has loaded everything, freeze it out of garbage collection."""

    @hook_impl(trylast=True)  # after RecipeHook has imported the model's library
    def before_pipeline_run(self) -> None:
        freeze_loaded()

    @hook_impl
    def on_pipeline_error(self) -> None:
        restore_defaults()


class RecipeHook:
    """Loads ``recipes/<params:recipe>.yaml`` for pipelines that take a ``recipe``."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        if "recipe" not in pipeline.inputs():
            return
        project_path = Path(run_params["project_path"])
        recipe = load_recipe(catalog.load("params:recipe"), project_path)
        if "params:tuning" in pipeline.inputs():
            check_tuning_engine(catalog.load("params:tuning"))
        check_catalog_services(catalog)
        if recipe.spec.augmenter.type == "feature_store" and not feature_store_disabled(
            catalog.load("params:feature_store")
        ):
            check_features_exist(recipe)
        catalog["recipe"] = recipe
        log.info(
            "recipe '%s' is valid: %s, %s task, tuning %s",
            recipe.name,
            recipe.spec.model.class_path,
            recipe.spec.data_interface.task_type,
            "on" if recipe.spec.hyperparameter_tuning.enabled else "off",
        )


#: Search engines the tune pipeline implements.
TUNING_ENGINES = ("optuna",)


def check_tuning_engine(tuning: dict[str, Any]) -> None:
    """The env's ``tuning.engine`` is one the tune pipeline runs."""
    engine = tuning.get("engine", TUNING_ENGINES[0])
    if engine not in TUNING_ENGINES:
        raise ValueError(
            f"tuning.engine '{engine}' in conf/<env>/parameters_training.yml is not "
            f"supported: use one of {list(TUNING_ENGINES)}"
        )


def check_features_exist(recipe: ResolvedRecipe) -> None:
    """Every requested namespace and feature is in the env's Feast registry."""
    try:
        views = {view.name: view for view in get_feature_store().list_feature_views()}
    except Exception as err:  # noqa: BLE001 - any registry failure gets one message
        raise RecipeError(
            f"{recipe.path}: cannot read the feature store registry to check "
            f"augmenter.features ({type(err).__name__}: {err}). Apply the feature "
            "definitions first: `python -m mmp_kedro.feature_store apply --env <env>`"
        ) from err
    for index, group in enumerate(recipe.spec.augmenter.features):
        view = views.get(group.feature_namespace)
        if view is None:
            raise RecipeError(
                f"{recipe.path}: augmenter.features.{index}.feature_namespace "
                f"'{group.feature_namespace}' is not a feature view of this env's "
                f"feature store; known namespaces: {sorted(views)}"
            )
        known = {feature.name for feature in view.features}
        unknown = sorted(set(group.features) - known)
        if unknown:
            raise RecipeError(
                f"{recipe.path}: augmenter.features.{index}.features {unknown} are not "
                f"in namespace '{group.feature_namespace}'; it has {sorted(known)}"
            )


class MlflowRunHook:
    """Run name, recipe params, stage timings and the artifact signature."""

    def __init__(self) -> None:
        self._started: dict[str, float] = {}

    @hook_impl(trylast=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        run = mlflow.active_run()
        if run is None or "recipe" not in catalog:
            return
        recipe: ResolvedRecipe = catalog.load("recipe")
        stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
        self._base_name = f"{recipe.spec.model.class_name}_{recipe.name}_{stamp}"
        mlflow.set_tag("mlflow.runName", self._base_name)
        mlflow.set_tags(
            {
                "recipe": recipe.name,
                "model_class_path": recipe.spec.model.class_path,
                "task_type": recipe.spec.data_interface.task_type,
            }
        )
        mlflow.log_params(recipe_params(recipe))

    @hook_impl
    def before_node_run(self, node: Node) -> None:
        self._started[node.name] = time.perf_counter()

    @hook_impl
    def after_node_run(self, node: Node) -> None:
        started = self._started.pop(node.name, None)
        if started is not None:
            log.info("stage %s took %.2fs", node.name, time.perf_counter() - started)

    @hook_impl(tryfirst=True)
    def after_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        if mlflow.active_run() is None or "recipe" not in catalog:
            return
        recipe: ResolvedRecipe = catalog.load("recipe")
        optimization = catalog.load("hyperparameter_optimization")
        if optimization.get("enabled"):
            mlflow.set_tag(
                "mlflow.runName",
                f"{self._base_name}_optuna_best_score_{optimization['best_score']:.4f}",
            )
        log_model_kwargs = getattr(pipeline, "log_model_kwargs", None)
        if log_model_kwargs is not None:
            log_model_kwargs["signature"] = build_signature(
                catalog.load("spine"), recipe.spec.data_interface.label_columns
            )


class PerformanceMonitoringHook:
    """Compares a training run's test metrics with the baseline and the best past run.

    The config is validated before kedro-mlflow opens a run, so a typo in it leaves
    no run behind; the comparison runs before kedro-mlflow ends the run.
    """

    def __init__(self) -> None:
        self._config: MonitoringConfig | None = None

    @hook_impl(tryfirst=True)
    def before_pipeline_run(
        self, run_params: dict[str, Any], pipeline: Pipeline, catalog: DataCatalog
    ) -> None:
        self._config = None
        if "recipe" not in pipeline.inputs() or f"params:{CONF_KEY}" not in catalog:
            return
        self._config = parse_config(
            catalog.load(f"params:{CONF_KEY}"),
            source=f"parameters of env '{run_params.get('env') or 'local'}'",
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


def best_previous_run(run: mlflow.ActiveRun, recipe: ResolvedRecipe) -> Any | None:
    """The finished run of the same recipe, in this run's experiment, best on its metric."""
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


def recipe_params(recipe: ResolvedRecipe) -> dict[str, Any]:
    """Flat MLflow params describing the recipe (never infrastructure)."""
    spec = recipe.spec
    params: dict[str, Any] = {
        "recipe.name": recipe.name,
        "recipe.model.class_path": spec.model.class_path,
        "recipe.data_interface.task_type": spec.data_interface.task_type,
        "recipe.data_interface.target_col": spec.data_interface.target_col,
        "recipe.loader.source_uri": spec.loader.source_uri,
        "recipe.augmenter.type": spec.augmenter.type,
        "recipe.preprocessor.name": spec.preprocessor.name,
        "recipe.hyperparameter_tuning.enabled": spec.hyperparameter_tuning.enabled,
        "recipe.hyperparameter_tuning.n_trials": spec.hyperparameter_tuning.n_trials,
        "recipe.hyperparameter_tuning.metric": spec.tuning_metric,
    }
    for name, value in spec.model.hyperparameters.items():
        shown = (
            value.model_dump(exclude_none=True)
            if hasattr(value, "model_dump")
            else value
        )
        params[f"recipe.model.hyperparameters.{name}"] = str(shown)[:250]
    return params
