"""Shapes a training run's MLflow run: its name, tags, recipe params and the
artifact's signature."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

import mlflow
import pandas as pd
from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog
from kedro.pipeline import Pipeline
from pydantic import BaseModel

from mmp_kedro.artifact.logged_model import (
    OUTPUT_SAMPLE_ROWS,
    build_signature,
    default_output,
)
from mmp_kedro.recipe import ResolvedRecipe

log = logging.getLogger(__name__)

PARAMS_PREFIX = "params:"


class MlflowRunHook:
    """``<ModelClass>_<recipe>_<stamp>[_optuna_best_score_<x>]`` as the run name, the
    recipe as tags and params, and a signature with the label columns optional and
    the default output's columns."""

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
            spine = catalog.load("spine")
            log_model_kwargs["signature"] = build_signature(
                spine,
                recipe.spec.data_interface.label_columns,
                inference_params(pipeline.inference, catalog),
                _default_output(pipeline, spine, catalog),
            )


def _default_output(
    pipeline: Pipeline, spine: pd.DataFrame, catalog: DataCatalog
) -> pd.DataFrame | None:
    """The artifact's default output for a few training rows, or None (the signature
    then has no output schema) when its inference pipeline fails on them.

    A failure is logged, not raised: raising here, after the pipeline ended, would
    stop kedro-mlflow logging the model, losing a whole training for a description.
    """
    # Says why nodes run again in the log, after the pipeline's end.
    log.info(
        "the model's output schema: its inference pipeline predicts the first %d "
        "training rows",
        OUTPUT_SAMPLE_ROWS,
    )
    try:
        return default_output(
            pipeline.inference,
            pipeline.input_name,
            spine,
            set(pipeline.all_outputs()),
            catalog,
            OUTPUT_SAMPLE_ROWS,
        )
    except Exception as error:  # any node's error: the model is logged regardless
        log.warning(
            "the model's signature has no output schema: its inference pipeline "
            "failed on the first training rows: %s: %s",
            type(error).__name__,
            error,
        )
        return None


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
