"""Refuses a training run whose recipe, or what it needs of the env, is unusable,
before kedro-mlflow opens an MLflow run."""

from __future__ import annotations

import logging

from kedro.framework.hooks import hook_impl
from kedro.io import DataCatalog, DatasetError
from kedro.pipeline import Pipeline

from mmp_kedro.feature_store.augmenter import check_features_exist
from mmp_kedro.recipe import RecipeError, ResolvedRecipe
from mmp_kedro.services.preflight import check_catalog_services

log = logging.getLogger(__name__)


class RecipeHook:
    """For pipelines that take the ``recipe`` dataset: the recipe validated, the
    spine loader's database answering, the recipe's features in the registry."""

    @hook_impl(tryfirst=True)
    def before_pipeline_run(self, pipeline: Pipeline, catalog: DataCatalog) -> None:
        if "recipe" not in pipeline.inputs():
            return
        recipe = load_validated_recipe(catalog)
        check_catalog_services(catalog)
        check_features_exist(recipe, catalog.load("params:feature_store"))
        log.info(
            "recipe '%s' is valid: %s, %s task, tuning %s",
            recipe.name,
            recipe.spec.model.class_path,
            recipe.spec.data_interface.task_type,
            "on" if recipe.spec.hyperparameter_tuning.enabled else "off",
        )


def load_validated_recipe(catalog: DataCatalog) -> ResolvedRecipe:
    """The catalog's ``recipe``; a broken one raises its own RecipeError, not the
    catalog's "failed while loading" wrapper around it."""
    try:
        return catalog.load("recipe")
    except DatasetError as err:
        cause = err.__cause__
        while cause is not None and not isinstance(cause, RecipeError):
            cause = cause.__cause__
        if cause is None:
            raise
        raise cause from None
