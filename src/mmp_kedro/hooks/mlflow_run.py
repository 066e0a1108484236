"""Shapes a training run's MLflow run: its name, tags, recipe params and the
artifact's signature."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import mlflow
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from pydantic import BaseModel

from mmp_kedro.artifact.logged_model import build_signature
from mmp_kedro.recipe import ResolvedRecipe

PARAMS_PREFIX = "params:"


class MlflowRunHook:
    """``<ModelClass>_<recipe>_<stamp>[_optuna_best_score_<x>]`` as the run name, the
    recipe as tags and params, and a signature with the label columns optional."""

    def __init__(self) -> None:
        self._base_name = ""

    @hook_impl(trylast=True)  # after kedro-mlflow has opened the run
    def before_pipeline_run(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        if mlflow.active_run() is None or "recipe" not in pipeline.inputs():
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
        mlflow.log_params(
            {**recipe.summary_params(), **typed_params(pipeline, catalog)}
        )

    @hook_impl(tryfirst=True)  # before kedro-mlflow logs the model and ends the run
    def after_pipeline_run(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        if mlflow.active_run() is None or "recipe" not in pipeline.inputs():
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
                catalog.load("spine"),
                recipe.spec.data_interface.label_columns,
                inference_params(pipeline.inference, catalog),
            )


def typed_params(pipeline: Pipeline, catalog: DataCatalog) -> dict[str, Any]:
    """The pipeline's typed ``params:`` inputs (``training``, ``tuning``), flattened
    as kedro-mlflow flattens a dict parameter (``tuning.pruning.n_startup_trials``);
    kedro-mlflow itself logs a typed one as a single string."""
    flat: dict[str, Any] = {}
    for name in sorted(pipeline.inputs()):
        if name.startswith(PARAMS_PREFIX):
            value = catalog.load(name)
            if isinstance(value, BaseModel):
                flat.update(_flattened(name.removeprefix(PARAMS_PREFIX), value))
    return flat


def _flattened(prefix: str, value: Any) -> dict[str, Any]:
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if not isinstance(value, dict):
        return {prefix: value}
    flat: dict[str, Any] = {}
    for key, item in value.items():
        flat.update(_flattened(f"{prefix}.{key}", item))
    return flat


def inference_params(inference: Pipeline, catalog: DataCatalog) -> dict[str, Any]:
    """The inference pipeline's ``params:`` inputs with their values in this run:
    the artifact's predict-time params and their defaults."""
    return {
        name.removeprefix(PARAMS_PREFIX): catalog.load(name)
        for name in sorted(inference.inputs())
        if name.startswith(PARAMS_PREFIX)
    }
